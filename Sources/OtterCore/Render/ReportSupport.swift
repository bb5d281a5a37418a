import Foundation

/// Defensive masking of secrets in report output. The log is redacted already; this catches what slipped through.
public enum ReportMask {
    /// The marker written for a secret value found in clear.
    public static let marker = "<redacted>"

    /// Header names whose values are credentials.
    public static let secretHeaders: Set<String> = Redactor.secretHeaders.union(["x-otter-client-secret", "x-webhook-secret"])

    /// Keys whose values are credentials in a form or JSON body, or a URL query.
    public static let secretKeys: [String] = Redactor.secretKeys.union(["client_secret", "access_token", "api_key", "apikey"]).sorted()

    /// Whether a value already is a redaction marker.
    static func isMasked(_ v: Substring) -> Bool { v.hasPrefix("<redacted") && v.hasSuffix(">") }

    /// A header's value with any credential masked (the auth scheme stays readable).
    public static func headerValue(name: String, value: String) -> String {
        guard secretHeaders.contains(name.lowercased()) else { return value }
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, ["bearer", "basic", "token", "digest"].contains(parts[0].lowercased()) {
            return isMasked(parts[1]) ? value : parts[0] + " " + marker
        }
        return isMasked(Substring(value)) ? value : marker
    }

    /// Headers with credentials masked.
    public static func headers(_ hs: [(name: String, value: String)]) -> [(name: String, value: String)] {
        hs.map { ($0.name, headerValue(name: $0.name, value: $0.value)) }
    }

    /// A URL with user information and secret query parameters masked.
    public static func url(_ s: String) -> String {
        var s = s
        if let scheme = s.range(of: "://") {
            let rest = s[scheme.upperBound...]
            let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            if let at = rest[..<hostEnd].lastIndex(of: "@") {
                s.replaceSubrange(scheme.upperBound..<at, with: marker)
            }
        }
        return text(s)
    }

    /// A body (JSON, form or anything else) with the values of secret keys masked.
    public static func body(_ s: String) -> String { text(s) }

    /// Masks `key=value` and `"key": "value"` occurrences of every secret key in free text.
    public static func text(_ input: String) -> String {
        var s = input
        for key in secretKeys {
            var from = s.startIndex
            while let r = s.range(of: key, options: .caseInsensitive, range: from..<s.endIndex) {
                from = r.upperBound
                // Form or query: key=value, the key starting the text or after & ? or whitespace.
                let before = r.lowerBound == s.startIndex ? nil : s[s.index(before: r.lowerBound)]
                if r.upperBound < s.endIndex, s[r.upperBound] == "=", before == nil || "&?; \n\t".contains(before!) {
                    let vStart = s.index(after: r.upperBound)
                    let vEnd = s[vStart...].firstIndex(where: { "&; \n\t\"'".contains($0) }) ?? s.endIndex
                    let v = s[vStart..<vEnd]
                    if !v.isEmpty && !isMasked(v) && !(v.hasPrefix("%3Credacted")) {
                        s.replaceSubrange(vStart..<vEnd, with: marker)
                        from = s.index(vStart, offsetBy: marker.count)
                    }
                    continue
                }
                // JSON: "key" : "value"
                guard before == "\"", r.upperBound < s.endIndex, s[r.upperBound] == "\"" else { continue }
                var i = s.index(after: r.upperBound)
                while i < s.endIndex, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i = s.index(after: i) }
                guard i < s.endIndex, s[i] == ":" else { continue }
                i = s.index(after: i)
                while i < s.endIndex, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i = s.index(after: i) }
                guard i < s.endIndex, s[i] == "\"" else { continue }
                let vStart = s.index(after: i)
                var j = vStart
                var escaped = false
                while j < s.endIndex {
                    if escaped { escaped = false } else if s[j] == "\\" { escaped = true } else if s[j] == "\"" { break }
                    j = s.index(after: j)
                }
                let v = s[vStart..<j]
                if !v.isEmpty && !isMasked(v) {
                    s.replaceSubrange(vStart..<j, with: marker)
                    from = s.index(vStart, offsetBy: marker.count)
                } else {
                    from = j
                }
            }
        }
        return s
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
            if ReportMask.secretHeaders.contains(h.name.lowercased()) {
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
    public static func run(type: String, recordId: String, run: RunNote?) -> String {
        var s = "otter-cert run --type " + shellQuote(type) + " --only " + shellQuote(recordId)
        if let u = run?.partnerURL { s += " --partner-url " + shellQuote(ReportMask.url(u)) }
        if let store = run?.storeId { s += " --store-id " + shellQuote(store) }
        if let sandbox = run?.extra["sandboxUrl"]?.stringValue, let r = sandbox.range(of: "://") {
            s += " --sandbox-listen " + shellQuote(String(sandbox[r.upperBound...]))
        }
        return s
    }
}

/// Small formatting helpers shared by the report renderers.
enum ReportFormat {
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
