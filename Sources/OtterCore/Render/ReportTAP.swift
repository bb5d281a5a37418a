import Foundation

/// The certification report as TAP (Test Anything Protocol, version 13, which TAP 14 consumers read too), for CI
/// tools and `prove`.
///
/// One test point per record, in checklist order. `not ok` exactly when certification needs the record and it did
/// not pass (failed, or not observed); an optional record that failed is `not ok … # TODO` and one not observed
/// `ok … # SKIP`, which TAP consumers count as passing. Each point carries a YAML block with the message, the
/// outcome, the record's duration, where it is in its checklist (`at: {file, line}`) and, when it did not pass,
/// the details to act on. Log lines skipped as unreadable (`--lenient`) are one more point, `log: N unreadable lines`:
/// `not ok`, or `ok … # SKIP` when they were ignored (`--lenient=ignore`).
public enum ReportTAP {
    /// Renders the TAP stream. Deterministic.
    public static func render(_ r: EvaluationResult, source: ReportSource) -> String {
        let type = r.integrationType.rawValue
        var s = "TAP version 13\n"
        // Log lines skipped as unreadable are one more test point after the records and blockers: not ok, or
        // ok # SKIP when ignored.
        let unreadable = ReportFormat.unreadableNote(r)
        let points = r.verdicts.count + r.blockers.count + (unreadable != nil ? 1 : 0)
        s += points == 0 ? "1..0 # SKIP the checklist has no records\n" : "1..\(points)\n"
        s += "# otter-cert \(line(type)) checklist \(line(r.checklistVersion)), log \(line(ReportMask.text(source.log)))\n"
        for (i, v) in r.verdicts.enumerated() {
            let outcome = CIRecord.outcome(v)
            let description = "\(i + 1) - " + line(v.id + " " + v.title)
            switch outcome {
            case .passed: s += "ok \(description)\n"
            case .requiredFailed, .requiredNotObserved: s += "not ok \(description)\n"
            case .optionalFailed: s += "not ok \(description) # TODO \(line(CIRecord.message(v)))\n"
            case .optionalNotObserved: s += "ok \(description) # SKIP \(line(CIRecord.message(v)))\n"
            }
            var yaml: [(String, String)] = [("message", quoted(CIRecord.message(v))), ("severity", outcome.isRed ? "fail" : outcome == .passed ? "pass" : "todo"),
                                            ("outcome", outcome.rawValue), ("required", v.required ? "true" : "false"), ("status", v.status.rawValue),
                                            ("duration_ms", String(format: "%.0f", CIRecord.duration(v) * 1000))]
            if let t = v.startedAt { yaml.append(("started_at", quoted(Timestamp.format(t)))) }
            s += "  ---\n"
            for (k, val) in yaml { s += "  \(k): \(val)\n" }
            if let c = source.checklist {
                s += "  at:\n    file: \(quoted(c.path))\n"
                if let l = c.recordLines[v.id] { s += "    line: \(l)\n" }
            }
            if outcome != .passed {
                s += "  rationale: \(quoted(v.rationale))\n"
                s += "  details: \(quoted(CIRecord.details(v, r, source)))\n"
            }
            s += "  ...\n"
        }
        for (i, b) in r.blockers.enumerated() {
            s += "not ok \(r.verdicts.count + i + 1) - " + line("certification: " + ReportFormat.blockerName(b)) + "\n"
            s += "  ---\n  message: \(quoted(b))\n  severity: fail\n  outcome: not-certifiable\n  ...\n"
        }
        if let note = unreadable {
            let description = "\(points) - log: " + line(ReportFormat.unreadableCount(r.stats.skippedLines))
            s += r.unreadableLines > 0 ? "not ok \(description)\n" : "ok \(description) # SKIP \(line(note))\n"
            s += "  ---\n  message: \(quoted(note))\n  severity: \(r.unreadableLines > 0 ? "fail" : "todo")\n"
            s += "  outcome: \(r.unreadableLines > 0 ? "unreadable-lines" : "unreadable-lines-ignored")\n"
            s += "  lines: [\(r.stats.skippedLineNumbers.map(String.init).joined(separator: ", "))]\n  ...\n"
        }
        if let tls = ReportFormat.tlsNote(r) { s += "# ⚠ \(line(tls))\n" }
        // A proxy session's spec findings, as comments: no test point (a finding about Otter is not the partner's).
        if let note = ReportFormat.specFindingsNote(r) {
            s += "# OpenAPI conformance: \(line(note))\n"
            for f in r.specFindings { s += "#   \(line(ReportFormat.specFindingLine(f)))\n" }
        }
        let red = r.verdicts.filter { CIRecord.outcome($0).isRed }.count
        if let note = ReportFormat.coverageNote(r) { s += "# \(ReportFormat.headline(r)): \(note)\n" }
        if r.certified {
            s += "# CERTIFIED: every required record passed\n"
        } else if red == 0 && r.unreadableLines > 0 {
            s += "# NOT CERTIFIED: \(ReportFormat.unreadableCount(r.unreadableLines))\n"
        } else if red == 0 && !r.blockers.isEmpty {
            s += "# NOT CERTIFIED: \(line(r.blockers[0]))\n"
        } else {
            s += "# NOT CERTIFIED: \(red) required record\(red == 1 ? "" : "s") did not pass\n"
        }
        return s
    }

    /// Text for a test point line or a comment: one line, masked, and no `#` (consumers differ on `\#`: prove
    /// unescapes it, tap.py ends the description at it).
    static func line(_ s: String) -> String {
        var out = ""
        for ch in XMLEscape.stripInvalid(ReportMask.text(s)) {
            switch ch {
            case "\n", "\r", "\r\n", "\t": out += " "
            case "#": out += "＃"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A YAML double-quoted scalar (one line: line breaks and control characters escaped), masked.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in XMLEscape.stripInvalid(ReportMask.text(s)).unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) || u.value == 0xFEFF || u.value == 0x2028 || u.value == 0x2029 {
                    out += String(format: "\\u%04X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
