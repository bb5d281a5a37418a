import XCTest
import OtterCore
import TestSupport

/// What a run's first line says reaches the reports: the attempt, a disabled TLS check, scaled deadlines.
final class RunFactsTests: XCTestCase {
    func lines(extra: [(String, JSONValue)]) throws -> [String] {
        var lines = try Repo.passingLog(.orders)
        var first = try JSONValue.parse(lines[0]).objectValue!
        var run = first["run"]!.objectValue!
        for (k, v) in extra { run[k] = v }
        first["run"] = .object(run)
        lines[0] = JSONValue.object(first).serialized()
        return lines
    }

    func testAttemptAndInsecureTLSAreShownLoudly() throws {
        let r = try Repo.evaluate(.orders, lines: try lines(extra: [("attempt", 2), ("previousReport", "attempt-1/report.json"),
                                                                  ("tlsVerification", "OFF (--insecure): the partner's certificate was not checked")]))
        let src = ReportSource(log: "events.jsonl", format: "jsonl")
        let html = ReportHTML.render(r, source: src)
        XCTAssertTrue(html.contains("Certification attempt"))
        XCTAssertTrue(html.contains("rerun of the records not passed in attempt-1/report.json"))
        XCTAssertTrue(html.contains("⚠ TLS verification OFF (--insecure)"))
        let md = ReportMarkdown.render(r, source: src)
        XCTAssertTrue(md.contains("**Certification attempt:** 2"), md)
        XCTAssertTrue(md.contains("⚠ TLS verification"), md)
        XCTAssertEqual(ReportJSON.make(r, source: src)["run"]?["attempt"], 2)
        // A passing log whose run did not verify TLS is not a certification, unless the run allowed it.
        XCTAssertFalse(r.certified)
        XCTAssertEqual(r.blockers.count, 1)
        XCTAssertTrue(VerdictText.summary(r).hasPrefix("NOT CERTIFIED"))
        XCTAssertTrue(VerdictText.summary(r).contains("Not certified: TLS verification was off (--insecure)"))
        XCTAssertEqual(ReportJSON.make(r, source: src)["blockers"]?.arrayValue?.count, 1)
        let allowed = try Repo.evaluate(.orders, lines: try lines(extra: [("tlsVerification", "OFF (--insecure): the partner's certificate was not checked"),
                                                                        ("insecureCertificationAllowed", true)]))
        XCTAssertTrue(allowed.certified)
        XCTAssertTrue(VerdictText.summary(allowed).contains("⚠ TLS verification OFF (--insecure)"))
        XCTAssertTrue(ReportTAP.render(allowed, source: src).contains("# ⚠ TLS verification OFF"))
        XCTAssertTrue(ReportJUnit.render(allowed, source: src).contains("<property name=\"tlsVerification\""))
    }

    func testARunWithScaledDeadlinesIsJudgedWithThem() throws {
        // ORD-12's bulk callback arrives 0.25 s after its webhook in the recorded run: within 30 s, but not within 30 × 0.005 = 0.15 s.
        let r = try Repo.evaluate(.orders, lines: try lines(extra: [("timeoutScale", 0.005)]))
        let v = r.verdicts.first { $0.id == "ORD-12" }!
        XCTAssertEqual(v.status, .failed)
        XCTAssertTrue(v.reason.contains("deadline 0.15 s"), v.reason)
    }
}
