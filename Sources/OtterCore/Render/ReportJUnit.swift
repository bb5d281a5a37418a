import Foundation

/// The certification report as JUnit XML (`<testsuites>` root), for CI readers (GitLab, Jenkins, GitHub).
///
/// Red exactly when the run is not certified: a required record that failed is a `<failure type="required-failed">`,
/// one that was not observed a `<failure type="required-not-observed">`; an optional record that did not pass is
/// `<skipped>` (shown with its reason, never red). Log lines skipped as unreadable (`--lenient`) are one more test
/// case, `log: N unreadable lines`: a `<failure type="unreadable-lines">`, or `<skipped type="unreadable-lines-ignored">`
/// when they were ignored (`--lenient=ignore`). The document validates against the Jenkins xunit plugin's
/// `junit-10.xsd` (`Tests/Schemas/junit-10.xsd`), which has no `file` or `line` on a test case: where a record is in
/// its checklist is the suite's `file` and each case's `<system-out>` (and the first lines of its failure text). A proxy
/// session's OpenAPI findings are the suite's `<system-out>` and two properties, never test cases: a finding about
/// Otter is not the partner's failure.
public enum ReportJUnit {
    /// Renders the XML: one test suite for the run, one test case per record. Deterministic.
    public static func render(_ r: EvaluationResult, source: ReportSource) -> String {
        let type = r.integrationType.rawValue
        let suite = "otter-cert.\(type)"
        let outcomes = r.verdicts.map(CIRecord.outcome)
        // Lines skipped as unreadable are one more test case: red unless ignored (--lenient=ignore), then skipped;
        // and what blocks certification whatever the records say (TLS not verified) is a failing case of its own.
        let unreadable = ReportFormat.unreadableNote(r)
        let failures = outcomes.filter(\.isRed).count + (r.unreadableLines > 0 ? 1 : 0) + r.blockers.count
        let skipped = outcomes.filter { $0 == .optionalFailed || $0 == .optionalNotObserved }.count + (unreadable != nil && r.unreadableLines == 0 ? 1 : 0)
        let total = r.verdicts.count + (unreadable != nil ? 1 : 0) + r.blockers.count
        let time = seconds(CIRecord.runDuration(r))
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        // junit-10.xsd: `skipped` is an attribute of <testsuite> only.
        x += "<testsuites name=\"\(a(suite))\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" time=\"\(time)\">\n"
        x += "  <testsuite name=\"\(a(suite))\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(time)\""
        if let f = r.stats.firstAt { x += " timestamp=\"\(a(String(Timestamp.format(f).dropLast())))\"" }
        if let c = source.checklist { x += " file=\"\(a(c.path))\"" }
        x += ">\n    <properties>\n"
        var props: [(String, String)] = [("certified", r.certified ? "true" : "false"), ("integrationType", type),
                                         ("harness", Harness.name), ("checklistVersion", r.checklistVersion)]
        if let c = source.checklist { props.append(("checklist", c.path)) }
        if let s = ReportFormat.checklistSHA(r, source) { props.append(("checklistSha256", s)) }
        props.append(("log", source.log))
        if let s = source.logSHA256 { props.append(("logSha256", s)) }
        if let u = r.run?.partnerURL { props.append(("partnerUrl", ReportMask.url(u))) }
        if let s = r.run?.storeId { props.append(("storeId", s)) }
        if let tls = ReportFormat.tlsNote(r) { props.append(("tlsVerification", tls)) }
        if r.stats.skippedLines > 0 {
            props.append(("unreadableLines", String(r.stats.skippedLines)))
            props.append(("unreadableLinesIgnored", r.unreadableLinesIgnored ? "true" : "false"))
        }
        if r.specChecked {
            props.append(("specFindings", String(r.specFindingCount)))
            props.append(("specFindingsOtter", String(ReportFormat.otterSpecFindings(r))))
        }
        for (k, v) in props { x += "      <property name=\"\(a(k))\" value=\"\(a(v))\"/>\n" }
        x += "    </properties>\n"
        for (v, outcome) in zip(r.verdicts, outcomes) {
            x += "    <testcase classname=\"\(a(type))\" name=\"\(a(v.id + " " + v.title))\" time=\"\(seconds(CIRecord.duration(v)))\">\n"
            let message = a(CIRecord.message(v)), details = t(CIRecord.details(v, r, source))
            switch outcome {
            case .passed:
                break
            case .requiredFailed, .requiredNotObserved:
                x += "      <failure type=\"\(outcome.rawValue)\" message=\"\(message)\">\(details)</failure>\n"
            case .optionalFailed, .optionalNotObserved:
                x += "      <skipped type=\"\(outcome.rawValue)\" message=\"\(message)\">\(details)</skipped>\n"
            }
            let out = systemOut(v, source)
            if !out.isEmpty { x += "      <system-out>\(t(out))</system-out>\n" }
            x += "    </testcase>\n"
        }
        // What blocks certification whatever the records say is a failing case of its own, so a CI reader sees red.
        for b in r.blockers {
            x += "    <testcase classname=\"\(a(type))\" name=\"\(a("certification: " + ReportFormat.blockerName(b)))\" time=\"0.000\">\n"
            x += "      <failure type=\"not-certifiable\" message=\"\(a(b))\">\(t(ReportMask.text(b)))</failure>\n"
            x += "    </testcase>\n"
        }
        if let note = unreadable {
            x += "    <testcase classname=\"\(a(type))\" name=\"log: \(a(ReportFormat.unreadableCount(r.stats.skippedLines)))\" time=\"0.000\">\n"
            let kind = r.unreadableLines > 0 ? "failure" : "skipped"
            x += "      <\(kind) type=\"\(r.unreadableLines > 0 ? "unreadable-lines" : "unreadable-lines-ignored")\" message=\"\(a(note))\">\(t(note))</\(kind)>\n"
            x += "    </testcase>\n"
        }
        // A proxy session's spec findings: the suite's output, not test cases (one about Otter is not the partner's
        // failure, and one about the partner is judged by the records' own checks).
        if let note = ReportFormat.specFindingsNote(r) {
            let lines = [note] + r.specFindings.map(ReportFormat.specFindingLine)
            x += "    <system-out>\(t(ReportMask.text("OpenAPI conformance: " + lines.joined(separator: "\n"))))</system-out>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    /// A test case's standard output: where the record is in its checklist and, for a record that passed (which has
    /// no other text), why it passed. A record that did not pass has its reason in its failure or skipped text.
    static func systemOut(_ v: Verdict, _ source: ReportSource) -> String {
        var lines: [String] = []
        if let l = CIRecord.location(v, source) { lines.append("Checklist: \(l)") }
        if v.status == .passed { lines.append("PASS \(v.id) (\(v.required ? "required" : "optional")): \(CIRecord.reason(v))") }
        return ReportMask.text(lines.joined(separator: "\n"))
    }

    static func seconds(_ s: Double) -> String { String(format: "%.3f", max(0, s)) }
    static func a(_ s: String) -> String { XMLEscape.attribute(ReportMask.text(s)) }
    static func t(_ s: String) -> String { XMLEscape.escape(s) }
}
