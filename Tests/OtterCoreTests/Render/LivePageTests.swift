import XCTest
@testable import OtterCore
import TestSupport

/// The live page, rendered from a snapshot of the engine fed part of a recorded run.
final class LivePageTests: XCTestCase {
    /// The engine after the first `count` lines of the recorded passing delivery run, and the time of the last one.
    func snapshot(lines count: Int, type: IntegrationType = .delivery, after: Double = 0.1) throws -> LiveSnapshot {
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        let ev = Evaluator(checklist: try Repo.checklist(type), endpoints: endpoints, schemas: schemas)
        var last = 0.0
        for (i, line) in try Repo.passingLog(type).prefix(count).enumerated() {
            let e = try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1)
            last = max(last, e.startedAt)
            ev.consume(e)
        }
        ev.advance(before: last + 1)
        return ev.snapshot(now: last + after)
    }

    func rows(_ html: String, phase: String) -> Int {
        html.components(separatedBy: "data-phase=\"\(phase)\"").count - 1
    }

    func testEachRecordsStateAppearsAndTheCountsAgree() throws {
        let lines = try Repo.passingLog(.delivery).count
        let early = try snapshot(lines: lines / 3)
        let all = try snapshot(lines: lines, after: 3600)
        let source = ReportSource(log: "events.jsonl", format: "jsonl")
        let a = LivePage.page(early, source: source, at: 0), b = LivePage.page(all, source: source, at: 0)
        for r in early.records { XCTAssertTrue(a.contains("data-record=\"\(r.id)\" data-phase=\"\(r.phase.rawValue)\""), r.id) }
        XCTAssertGreaterThan(rows(a, phase: "not started"), 0, "a third of the log leaves records not started")
        XCTAssertEqual(rows(a, phase: "settled"), early.settledCount)
        XCTAssertTrue(a.contains("data-settled=\"\(early.settledCount)\" data-total=\"\(early.records.count)\""))
        XCTAssertTrue(a.contains("verdict so far"))
        XCTAssertEqual(rows(b, phase: "settled"), all.records.count, "an hour after the whole run every record is settled")
        XCTAssertGreaterThan(all.settledCount, early.settledCount)
        // The same thing the report shows: its banner, summary table and timeline.
        let report = ReportHTML.render(all.result, source: source)
        for marker in ["<section class=\"records\">", "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\"", "<header id=\"top\" class=\"banner"] {
            XCTAssertTrue(report.contains(marker)); XCTAssertTrue(b.contains(marker), marker)
        }
        // A waiting record says what it waits for and how long is left.
        let mid = try snapshot(lines: lines / 2, after: 0.05)
        if let w = mid.records.first(where: { $0.phase == .waiting }) {
            let h = LivePage.root(mid, source: source, at: 0)
            XCTAssertTrue(h.contains("data-phase=\"waiting\""))
            XCTAssertTrue(h.contains(XMLEscape.escape(w.waitingFor)), w.waitingFor)
        }
        // No external asset: nothing is fetched from anywhere but the page's own server.
        for needle in ["src=\"http", "href=\"http", "<link ", "@import", "url("] { XCTAssertFalse(b.contains(needle), needle) }
    }

    func testUntrustedTextIsEscaped() throws {
        var s = try snapshot(lines: 20)
        let evil = "<img src=x onerror=alert(1)>\"'&"
        s.records[0].waitingFor = evil
        s.records[0].phase = .waiting
        s.result.verdicts[0].reason = evil
        s.result.verdicts[0].title = evil
        let h = LivePage.page(s, source: ReportSource(log: "<script>x</script>.jsonl", format: "jsonl"), at: 0)
        XCTAssertFalse(h.contains("<img src=x"))
        XCTAssertFalse(h.contains("<script>x</script>"))
        XCTAssertTrue(h.contains("&lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertEqual(h.components(separatedBy: "<script>").count - 1, 1, "the page's own script only")
    }

    func testNotStartedPageAndFinal() throws {
        let none = LivePage.page(nil, source: ReportSource(log: "x", format: "jsonl"), at: 0)
        XCTAssertTrue(none.contains("starting"))
        XCTAssertTrue(none.contains("id=\"live-root\""))
        let all = try snapshot(lines: 1000, after: 3600)
        let fin = LiveSnapshot.final(all.result)
        let h = LivePage.root(fin, source: ReportSource(log: "x", format: "jsonl"), at: 0)
        XCTAssertTrue(h.contains("data-final=\"true\""))
        XCTAssertTrue(h.contains("data-verdict=\"\(all.result.certified ? "CERTIFIED" : "NOT CERTIFIED")\""))
        XCTAssertTrue(h.contains("data-certified=\"\(all.result.certified)\""))
    }
}
