import Foundation

/// Turns an evaluation into the plain lines a terminal or a CI log shows.
public struct VerdictText {
    /// How a status word and emphasis are drawn (colors in a terminal, plain text elsewhere).
    public struct Style: Sendable {
        /// Draws `PASS`.
        public var pass: @Sendable (String) -> String
        /// Draws `FAIL`.
        public var fail: @Sendable (String) -> String
        /// Draws `SKIP`.
        public var skip: @Sendable (String) -> String
        /// Draws emphasis.
        public var bold: @Sendable (String) -> String
        /// Draws secondary text.
        public var dim: @Sendable (String) -> String
        /// Plain text.
        public static let plain = Style(pass: { $0 }, fail: { $0 }, skip: { $0 }, bold: { $0 }, dim: { $0 })
        /// Creates a style.
        public init(pass: @escaping @Sendable (String) -> String, fail: @escaping @Sendable (String) -> String,
                    skip: @escaping @Sendable (String) -> String, bold: @escaping @Sendable (String) -> String,
                    dim: @escaping @Sendable (String) -> String) {
            self.pass = pass; self.fail = fail; self.skip = skip; self.bold = bold; self.dim = dim
        }
    }

    /// One record's line (and its reason on the next line when it did not pass). With `width`, the reason wraps
    /// under its own start instead of running on under the record ids.
    public static func line(_ v: Verdict, style: Style = .plain, width: Int? = nil) -> String {
        let word: String
        switch v.status {
        case .passed: word = style.pass("PASS")
        case .failed: word = style.fail("FAIL")
        case .skipped: word = style.skip("SKIP")
        }
        var s = "\(word)  \(v.id.padding(toLength: 7, withPad: " ", startingAt: 0)) \(v.title)"
        if !v.required { s += style.dim(" (optional)") }
        if let a = v.attempt { s += style.dim(" (attempt \(a))") }
        if v.status != .passed {
            let lead = String(repeating: " ", count: 6) + "└ "
            s += "\n" + (width.map { TextFit.wrap(v.reason, width: $0, lead: lead, indent: 8) } ?? lead + v.reason)
        }
        return s
    }

    /// The summary line: certified or not, and counts by status.
    public static func summary(_ r: EvaluationResult, style: Style = .plain) -> String {
        let word = ReportFormat.headline(r)
        let head = r.partial ? style.skip(word) : r.certified ? style.pass(word) : style.fail(word)
        let failedRequired = r.verdicts.filter { $0.required && $0.status != .passed }.map(\.id)
        var s = "\(style.bold(head)): \(r.count(.passed)) passed, \(r.count(.failed)) failed, \(r.count(.skipped)) skipped"
            + " of \(r.verdicts.count) records (\(r.integrationType.rawValue) checklist \(r.checklistVersion))"
        if let note = ReportFormat.coverageNote(r) { s += "\n" + note }
        for b in r.blockers { s += "\n" + style.fail("Not certified: ") + b }
        if r.blockers.isEmpty, let tls = ReportFormat.tlsNote(r) { s += "\n" + style.skip("⚠ " + tls) }
        if !failedRequired.isEmpty { s += "\n" + "Required records not passed: " + failedRequired.joined(separator: ", ") }
        if let note = ReportFormat.specFindingsNote(r) { s += "\n" + (r.specFindingCount > 0 ? style.skip(note) : note) }
        return s
    }

    /// The whole report: header facts, a line per record, notes and the summary.
    public static func render(_ r: EvaluationResult, style: Style = .plain) -> String {
        var lines: [String] = []
        lines.append(style.bold("otter-cert · \(r.integrationType.rawValue) checklist \(r.checklistVersion) · \(r.verdicts.count) records"))
        var facts = "log: \(r.stats.entries) entries (\(r.stats.webhooks) webhooks, \(r.stats.tokens) token calls, \(r.stats.callbacks) callbacks, \(r.stats.actions) actions)"
        if r.stats.skippedLines > 0 { facts += ", \(ReportFormat.unreadableCount(r.stats.skippedLines)) skipped" }
        if r.stats.unclassified > 0 { facts += ", \(r.stats.unclassified) capture entries not about Otter" }
        if r.stats.unattributed > 0 { facts += ", \(ReportFormat.unattributed(r.stats.unattributed))" }
        lines.append(style.dim(facts))
        lines.append("")
        for v in r.verdicts { lines.append(line(v, style: style)) }
        lines.append("")
        for w in r.warnings { lines.append("note: " + w) }
        if !r.unknownEventTypes.isEmpty {
            lines.append("note: webhook event types no record uses: " + r.unknownEventTypes.map { "\($0.eventType) (\($0.count))" }.joined(separator: ", "))
        }
        for f in r.specFindings.prefix(20) { lines.append("spec: " + ReportFormat.specFindingLine(f)) }
        if r.specFindingCount > 20 { lines.append("spec: … \(r.specFindingCount - 20) more in report.json") }
        lines.append(summary(r, style: style))
        return lines.joined(separator: "\n")
    }
}
