import Foundation

/// The certification report as Markdown: a summary table and the failing records with their key evidence, for an issue or an email.
public enum ReportMarkdown {
    /// Renders the Markdown. Deterministic.
    public static func render(_ r: EvaluationResult, source: ReportSource) -> String {
        let type = r.integrationType.rawValue
        var m = "## otter-cert: \(r.partial ? "◐" : r.certified ? "✅" : "❌") \(ReportFormat.headline(r)) (\(md(type)))\n\n"
        if let note = ReportFormat.coverageNote(r) { m += "**\(md(note))**\n\n" }
        for b in r.blockers { m += "**Not certified:** \(md(b))\n\n" }
        m += "**\(r.count(.passed)) passed, \(r.count(.failed)) failed, \(r.count(.skipped)) skipped** of \(r.verdicts.count) records.\n\n"
        var facts: [(String, String)] = []
        if let u = r.run?.partnerURL { facts.append(("Partner URL", code(ReportMask.url(u)))) }
        if let s = r.run?.storeId { facts.append(("Store", code(s))) }
        if let a = r.run?.extra["attempt"]?.intValue { facts.append(("Certification attempt", md(String(a)))) }
        if let tls = ReportFormat.tlsNote(r) { facts.append(("⚠ TLS verification", md(String(tls.dropFirst("TLS verification ".count))))) }
        facts.append(("Date", md(ReportFormat.date(r))))
        facts.append(("Harness", md(Harness.name)))
        facts.append(("Checklist", md("\(type) \(r.checklistVersion)") + (ReportFormat.checklistSHA(r, source).map { " (sha256 " + code($0) + ")" } ?? "")))
        facts.append(("Event log", code(source.log) + (source.logSHA256.map { " (sha256 " + code($0) + ")" } ?? "")))
        for (k, v) in facts { m += "- **\(k):** \(v)\n" }
        m += "\n| Status | Record | Title | Source | Reason |\n|---|---|---|---|---|\n"
        for v in r.verdicts {
            m += "| \(icon(v.status)) \(ReportFormat.word(v.status)) | \(md(v.id)) | \(md(v.title))\(v.required ? "" : " (optional)") | \(md(SourceLine.kind(v))) | \(md(CIRecord.reason(v))) |\n"
        }
        if !r.policies.isEmpty {
            m += "\nSource: *spec* is what the Otter OpenAPI states, *policy* what Otter's certification adds. Policies for every record:\n\n"
            for l in r.policies.flatMap(SourceLine.lines) { m += "- " + line(l) + "\n" }
        }
        if let note = ReportFormat.specFindingsNote(r) {
            m += "\n### OpenAPI conformance\n\n\(md(note))\n"
            if !r.specFindings.isEmpty { m += "\n" + r.specFindings.map { "- " + md(ReportFormat.specFindingLine($0)) + "\n" }.joined() }
        }
        let failing = r.verdicts.filter { $0.status != .passed }
        if !failing.isEmpty {
            m += "\n### Records not passed\n"
            for v in failing {
                m += "\n#### \(icon(v.status)) \(md(v.id)) \(md(v.title))\n\n"
                m += "**Reason:** \(md(v.reason))\n\n"
                if !v.rationale.isEmpty { m += "**How to fix:** \(md(v.rationale))\n\n" }
                if let s = v.source {
                    m += "**Source (\(md(s.kind.rawValue))):**\n\n"
                    for l in SourceLine.lines(s) { m += "- " + line(l) + "\n" }
                    m += "\n"
                }
                for c in v.checks where c.status != .passed {
                    m += "- \(ReportFormat.word(c.status)) \(code(c.label)): \(md(c.reason))\n"
                    if let e = c.expected { m += "  - expected: \(code(e))\n" }
                    if let s = c.seen { m += "  - seen: \(code(s))\n" }
                    if let s = c.source { for l in SourceLine.lines(s) { m += "  - source: " + line(l) + "\n" } }
                    for (rule, s) in c.fieldSources { for l in SourceLine.lines(s) { m += "  - source of \(code(rule)): " + line(l) + "\n" } }
                }
                let key = v.evidence.filter { $0.role == .trigger || $0.role == .closestMiss || $0.role == .violation || $0.role == .attempt }
                if !key.isEmpty {
                    m += "\nEvidence:\n\n"
                    for e in key {
                        m += "- #\(e.entry.seq) **\(e.role.rawValue)** \(code(ReportFormat.exchange(e.entry))) at \(md(Timestamp.format(e.entry.startedAt))): \(md(e.note))\n"
                    }
                    if let miss = key.first(where: { $0.role == .closestMiss || $0.role == .violation }), let req = miss.entry.request, !req.body.isEmpty {
                        m += "\n" + fenced(ReportMask.prettyBody(req.body), lang: "json") + "\n"
                    }
                }
                m += "\nReproduce: " + code(Reproduce.run(type: type, recordId: v.id, run: r.run)) + "\n"
            }
        }
        if !r.warnings.isEmpty {
            m += "\n### Notes\n\n"
            for w in r.warnings { m += "- \(md(w))\n" }
        }
        return m
    }

    /// A source line: `**spec** operation X: “quote”`, `**policy** reason`.
    static func line(_ l: SourceLine) -> String {
        "**\(md(l.kind.rawValue))** " + (l.quote.map { (l.cited.map { code($0) + ": " } ?? "") + "“" + md($0) + "”" } ?? md(l.text))
    }

    static func icon(_ s: Verdict.Status) -> String {
        switch s { case .passed: return "✅"; case .failed: return "❌"; case .skipped: return "⏭️" }
    }

    /// Escapes text for Markdown (table cells included): no HTML, no emphasis, no line breaks.
    static func md(_ s: String) -> String {
        var out = ""
        for ch in XMLEscape.stripInvalid(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|": out += "\\|"
            case "\n", "\r", "\r\n", "\t": out += " "
            case "\\", "`", "*", "_", "[", "]", "#", "~": out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }

    /// Inline code, with a backtick fence longer than any run inside.
    static func code(_ s: String) -> String {
        let clean = XMLEscape.stripInvalid(s).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "¦")
        var longest = 0, run = 0
        for ch in clean { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: longest + 1)
        return fence + (longest > 0 ? " " + clean + " " : clean) + fence
    }

    /// A fenced code block whose fence cannot be closed by the content.
    static func fenced(_ s: String, lang: String) -> String {
        let clean = XMLEscape.stripInvalid(s)
        var longest = 0, run = 0
        for ch in clean { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + lang + "\n" + clean + "\n" + fence + "\n"
    }
}
