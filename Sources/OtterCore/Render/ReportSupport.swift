import Foundation

/// Defensive masking of secrets in report output. The log is redacted already (by name and by value); this catches
/// what slipped through, by name (`SecretNames`), with the same rules as the log's `Redactor`.
public enum ReportMask {
    /// The marker written for a secret value found in clear.
    public static let marker = "<redacted>"

    /// Header names whose values are credentials (every name `Redactor.isSecretHeader` accepts counts).
    public static let secretHeaders: Set<String> = Redactor.secretHeaders

    /// Keys whose values are credentials in a form or JSON body, or a URL query (every spelling `SecretNames` accepts counts).
    public static let secretKeys: [String] = Redactor.secretKeys.union(["api_key", "apikey"]).sorted()

    /// Whether a value already is a redaction marker.
    static func isMasked(_ v: Substring) -> Bool { SecretText.isMasked(v) }

    /// Whether a header's value is a credential.
    public static func isSecretHeader(_ name: String) -> Bool { Redactor.isSecretHeader(name) }

    /// A header's value with any credential masked (the auth scheme stays readable).
    public static func headerValue(name: String, value: String) -> String {
        guard isSecretHeader(name) else { return value }
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, Redactor.schemes.contains(parts[0].lowercased()) {
            return isMasked(parts[1]) ? value : parts[0] + " " + marker
        }
        return isMasked(Substring(value)) ? value : marker
    }

    /// Headers with credentials masked.
    public static func headers(_ hs: [(name: String, value: String)]) -> [(name: String, value: String)] {
        hs.map { ($0.name, headerValue(name: $0.name, value: $0.value)) }
    }

    /// A URL with user information and secret query parameters masked. Every place that shows or stores the
    /// partner URL goes through this (reports) or `Redactor.url` (the log, the terminal), which mask it alike.
    public static func url(_ s: String) -> String {
        SecretText.maskURL(s) { _, _ in marker }
    }

    /// A body (JSON, form or anything else) with the values of secret keys masked.
    public static func body(_ s: String) -> String { text(s) }

    /// Masks `key=value` and `"key": value` occurrences of every secret name in free text.
    public static func text(_ input: String) -> String {
        SecretText.maskNamed(input) { _, _ in marker }
    }

    /// A masked body, pretty-printed when it is JSON.
    public static func prettyBody(_ s: String) -> String {
        let masked = body(s)
        let trimmed = masked.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        if trimmed.first == "{" || trimmed.first == "[", let v = try? JSONValue.parse(masked) {
            return v.serialized(pretty: true)
        }
        return masked
    }
}

/// Commands that reproduce a record: the webhook re-sent with `curl`, and the harness run of that record alone.
public enum Reproduce {
    /// Quotes a string for a POSIX shell (single quotes; `'` becomes `'\''`).
    public static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Headers never copied into the curl command: computed by curl or by the command itself.
    static let skippedHeaders: Set<String> = ["host", "content-length", "x-hmac-sha256", "connection", "accept-encoding", "transfer-encoding", "user-agent"]

    /// A shell snippet re-sending the webhook of `entry` with its exact body, signed with `$OTTER_CERT_WEBHOOK_SECRET`; nil unless a webhook.
    public static func curl(_ entry: LogEntry) -> String? {
        guard entry.kind == .webhook, let req = entry.request else { return nil }
        let body = ReportMask.body(req.body)
        var lines: [String] = []
        lines.append(": \"${PARTNER_URL:=\(shellDoubleQuoteSafe(ReportMask.url(req.url)))}\"")
        lines.append("body=" + shellQuote(body))
        lines.append("sig=$(printf '%s' \"$body\" | openssl dgst -sha256 -hmac \"$OTTER_CERT_WEBHOOK_SECRET\" -binary | base64)")
        var curl = "curl -sS -i -X " + shellQuote(req.method.isEmpty ? "POST" : req.method) + " \"$PARTNER_URL\""
        var hasContentType = false
        for h in req.headers where !skippedHeaders.contains(h.name.lowercased()) {
            if h.name.lowercased() == "content-type" { hasContentType = true }
            if ReportMask.isSecretHeader(h.name) {
                curl += " \\\n  -H \"\(shellDoubleQuoteSafe(h.name)): $OTTER_CERT_WEBHOOK_AUTH\""
            } else {
                curl += " \\\n  -H " + shellQuote(h.name + ": " + ReportMask.headerValue(name: h.name, value: h.value))
            }
        }
        if !hasContentType { curl += " \\\n  -H 'Content-Type: application/json'" }
        curl += " \\\n  -H \"X-HMAC-SHA256: $sig\" \\\n  --data-raw \"$body\""
        lines.append(curl)
        return lines.joined(separator: "\n")
    }

    /// Text safe inside a double-quoted shell word: every character but letters, digits and `:/._-?=&%+,@~` is dropped.
    static func shellDoubleQuoteSafe(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ":/._-?=&%+,@~[]".unicodeScalars.contains($0)) }.map(Character.init))
    }

    /// The harness command running one record again against the same partner.
    /// A demo's record is rerun with `demo --only`; a run's with the partner URL, sandbox address (as given: never
    /// the ephemeral port a `:0` run happened to bind) and action hook that run was given.
    public static func run(type: String, recordId: String, run: RunNote?) -> String {
        if run?.extra["demo"]?.boolValue == true {
            return "otter-cert demo --type " + shellQuote(type) + " --only " + shellQuote(recordId)
        }
        var s = "otter-cert run --type " + shellQuote(type) + " --only " + shellQuote(recordId)
        if let u = run?.partnerURL { s += " --partner-url " + shellQuote(ReportMask.url(u)) }
        if let store = run?.storeId { s += " --store-id " + shellQuote(store) }
        if let given = run?.extra["sandboxListen"]?.stringValue {
            s += " --sandbox-listen " + shellQuote(given)
        } else if let sandbox = run?.extra["sandboxUrl"]?.stringValue, let r = sandbox.range(of: "://") {
            s += " --sandbox-listen " + shellQuote(String(sandbox[r.upperBound...]))
        }
        if let hook = run?.extra["actionHook"]?.stringValue { s += " --action-hook " + shellQuote(hook) }
        return s
    }
}

/// Small formatting helpers shared by the report renderers.
enum ReportFormat {
    /// The TLS note every format shows when the partner's certificate was not verified (`--insecure`), nil otherwise.
    static func tlsNote(_ r: EvaluationResult) -> String? {
        guard let tls = r.run?.extra["tlsVerification"]?.stringValue else { return nil }
        let allowed = r.run?.extra["insecureCertificationAllowed"]?.boolValue == true
        return "TLS verification \(tls)" + (allowed ? "; certification allowed anyway by --allow-insecure-certification" : "")
    }

    /// What the spec check of a proxy's log found, in one sentence, with the sides named; nil when the log was not
    /// checked. `Spec findings: 2 on Otter's side (findings about Otter, not the partner's failures), none on the partner's.`
    static func specFindingsNote(_ r: EvaluationResult) -> String? {
        guard r.specChecked else { return nil }
        let otter = otterSpecFindings(r), partner = r.specFindings.count - otter
        if r.specFindingCount == 0 { return "Spec check: every exchange of both sides is as the OpenAPI description says." }
        func n(_ k: Int) -> String { k == 0 ? "none" : String(k) }
        var s = "Spec findings: \(n(otter)) on Otter's side" + (otter > 0 ? " (findings about Otter, not the partner's failures)" : "")
            + ", \(n(partner)) on the partner's"
        if r.specFindingCount > r.specFindings.count { s += " (the first \(r.specFindings.count) of \(r.specFindingCount) are listed)" }
        return s + "."
    }

    /// How many of the listed spec findings are about Otter's side.
    static func otterSpecFindings(_ r: EvaluationResult) -> Int {
        r.specFindings.filter { $0.side == .otter }.count
    }

    /// One finding for a list: `Otter, line 12: POST /v1/orders → 200: $.id: missing required property "id"`.
    static func specFindingLine(_ f: SpecFinding) -> String {
        "\(f.side == .otter ? "Otter" : "partner"), line \(f.line): \(f.text)"
    }

    /// A blocker's short name for a test case: its text up to the first colon.
    static func blockerName(_ b: String) -> String { String(b.prefix { $0 != ":" }) }

    /// `3 requests belonging to no record (unattributed)`.
    static func unattributed(_ n: Int) -> String { "\(n) request\(n == 1 ? "" : "s") belonging to no record (unattributed)" }

    /// `CERTIFIED`, `NOT CERTIFIED` or `PARTIAL`: the one word every format leads with; a log not certified for the
    /// lines it could not read says so in it (`NOT CERTIFIED (1 unreadable line)`), since its records may all pass.
    static func headline(_ r: EvaluationResult) -> String {
        if r.partial { return "PARTIAL" }
        if r.certified { return "CERTIFIED" }
        return r.unreadableLines > 0 ? "NOT CERTIFIED (\(unreadableCount(r.unreadableLines)))" : "NOT CERTIFIED"
    }

    /// What a partial, carried-forward or incompletely read verdict must say beside its headline (nil for a plain full run).
    static func coverageNote(_ r: EvaluationResult) -> String? {
        var parts: [String] = []
        if r.partial {
            parts.append("partial: \(r.judged) of \(r.verdicts.count) records judged" + (r.interrupted ? ", the run was interrupted" : "")
                         + "; not a certification verdict")
        }
        if let note = unreadableNote(r) { parts.append(note) }
        if r.carried > 0 { parts.append("\(r.carried) record\(r.carried == 1 ? "" : "s") not rerun: verdict from the attempt that last ran it") }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }

    /// What the verdict must say about the log lines the reader skipped as unreadable (nil when it skipped none):
    /// why they keep the log from certifying (`--lenient`), or that they were ignored (`--lenient=ignore`).
    static func unreadableNote(_ r: EvaluationResult) -> String? {
        unreadableNote(count: r.stats.skippedLines, lines: r.stats.skippedLineNumbers, ignored: r.unreadableLinesIgnored,
                       notMet: "not certified", evidence: "evidence", judged: "the records are judged")
    }

    /// The same for any verdict: `notMet` is what the skipped lines make it ("not certified"), `evidence` what
    /// they could have held, `judged` what is still done without them ("the records are judged").
    static func unreadableNote(count: Int, lines: [Int], ignored: Bool, notMet: String, evidence: String, judged: String) -> String? {
        guard count > 0 else { return nil }
        let n = unreadableCount(count)
        let which = lines.isEmpty ? "" : lines.count == 1 && count == 1 ? " (line \(lines[0]))"
            : " (lines \(lines.map(String.init).joined(separator: ", "))\(count > lines.count ? ", … : the first \(lines.count) of \(count)" : ""))"
        if ignored {
            return "\(n) ignored\(which) with --lenient=ignore: the verdict is judged only from the lines that could be read"
        }
        return "\(notMet): \(n)\(which), skipped with --lenient: \(count == 1 ? "it" : "they") could have held \(evidence), so \(judged) "
            + "without \(count == 1 ? "it" : "them") (fix the log, or judge from what was read with --lenient=ignore)"
    }

    /// `1 unreadable line`, `3 unreadable lines`.
    static func unreadableCount(_ n: Int) -> String { "\(n) unreadable line\(n == 1 ? "" : "s")" }

    /// `12.3 ms` / `1.25 s`.
    static func duration(_ ms: Double) -> String {
        if ms < 1000 { return String(format: "%.1f ms", ms) }
        return String(format: "%.2f s", ms / 1000)
    }

    /// Offset from the start of the run: `+3.550 s`.
    static func offset(_ t: Double, from start: Double?) -> String {
        guard let start else { return "" }
        return String(format: "+%.3f s", t - start)
    }

    /// The date of the run (its first exchange), or `unknown`.
    static func date(_ r: EvaluationResult) -> String { r.stats.firstAt.map(Timestamp.format) ?? "unknown" }

    /// The checklist's SHA-256, from the source or the run line.
    static func checklistSHA(_ r: EvaluationResult, _ source: ReportSource) -> String? { source.checklistSHA256 ?? r.run?.checklistSHA256 }

    /// `PASS` / `FAIL` / `SKIP`.
    static func word(_ s: Verdict.Status) -> String {
        switch s { case .passed: return "PASS"; case .failed: return "FAIL"; case .skipped: return "SKIP" }
    }

    /// One line describing an exchange: `POST /v1/… → 204 (2.4 ms)`.
    static func exchange(_ e: LogEntry) -> String {
        if let a = e.action { return "action \(a.name): \(a.outcome)" + (a.message.map { " (\($0))" } ?? "") }
        var s = e.kind.rawValue
        if let r = e.request { s += " " + r.method + " " + ReportMask.url(r.path) }
        if let resp = e.response { s += " → \(resp.status)" }
        if let err = e.error { s += " → no response (\(err.kind): \(err.message))" }
        s += " (" + duration(e.durationMs) + ")"
        return s
    }
}

/// What the renderers for CI readers (JUnit, TAP) say about a record, so both say the same.
enum CIRecord {
    /// How a record shows to a CI reader: red only when certification needs it and it did not pass.
    enum Outcome: String {
        /// Passed.
        case passed
        /// A required record that failed: red.
        case requiredFailed = "required-failed"
        /// A required record that was not observed (skipped): red as well, since the run is not certified without it.
        case requiredNotObserved = "required-not-observed"
        /// An optional record that failed: shown, but not red (certification does not need it).
        case optionalFailed = "optional-failed"
        /// An optional record that was not observed.
        case optionalNotObserved = "optional-not-observed"

        /// Whether a CI reader must show it red (it keeps the run from being certified).
        var isRed: Bool { self == .requiredFailed || self == .requiredNotObserved }
    }

    static func outcome(_ v: Verdict) -> Outcome {
        switch (v.status, v.required) {
        case (.passed, _): return .passed
        case (.failed, true): return .requiredFailed
        case (.skipped, true): return .requiredNotObserved
        case (.failed, false): return .optionalFailed
        case (.skipped, false): return .optionalNotObserved
        }
    }

    /// The record's reason with each part given once: a passed record's reason joins every check's reason, and
    /// several checks often say the same (`nothing forbidden arrived within 5 s`).
    static func reason(_ v: Verdict) -> String {
        guard v.status == .passed, !v.checks.isEmpty, v.reason == v.checks.map(\.reason).joined(separator: "; ") else { return v.reason }
        var seen = Set<String>()
        return v.checks.map(\.reason).filter { seen.insert($0).inserted }.joined(separator: "; ")
    }

    /// The one-line message: the reason, saying what kind of not-passing it is when that is not the plain failure.
    static func message(_ v: Verdict) -> String {
        let r = reason(v)
        let bare = r.hasPrefix("not observed: ") ? String(r.dropFirst("not observed: ".count)) : r
        switch outcome(v) {
        case .passed, .requiredFailed: return r
        case .requiredNotObserved: return "required record not observed: " + bare
        case .optionalFailed: return "optional record failed: " + r
        case .optionalNotObserved: return "optional record not observed: " + bare
        }
    }

    /// When the record ended, as the run driver (`Runner.settle`) decides it: a record that passed is done after its
    /// last exchange and its quiet windows; one that did not pass waited for every deadline it had (a request that
    /// never came is waited for until it is due), and what arrived after its last deadline came after it ended.
    /// The record's own steps (trigger, setup, partner actions) always count whole; a token call is cited as the
    /// credential its calls used, not as a step, and may have happened anywhere in the run. Nil when the record
    /// never started.
    static func end(_ v: Verdict) -> Double? {
        guard let start = v.startedAt else { return nil }
        let lastDeadline = v.deadlines.map(\.at).max()
        var end = start
        for e in v.evidence where e.role != .token {
            var t = e.entry.startedAt + e.entry.durationMs / 1000
            let ownStep = e.role == .trigger || e.role == .setup || e.role == .action
            if !ownStep, v.status != .passed, let last = lastDeadline { t = min(t, last) }
            end = max(end, t)
        }
        for d in v.deadlines where d.kind == .quiet || v.status != .passed { end = max(end, d.at) }
        return end
    }

    /// How long the record took, in seconds: its trigger to its end (0 when it never started).
    static func duration(_ v: Verdict) -> Double {
        guard let start = v.startedAt, let end = end(v) else { return 0 }
        return max(0, end - start)
    }

    /// The run's span in seconds: its first exchange to its last exchange or the end of its last record.
    static func runDuration(_ r: EvaluationResult) -> Double {
        guard let first = r.stats.firstAt else { return 0 }
        let last = ([r.stats.lastAt ?? first] + r.verdicts.compactMap(end)).max() ?? first
        return max(0, last - first)
    }

    /// Where the record is in its checklist (`checklists/pos.json:297`), when the report knows the checklist file.
    static func location(_ v: Verdict, _ source: ReportSource) -> String? { source.checklist?.reference(v.id) }

    /// The text a reader acts on, one fact per line: where the record is, why it did not pass (each reason once),
    /// the checks that did not pass with expected and seen, how to fix it (the record's rationale), the evidence
    /// and how to reproduce it. Masked.
    static func details(_ v: Verdict, _ r: EvaluationResult, _ source: ReportSource) -> String {
        var lines = ["\(v.id) \(v.title) (\(v.required ? "required" : "optional"), \(v.status.rawValue))"]
        if let l = location(v, source) { lines.append("Checklist: \(l)") }
        let checkLines = v.checks.filter { $0.status != .passed }.map { c -> (String, String) in
            var l = "- \(ReportFormat.word(c.status)) \(c.label): \(c.reason)"
            if let e = c.expected { l += " [expected: \(e)]" }
            if let s = c.seen { l += " [seen: \(s)]" }
            return ("\(c.label): \(c.reason)", l)
        }
        if !checkLines.contains(where: { $0.0 == v.reason }) { lines.append("Reason: \(reason(v))") }
        lines += checkLines.map(\.1)
        if !v.rationale.isEmpty { lines.append("How to fix: \(v.rationale)") }
        if !v.evidence.isEmpty { lines.append("Evidence:") }
        for e in v.evidence { lines.append("  #\(e.entry.seq) \(e.role.rawValue) \(Timestamp.format(e.entry.startedAt)) \(ReportFormat.exchange(e.entry)): \(e.note)") }
        lines.append("Reproduce: " + Reproduce.run(type: r.integrationType.rawValue, recordId: v.id, run: r.run))
        return ReportMask.text(lines.joined(separator: "\n"))
    }
}

/// One line of a rule's source as reports show it: marked spec, policy or process document.
public struct SourceLine: Sendable {
    /// What the line is.
    public enum Kind: String, Sendable { case spec, policy, process = "process document" }
    /// Spec, policy, or the process document's words backing the policy.
    public var kind: Kind
    /// For a spec line, what is cited (`operation requestDeliveryQuoteCallback`).
    public var cited: String?
    /// For a spec or process line, the words quoted.
    public var quote: String?
    /// The line as plain text.
    public var text: String

    /// The kind of a record's source, and, when its checks' own sources make the whole record another kind, that
    /// too: `spec`, `spec+policy`, `spec (with its checks: spec+policy)`.
    public static func kind(_ v: Verdict) -> String {
        guard let s = v.source else { return "" }
        let whole = v.rulesSourceKind
            ?? RuleSource.Kind.combined([s] + v.checks.flatMap { c in [c.source].compactMap { $0 } + c.fieldSources.map(\.source) })
        return whole == s.kind ? s.kind.rawValue : "\(s.kind.rawValue) (with its checks: \(whole.rawValue))"
    }

    /// The lines of a source: each citation, then the policy, then the process document's words.
    public static func lines(_ s: RuleSource) -> [SourceLine] {
        var out = s.spec.map { SourceLine(kind: .spec, cited: $0.label, quote: $0.quote, text: "\($0.label): \"\($0.quote)\"") }
        if let p = s.policy { out.append(SourceLine(kind: .policy, cited: nil, quote: nil, text: p)) }
        if let q = s.process { out.append(SourceLine(kind: .process, cited: nil, quote: q, text: "\"\(q)\"")) }
        return out
    }
}
