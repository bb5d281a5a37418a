import Foundation

/// The certification report as JUnit XML (`<testsuites>` root), for CI readers (GitLab, Jenkins, GitHub).
public enum ReportJUnit {
    /// Renders the XML: one test suite for the run, one test case per record. Deterministic.
    public static func render(_ r: EvaluationResult, source: ReportSource) -> String {
        let type = r.integrationType.rawValue
        let suite = "otter-cert.\(type)"
        let failures = r.count(.failed), skipped = r.count(.skipped), total = r.verdicts.count
        let time = seconds((r.stats.lastAt ?? 0) - (r.stats.firstAt ?? 0))
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"\(a(suite))\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(time)\">\n"
        x += "  <testsuite name=\"\(a(suite))\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(time)\""
        if let f = r.stats.firstAt { x += " timestamp=\"\(a(String(Timestamp.format(f).dropLast())))\"" }
        x += ">\n    <properties>\n"
        var props: [(String, String)] = [("certified", r.certified ? "true" : "false"), ("integrationType", type),
                                         ("harness", Harness.name), ("checklistVersion", r.checklistVersion)]
        if let s = ReportFormat.checklistSHA(r, source) { props.append(("checklistSha256", s)) }
        props.append(("log", source.log))
        if let s = source.logSHA256 { props.append(("logSha256", s)) }
        if let u = r.run?.partnerURL { props.append(("partnerUrl", ReportMask.url(u))) }
        if let s = r.run?.storeId { props.append(("storeId", s)) }
        for (k, v) in props { x += "      <property name=\"\(a(k))\" value=\"\(a(v))\"/>\n" }
        x += "    </properties>\n"
        for v in r.verdicts {
            x += "    <testcase classname=\"\(a(type))\" name=\"\(a(v.id + " " + v.title))\" time=\"\(seconds(duration(v)))\""
            switch v.status {
            case .passed:
                x += "/>\n"
            case .failed:
                x += ">\n      <failure message=\"\(a(v.reason))\" type=\"\(v.required ? "required" : "optional")\">\(t(summary(v, r)))</failure>\n    </testcase>\n"
            case .skipped:
                x += ">\n      <skipped message=\"\(a(v.reason))\"/>\n    </testcase>\n"
            }
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    /// How long a record took: its trigger to the end of its last exchange.
    static func duration(_ v: Verdict) -> Double {
        guard let st = v.startedAt else { return 0 }
        let end = v.evidence.map { $0.entry.startedAt + $0.entry.durationMs / 1000 }.max() ?? st
        return max(0, end - st)
    }

    /// The failure's text: reason, failed checks with expected/seen, evidence lines and how to reproduce.
    static func summary(_ v: Verdict, _ r: EvaluationResult) -> String {
        var lines = ["\(v.id) \(v.title)", "Reason: \(v.reason)"]
        for c in v.checks where c.status != .passed {
            var l = "- \(ReportFormat.word(c.status)) \(c.label): \(c.reason)"
            if let e = c.expected { l += " [expected: \(e)]" }
            if let s = c.seen { l += " [seen: \(s)]" }
            lines.append(l)
        }
        if !v.evidence.isEmpty { lines.append("Evidence:") }
        for e in v.evidence { lines.append("  #\(e.entry.seq) \(e.role.rawValue) \(Timestamp.format(e.entry.startedAt)) \(ReportFormat.exchange(e.entry)): \(e.note)") }
        lines.append("Reproduce: " + Reproduce.run(type: r.integrationType.rawValue, recordId: v.id, run: r.run))
        return ReportMask.text(lines.joined(separator: "\n"))
    }

    static func seconds(_ s: Double) -> String { String(format: "%.3f", max(0, s)) }
    static func a(_ s: String) -> String { XMLEscape.attribute(ReportMask.text(s)) }
    static func t(_ s: String) -> String { XMLEscape.escape(s) }
}
