import XCTest
import OtterCore
import TestSupport

/// `Evaluator.snapshot(now:)`: what a live view shows, part way through a recorded run and at its end.
final class LiveSnapshotTests: XCTestCase {
    func testASnapshotPartWayShowsFewerSettledRecordsThanLaterAndDoesNotFinishTheEvaluation() throws {
        let (endpoints, schemas) = (try Repo.spec().endpoints, try Repo.spec().schemas)
        let lines = try Repo.passingLog(.delivery)
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        var times: [Double] = []
        func feed(_ part: ArraySlice<String>, from: Int) throws {
            for (i, l) in part.enumerated() {
                let e = try LogCodec.decode(try JSONValue.parse(l), lineNumber: from + i + 1)
                times.append(e.startedAt)
                ev.consume(e)
            }
        }
        let half = lines.count / 2
        try feed(lines[..<half], from: 0)
        let t1 = try XCTUnwrap(times.max())
        ev.advance(before: t1 + 0.001)
        let first = ev.snapshot(now: t1)
        XCTAssertEqual(first.records.count, 12)
        XCTAssertEqual(first.result.verdicts.map(\.id), first.records.map(\.id))
        XCTAssertFalse(first.final)
        XCTAssertTrue(first.records.contains { $0.phase == .notStarted }, "half the log, yet every record has started")
        XCTAssertTrue(first.records.contains { $0.phase == .settled })
        // Asking twice changes nothing: the snapshot is not destructive.
        XCTAssertEqual(ev.snapshot(now: t1).records, first.records)
        try feed(lines[half...], from: half)
        let t2 = try XCTUnwrap(times.max()) + 3600
        ev.advance(before: t2)
        let second = ev.snapshot(now: t2)
        XCTAssertGreaterThan(second.settledCount, first.settledCount)
        XCTAssertEqual(second.settledCount, 12)
        // The live verdicts at the end are the report's.
        let final = ev.finish()
        XCTAssertEqual(second.result.verdicts.map(\.status), final.verdicts.map(\.status))
        XCTAssertTrue(final.certified)
    }

    func testOnlyRestrictsTheSnapshotToTheRecordsARunRuns() throws {
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: try Repo.spec().endpoints, schemas: try Repo.spec().schemas)
        let s = ev.snapshot(now: Date().timeIntervalSince1970, only: ["DEL-02", "DEL-01"])
        XCTAssertEqual(s.records.map(\.id), ["DEL-01", "DEL-02"])
        XCTAssertEqual(s.records.map(\.phase), [.notStarted, .notStarted])
    }

    /// A record whose setup is in the log but whose trigger (a partner action still being performed) is not yet, is
    /// waiting for its trigger, not settled as "not observed"; once its run has ended it is settled.
    func testARecordWhoseTriggerIsNotLoggedYetWaitsForIt() throws {
        let (endpoints, schemas) = (try Repo.spec().endpoints, try Repo.spec().schemas)
        let lines = try Repo.passingLog(.pos)
        let cut = try XCTUnwrap(lines.firstIndex { $0.contains("\"record\":\"POS-05\",\"step\":\"trigger\"") })
        let ev = Evaluator(checklist: try Repo.checklist(.pos), endpoints: endpoints, schemas: schemas)
        var last = 0.0
        for (i, l) in lines[..<cut].enumerated() {
            let e = try LogCodec.decode(try JSONValue.parse(l), lineNumber: i + 1)
            last = max(last, e.startedAt)
            ev.consume(e)
        }
        ev.advance(before: last + 0.001)
        let s = ev.snapshot(now: last + 0.5)
        let pos05 = try XCTUnwrap(s.records.first { $0.id == "POS-05" })
        XCTAssertEqual(pos05.phase, .waiting)
        XCTAssertEqual(pos05.waitingFor, "its trigger")
        let ended = ev.snapshot(now: last + 0.5, ended: ["POS-05"])
        XCTAssertEqual(ended.records.first { $0.id == "POS-05" }?.phase, .settled)
    }
}
