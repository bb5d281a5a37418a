import XCTest
@testable import OtterCore
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `--lenient` never turns NOT CERTIFIED into CERTIFIED: a log line the reader skipped as unreadable could have held
/// the evidence a record fails on, so it makes the verdict "not certified: N unreadable lines", with the records
/// still judged from what was read; `--lenient=ignore` judges from what was read, and every report says how many
/// lines it ignored.
final class UnreadableLinesTests: XCTestCase {
    /// The issue's case, read with `--lenient` (or `--lenient=ignore`): DEL-10's duplicate callback is skipped.
    func skipped(ignored: Bool) throws -> EvaluationResult {
        let (lines, _) = try Repo.deliveryLogWithDamagedDuplicate()
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        for (i, line) in lines.enumerated() {
            do { ev.consume(try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1)) } catch { ev.noteSkippedLine(i + 1) }
        }
        var r = ev.finish()
        r.unreadableLinesIgnored = ignored
        return r
    }

    var line: Int { (try? Repo.deliveryLogWithDamagedDuplicate().line) ?? 0 }

    let source = ReportSource(log: "events.jsonl", format: "jsonl")

    func testASkippedLineKeepsTheLogFromCertifyingUnlessIgnored() throws {
        let whole = try Repo.evaluate(.delivery, lines: try Repo.passingLog(.delivery))
        XCTAssertTrue(whole.certified)
        let c = try LogCase(path: Repo.path("Fixtures/cases/delivery/DEL-10-duplicate-quote.json"))
        let duplicate = try Repo.evaluate(.delivery, lines: try c.apply(to: try Repo.passingLog(.delivery)))
        XCTAssertEqual(duplicate.verdicts.filter { $0.status != .passed }.map(\.id), ["DEL-10"], "read whole, the log is not certified")
        let r = try skipped(ignored: false)
        XCTAssertEqual(r.stats.skippedLines, 1)
        XCTAssertEqual(r.stats.skippedLineNumbers, [line])
        XCTAssertEqual(r.unreadableLines, 1)
        XCTAssertTrue(r.verdicts.allSatisfy { $0.status == .passed }, "the records are still judged from what was read")
        XCTAssertFalse(r.certified)
        XCTAssertEqual(ReportFormat.headline(r), "NOT CERTIFIED (1 unreadable line)", "the headline says why")
        let note = try XCTUnwrap(ReportFormat.coverageNote(r))
        XCTAssertTrue(note.hasPrefix("not certified: 1 unreadable line (line \(line)), skipped with --lenient: it could have held evidence"), note)

        let ignored = try skipped(ignored: true)
        XCTAssertEqual(ignored.unreadableLines, 0)
        XCTAssertTrue(ignored.certified, "--lenient=ignore judges from what was read")
        XCTAssertEqual(ReportFormat.headline(ignored), "CERTIFIED")
        XCTAssertEqual(ReportFormat.coverageNote(ignored),
                       "1 unreadable line ignored (line \(line)) with --lenient=ignore: the verdict is judged only from the lines that could be read")
        // Without skipped lines nothing changes, ignoring or not.
        var plain = whole
        plain.unreadableLinesIgnored = true
        XCTAssertNil(ReportFormat.coverageNote(plain))
        XCTAssertTrue(plain.certified)
    }

    func testManySkippedLinesAreCountedAndTheFirstNamed() {
        var stats = LogStats()
        for l in 1...25 { stats.noteSkipped(line: l * 2) }
        XCTAssertEqual(stats.skippedLines, 25)
        XCTAssertEqual(stats.skippedLineNumbers.count, LogStats.skippedLineNumbersKept)
        let note = ReportFormat.unreadableNote(count: 25, lines: stats.skippedLineNumbers, ignored: false, notMet: "not certified", evidence: "evidence",
                                              judged: "the records are judged")!
        XCTAssertTrue(note.hasPrefix("not certified: 25 unreadable lines (lines 2, 4, 6,"), note)
        XCTAssertTrue(note.contains("40, … : the first 20 of 25), skipped with --lenient: they could have held evidence, so the records are judged without them"), note)
    }

    func testEveryFormatSaysWhyItIsNotCertified() throws {
        let r = try skipped(ignored: false)
        let text = VerdictText.render(r)
        XCTAssertTrue(text.contains("1 unreadable line skipped"), text)
        XCTAssertTrue(text.contains("NOT CERTIFIED (1 unreadable line): 12 passed, 0 failed, 0 skipped of 12 records"), text)
        XCTAssertTrue(text.contains("\nnot certified: 1 unreadable line (line \(line))"), text)
        XCTAssertTrue(VerdictText.summary(r).contains("not certified: 1 unreadable line (line \(line))"))

        let md = ReportMarkdown.render(r, source: source)
        XCTAssertTrue(md.hasPrefix("## otter-cert: ❌ NOT CERTIFIED (1 unreadable line) (delivery)\n\n**not certified: 1 unreadable line (line \(line))"), md)

        let html = ReportHTML.render(r, source: source)
        XCTAssertTrue(html.contains("<h1 class=\"verdict\">✘ NOT CERTIFIED (1 unreadable line)</h1>\n<div class=\"sub\">not certified: 1 unreadable line (line \(line))"), html)

        let json = ReportJSON.make(r, source: source)
        XCTAssertEqual(json["certified"]?.boolValue, false)
        XCTAssertEqual(json["unreadableLines"]?.serialized(), #"{"count":1,"ignored":false,"lines":["# + "\(line)]}")
        XCTAssertEqual(json["stats"]?["skippedLines"]?.intValue, 1)

        let junit = ReportJUnit.render(r, source: source)
        let doc = try XMLDocument(xmlString: junit)
        let suite = try XCTUnwrap(try doc.nodes(forXPath: "//testsuite").first as? XMLElement)
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "13")
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "1")
        let failure = try XCTUnwrap(try doc.nodes(forXPath: "//testcase[@name='log: 1 unreadable line']/failure").first as? XMLElement)
        XCTAssertEqual(failure.attribute(forName: "type")?.stringValue, "unreadable-lines")
        XCTAssertTrue(failure.attribute(forName: "message")?.stringValue?.hasPrefix("not certified: 1 unreadable line (line \(line))") == true)
        XCTAssertTrue(junit.contains(#"<property name="unreadableLines" value="1"/>"#), junit)

        let tap = ReportTAP.render(r, source: source)
        XCTAssertTrue(tap.contains("1..13\n"), tap)
        XCTAssertTrue(tap.contains("\nnot ok 13 - log: 1 unreadable line\n"), tap)
        XCTAssertTrue(tap.hasSuffix("# NOT CERTIFIED: 1 unreadable line\n"), tap)
    }

    func testEveryFormatSaysHowManyLinesItIgnored() throws {
        let r = try skipped(ignored: true)
        let said = "1 unreadable line ignored (line \(line)) with --lenient=ignore"
        XCTAssertTrue(VerdictText.render(r).contains("\n" + said), VerdictText.render(r))
        XCTAssertTrue(VerdictText.render(r).contains("CERTIFIED: 12 passed"))
        XCTAssertTrue(ReportMarkdown.render(r, source: source).hasPrefix("## otter-cert: ✅ CERTIFIED (delivery)\n\n**\(said)"))
        XCTAssertTrue(ReportHTML.render(r, source: source).contains("<h1 class=\"verdict\">✔ CERTIFIED</h1>\n<div class=\"sub\">\(said)"))
        let json = ReportJSON.make(r, source: source)
        XCTAssertEqual(json["certified"]?.boolValue, true)
        XCTAssertEqual(json["unreadableLines"]?.serialized(), #"{"count":1,"ignored":true,"lines":["# + "\(line)]}")
        let junit = ReportJUnit.render(r, source: source)
        let doc = try XMLDocument(xmlString: junit)
        let skippedCase = try XCTUnwrap(try doc.nodes(forXPath: "//testcase[@name='log: 1 unreadable line']/skipped").first as? XMLElement)
        XCTAssertEqual(skippedCase.attribute(forName: "type")?.stringValue, "unreadable-lines-ignored")
        XCTAssertTrue(junit.contains(#"failures="0""#))
        XCTAssertTrue(junit.contains(#"<property name="unreadableLinesIgnored" value="true"/>"#))
        let tap = ReportTAP.render(r, source: source)
        XCTAssertTrue(tap.contains("\nok 13 - log: 1 unreadable line # SKIP \(said)"), tap)
        XCTAssertTrue(tap.hasSuffix("# CERTIFIED: every required record passed\n"), tap)
    }

    func testTheOnboardingExitCriterionFollowsTheSameRule() {
        var s = OnboardingTracker(minLiveExchanges: 1).status(ledgers: [:], choice: .auto, asOf: nil, timeZone: "UTC")
        s.exitMet = true
        s.stats.skippedLines = 2
        XCTAssertFalse(s.exitCriterionMet)
        XCTAssertEqual(OnboardingJSON.make(s)["exitMet"]?.boolValue, false)
        XCTAssertEqual(OnboardingJSON.make(s)["unreadableLines"]?.serialized(), #"{"count":2,"ignored":false}"#)
        XCTAssertTrue(s.unreadableNote?.hasPrefix("exit criterion not met: 2 unreadable lines, skipped with --lenient: they could have held an incident") == true,
                      s.unreadableNote ?? "")
        s.unreadableLinesIgnored = true
        XCTAssertTrue(s.exitCriterionMet)
        XCTAssertEqual(s.unreadableNote, "2 unreadable lines ignored with --lenient=ignore: the verdict is judged only from the lines that could be read")
    }
}
