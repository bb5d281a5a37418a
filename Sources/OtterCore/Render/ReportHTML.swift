import Foundation

/// The certification report as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.
public enum ReportHTML {
    /// Renders the page. Deterministic: the same evaluation and source give the same bytes.
    public static func render(_ r: EvaluationResult, source: ReportSource) -> String {
        let type = r.integrationType.rawValue
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(ReportFormat.headline(r)) · otter-cert \(esc(type)) report</title>\n"
        h += "<style>\n\(css)</style>\n</head>\n<body>\n"
        // Verdict banner.
        h += "<header id=\"top\" class=\"banner \(r.certified ? "ok" : "ko")\">\n"
        h += "<h1 class=\"verdict\">\(r.partial ? "◐" : r.certified ? "✔" : "✘") \(ReportFormat.headline(r))</h1>\n"
        if let note = ReportFormat.coverageNote(r) { h += "<div class=\"sub\">\(esc(note))</div>\n" }
        h += "<div class=\"sub\">\(esc(type)) integration · \(r.count(.passed)) passed · \(r.count(.failed)) failed · \(r.count(.skipped)) skipped of \(r.verdicts.count) records</div>\n"
        let notPassed = r.verdicts.filter { $0.required && $0.status != .passed }
        if !notPassed.isEmpty {
            h += "<div class=\"sub\">Required records not passed: " + notPassed.map { "<a href=\"#\(attr($0.id))\">\(esc($0.id))</a>" }.joined(separator: ", ") + "</div>\n"
        }
        for b in r.blockers { h += "<div class=\"sub\"><strong>Not certified:</strong> \(esc(b))</div>\n" }
        if let tls = ReportFormat.tlsNote(r) {
            h += "<div class=\"sub\" style=\"background:#b00020;color:#fff;padding:.4em .8em;font-weight:bold\">⚠ \(esc(tls))</div>\n"
        }
        h += "</header>\n<main>\n"
        // Facts.
        h += "<section class=\"facts\"><h2>Run</h2><dl>\n"
        func fact(_ k: String, _ v: String?, mono: Bool = false) {
            guard let v, !v.isEmpty else { return }
            h += "<dt>\(esc(k))</dt><dd\(mono ? " class=\"mono\"" : "")>\(esc(v))</dd>\n"
        }
        fact("Integration type", type)
        fact("Partner URL", r.run?.partnerURL.map(ReportMask.url), mono: true)
        fact("Store", r.run?.storeId, mono: true)
        if let a = r.run?.extra["attempt"]?.intValue {
            fact("Certification attempt", "\(a)" + ((r.run?.extra["previousReport"]?.stringValue).map { " (rerun of the records not passed in \($0))" } ?? ""))
        }
        if let only = r.run?.extra["only"]?.arrayValue { fact("Records run", only.compactMap(\.stringValue).joined(separator: ", ")) }
        if let scale = r.run?.extra["timeoutScale"]?.doubleValue { fact("Deadlines scaled by", formatNumber(scale)) }
        fact("Date (first exchange)", ReportFormat.date(r))
        fact("Last exchange", r.stats.lastAt.map(Timestamp.format))
        fact("Harness", Harness.name + ((r.run?.harness).map { $0 == Harness.name ? "" : " (run recorded by \($0))" } ?? ""))
        fact("Checklist", "\(type) \(r.checklistVersion)")
        fact("Checklist SHA-256", ReportFormat.checklistSHA(r, source), mono: true)
        fact("Event log", "\(source.log) (\(source.format))", mono: true)
        fact("Event log SHA-256", source.logSHA256, mono: true)
        var logFacts = "\(r.stats.entries) entries: \(r.stats.webhooks) webhooks, \(r.stats.tokens) token calls, \(r.stats.callbacks) callbacks, \(r.stats.actions) actions"
        if r.stats.skippedLines > 0 { logFacts += ", \(ReportFormat.unreadableCount(r.stats.skippedLines)) skipped" }
        if r.stats.unclassified > 0 { logFacts += ", \(r.stats.unclassified) capture entries not about Otter" }
        if r.stats.unattributed > 0 { logFacts += ", \(ReportFormat.unattributed(r.stats.unattributed))" }
        fact("Log contents", logFacts)
        h += "</dl></section>\n"
        // Summary table.
        h += "<section class=\"records\"><h2>Records</h2>\n<table class=\"summary\"><thead><tr><th>Status</th><th>Record</th><th>Title</th><th>Reason</th></tr></thead><tbody>\n"
        for v in r.verdicts {
            h += "<tr class=\"\(v.status.rawValue)\"><td>\(badge(v.status))</td><td><a href=\"#\(attr(v.id))\">\(esc(v.id))</a></td>"
            h += "<td>\(esc(v.title))\(v.required ? "" : " <span class=\"muted\">(optional)</span>")</td><td>\(esc(CIRecord.reason(v)))</td></tr>\n"
        }
        h += "</tbody></table></section>\n"
        // Timeline.
        h += "<section class=\"tl\"><h2>Timeline</h2>\n"
        h += Timeline.svg(r.verdicts, start: r.stats.firstAt, end: r.stats.lastAt, title: "Timeline of the \(type) run") + "\n</section>\n"
        // Notes.
        if !r.warnings.isEmpty || !r.unknownEventTypes.isEmpty {
            h += "<section class=\"notes\"><h2>Notes</h2><ul>\n"
            for w in r.warnings { h += "<li>\(esc(w))</li>\n" }
            if !r.unknownEventTypes.isEmpty {
                h += "<li>Webhook event types no record uses: " + esc(r.unknownEventTypes.map { "\($0.eventType) (\($0.count))" }.joined(separator: ", ")) + "</li>\n"
            }
            h += "</ul></section>\n"
        }
        // The spec check of a proxy's log, both sides.
        if let note = ReportFormat.specFindingsNote(r) {
            h += "<section class=\"spec\"><h2>OpenAPI conformance</h2>\n<p>\(esc(note))</p>\n"
            if !r.specFindings.isEmpty {
                h += "<ul>\n" + r.specFindings.map { "<li>\(esc(ReportFormat.specFindingLine($0)))</li>\n" }.joined() + "</ul>\n"
            }
            h += "</section>\n"
        }
        // What holds for every record.
        if !r.policies.isEmpty {
            h += "<section class=\"policies\"><h2>Policies for every record</h2>\n" + sourceList(r.policies.flatMap(SourceLine.lines)) + "</section>\n"
        }
        // One section per record.
        for v in r.verdicts { h += record(v, r) }
        h += "</main>\n<footer>Generated by \(esc(Harness.name)) from \(esc(source.log))"
        if let s = source.logSHA256 { h += " (sha256 <span class=\"mono\">\(esc(s))</span>)" }
        h += ". Verify with <code>otter-cert verify report.json \(esc(Reproduce.shellQuote(source.log)))</code>.</footer>\n</body>\n</html>\n"
        return h
    }

    static func record(_ v: Verdict, _ r: EvaluationResult) -> String {
        let start = r.stats.firstAt
        var h = "<section class=\"record \(v.status.rawValue)\" id=\"\(attr(v.id))\">\n"
        h += "<h2>\(badge(v.status)) <span class=\"rid\">\(esc(v.id))</span> \(esc(v.title))\(v.required ? "" : " <span class=\"muted\">(optional)</span>")</h2>\n"
        h += "<p class=\"reason\">\(esc(CIRecord.reason(v)))</p>\n"
        h += "<p class=\"rationale\">\(esc(v.rationale))</p>\n"
        if let s = v.source {
            h += "<div class=\"source\"><div class=\"sh\">Source: \(esc(SourceLine.kind(v)))</div>" + sourceList(SourceLine.lines(s)) + "</div>\n"
        }
        if !v.checks.isEmpty {
            h += "<h3>Checks</h3>\n<table class=\"checks\"><tbody>\n"
            for c in v.checks {
                h += "<tr class=\"\(c.status.rawValue)\"><td>\(badge(c.status))</td><td class=\"mono\">\(esc(c.label))</td><td>\(esc(c.reason))"
                if c.expected != nil || c.seen != nil {
                    let (e, s) = highlight(c.expected ?? "", c.seen ?? "")
                    h += "<div class=\"evs\"><div class=\"exp\"><span>expected</span><code>\(c.expected == nil ? "—" : e)</code></div>"
                    h += "<div class=\"seen\"><span>seen</span><code>\(c.seen == nil ? "—" : s)</code></div></div>"
                }
                if let s = c.source { h += "<div class=\"csrc\">" + sourceList(SourceLine.lines(s)) + "</div>" }
                for (rule, s) in c.fieldSources {
                    h += "<div class=\"csrc\"><span class=\"mono\">\(esc(rule))</span>" + sourceList(SourceLine.lines(s)) + "</div>"
                }
                h += "</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        if v.status != .passed && !v.evidence.isEmpty {
            h += Timeline.svg([v], title: "Timeline of \(v.id)") + "\n"
        }
        if !v.deadlines.isEmpty {
            h += "<p class=\"deadlines\">Deadlines: " + v.deadlines.map { "\(esc($0.label)) at \(esc(Timestamp.format($0.at))) <span class=\"muted\">(\(esc(ReportFormat.offset($0.at, from: start))))</span>" }.joined(separator: "; ") + "</p>\n"
        }
        if !v.evidence.isEmpty {
            h += "<h3>Evidence</h3>\n"
            for e in v.evidence { h += evidence(e, start: start) }
        }
        h += "<h3>How to reproduce</h3>\n"
        let curls = v.evidence.compactMap { e in Reproduce.curl(e.entry).map { (e, $0) } }
        if !curls.isEmpty {
            h += "<p>Re-send the webhooks in order (each signed with your secret from <code>$OTTER_CERT_WEBHOOK_SECRET</code>):</p>\n"
            for (e, c) in curls.prefix(6) {
                h += "<p class=\"muted\">#\(e.entry.seq) \(esc(e.role.rawValue)): \(esc(e.note))</p><pre class=\"cmd\">\(esc(c))</pre>\n"
            }
        }
        h += "<p>Run this record again with the harness:</p>\n<pre class=\"cmd\">\(esc(Reproduce.run(type: r.integrationType.rawValue, recordId: v.id, run: r.run)))</pre>\n"
        h += "<p class=\"top\"><a href=\"#top\">↑ records</a></p>\n</section>\n"
        return h
    }

    static func evidence(_ e: Evidence, start: Double?) -> String {
        let entry = e.entry
        let bad = e.role == .closestMiss || e.role == .violation
        var h = "<div class=\"ev\(bad ? " bad" : "")\">\n<div class=\"evh\"><span class=\"role\">\(esc(e.role.rawValue))</span> "
        h += "<span class=\"mono\">#\(entry.seq) \(esc(entry.kind.rawValue))"
        if let d = entry.direction { h += " \(esc(d.rawValue))" }
        h += "</span> "
        if let req = entry.request { h += "<b class=\"mono\">\(esc(req.method)) \(esc(ReportMask.url(req.path)))</b> " }
        if let resp = entry.response { h += "→ <b class=\"\((200..<300).contains(resp.status) ? "st-ok" : "st-ko")\">\(resp.status)</b> " }
        if let err = entry.error { h += "→ <b class=\"st-ko\">no response: \(esc(err.kind)): \(esc(err.message))</b> " }
        h += "<span class=\"muted\">\(esc(Timestamp.format(entry.startedAt))) (\(esc(ReportFormat.offset(entry.startedAt, from: start)))) · \(esc(ReportFormat.duration(entry.durationMs)))"
        if let a = entry.attempt { h += " · attempt \(a)" }
        if !entry.tags.isEmpty { h += " · tags: \(esc(entry.tags.joined(separator: ", ")))" }
        h += "</span></div>\n<p class=\"note\">\(esc(e.note))</p>\n"
        if let a = entry.action {
            h += "<p class=\"mono\">action \(esc(a.name)): \(esc(a.outcome))\(a.message.map { " — " + esc($0) } ?? "")</p>\n"
        }
        if let req = entry.request {
            h += "<div class=\"msg\"><div class=\"mh\">Request <span class=\"mono\">\(esc(req.method)) \(esc(ReportMask.url(req.url)))</span></div>" + message(req) + "</div>\n"
        }
        if let resp = entry.response {
            h += "<div class=\"msg\"><div class=\"mh\">Response <span class=\"mono\">\(resp.status)</span></div>" + message(resp) + "</div>\n"
        }
        h += "</div>\n"
        return h
    }

    static func message(_ m: Message) -> String {
        var h = ""
        if !m.headers.isEmpty {
            h += "<table class=\"hdrs\"><tbody>"
            for hd in ReportMask.headers(m.headers) { h += "<tr><th>\(esc(hd.name))</th><td>\(esc(hd.value))</td></tr>" }
            h += "</tbody></table>"
        }
        if m.body.isEmpty { h += "<p class=\"muted\">(empty body)</p>" } else { h += "<pre class=\"body\">\(esc(ReportMask.prettyBody(m.body)))</pre>" }
        return h
    }

    /// Escaped expected and seen values, with the part where they differ wrapped in `<mark>`.
    static func highlight(_ a: String, _ b: String) -> (String, String) {
        let x = Array(a), y = Array(b)
        var p = 0
        while p < x.count, p < y.count, x[p] == y[p] { p += 1 }
        var q = 0
        while q < x.count - p, q < y.count - p, x[x.count - 1 - q] == y[y.count - 1 - q] { q += 1 }
        func wrap(_ c: [Character]) -> String {
            let mid = String(c[p..<(c.count - q)])
            return esc(String(c[..<p])) + (mid.isEmpty ? "" : "<mark>" + esc(mid) + "</mark>") + esc(String(c[(c.count - q)...]))
        }
        if a == b { return (esc(a), esc(b)) }
        return (wrap(x), wrap(y))
    }

    /// Source lines as a list, each marked `spec`, `policy` or `process document`.
    static func sourceList(_ lines: [SourceLine]) -> String {
        "<ul class=\"src\">" + lines.map { l in
            let text = l.quote.map { (l.cited.map { "<span class=\"mono\">\(esc($0))</span>: " } ?? "") + "<q>\(esc($0))</q>" } ?? esc(l.text)
            return "<li><span class=\"tag \(l.kind == .spec ? "spec" : "policy")\">\(esc(l.kind.rawValue))</span> \(text)</li>"
        }.joined() + "</ul>"
    }

    static func badge(_ s: Verdict.Status) -> String { "<span class=\"badge \(s.rawValue)\">\(ReportFormat.word(s))</span>" }
    static func esc(_ s: String) -> String { XMLEscape.escape(s) }
    static func attr(_ s: String) -> String { XMLEscape.attribute(s) }

    static let css = """
    :root { --ok:#2e7d32; --ko:#c62828; --skip:#955800; --fg:#111827; --muted:#6b7280; --line:#e5e7eb; }
    * { box-sizing: border-box; }
    body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:#fff; }
    main { max-width: 1100px; margin: 0 auto; padding: 0 24px 24px; }
    .banner { padding: 22px 24px; color:#fff; text-align:center; }
    .banner.ok { background: var(--ok); } .banner.ko { background: var(--ko); }
    .banner .verdict { font-size: 44px; font-weight: 800; letter-spacing: .04em; margin: 0; }
    .banner .sub { font-size: 17px; margin-top: 4px; } .banner a { color:#fff; }
    h2 { font-size: 20px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 14px 0 6px; color:#374151; }
    dl { display:grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin:0; }
    dt { color: var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
    .mono, code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
    table { border-collapse: collapse; width: 100%; }
    td, th { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align:left; vertical-align: top; }
    .summary tr.failed td { background: #fdecea; } .summary tr.skipped td { background: #fff6e5; }
    .badge { display:inline-block; min-width: 44px; text-align:center; color:#fff; font-weight:700; font-size:12px; border-radius:4px; padding:1px 6px; }
    .badge.passed { background: var(--ok); } .badge.failed { background: var(--ko); } .badge.skipped { background: var(--skip); }
    .muted { color: var(--muted); }
    .record { border: 1px solid var(--line); border-left: 6px solid var(--ok); border-radius: 6px; padding: 4px 16px 10px; margin: 22px 0; }
    .record.failed { border-left-color: var(--ko); } .record.skipped { border-left-color: var(--skip); }
    .record h2 { border: 0; } .rid { font-family: ui-monospace, monospace; }
    .reason { font-weight: 600; } .record.failed .reason { color: var(--ko); } .record.skipped .reason { color: var(--skip); }
    .evs { display:grid; grid-template-columns: 1fr 1fr; gap: 6px; margin-top: 4px; }
    .evs > div { border-radius: 4px; padding: 4px 8px; overflow-wrap:anywhere; }
    .evs span { display:block; font-size: 11px; text-transform: uppercase; color: var(--muted); }
    .exp { background: #e8f5e9; border: 1px solid #a5d6a7; } .seen { background: #fdecea; border: 1px solid #ef9a9a; }
    mark { background: #ffd54f; color: inherit; font-weight: 700; }
    .ev { border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; margin: 8px 0; }
    .ev.bad { border-color: var(--ko); background: #fffafa; }
    .role { display:inline-block; background:#374151; color:#fff; font-size:11px; border-radius:3px; padding:0 5px; }
    .ev.bad .role { background: var(--ko); }
    .st-ok { color: var(--ok); } .st-ko { color: var(--ko); }
    .source { background: #f8fafc; border: 1px solid var(--line); border-radius: 4px; padding: 4px 10px; margin: 6px 0; }
    .source .sh { font-size: 12px; font-weight: 700; color: #374151; text-transform: uppercase; }
    ul.src { list-style: none; margin: 2px 0; padding: 0; } ul.src li { margin: 2px 0; overflow-wrap: anywhere; }
    .csrc { margin-top: 4px; font-size: 13px; color: #374151; }
    .tag { display:inline-block; min-width: 44px; text-align:center; color:#fff; font-size:11px; font-weight:700; border-radius:3px; padding:0 5px; }
    .tag.spec { background: #1d4ed8; } .tag.policy { background: #7c3aed; }
    .note { margin: 4px 0; }
    .msg { margin: 4px 0 6px; } .mh { font-weight: 600; font-size: 13px; }
    .hdrs th { width: 220px; font-weight: 500; color: #374151; font-family: ui-monospace, monospace; font-size: 12px; }
    .hdrs td { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap:anywhere; }
    pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
    pre.cmd { background: #111827; color: #f9fafb; }
    svg.timeline { display:block; margin: 6px 0; max-width: 100%; height: auto; }
    footer { max-width: 1100px; margin: 0 auto; padding: 12px 24px 40px; color: var(--muted); font-size: 13px; overflow-wrap:anywhere; }
    /* A passing record's long bodies scroll; a failing record's are shown whole, so the field that failed is never cut off. */
    @media screen { .record.passed pre.body { max-height: 420px; overflow: auto; } }
    @media print {
      body { font-size: 11pt; } main { max-width: none; padding: 0; }
      .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      .badge, .exp, .seen, mark, pre.cmd, .role, .summary td, .tag { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      /* On paper the failures come first and the passing records fold to their title and reason, so a run of 16
         records prints in a few pages with what must be fixed on page 1 or 2. */
      main { display: flex; flex-direction: column; }
      main > section { order: 2; } main > section.facts, main > section.records { order: 0; }
      main > .record.failed, main > .record.skipped { order: 1; }
      main > .record.passed { order: 3; margin: 4px 0; padding: 2px 12px; }
      .record.passed > :not(h2):not(.reason) { display: none; } .summary tr.passed { display: none; }
      .record.passed h2 { font-size: 12pt; margin: 4px 0; } .record.passed .reason { margin: 0 0 4px; font-weight: 400; }
      .top { display: none; }
      .ev, tr, svg.timeline, .record.passed { break-inside: avoid; }
      a { color: inherit; text-decoration: none; }
    }

    """
}
