import Foundation
import OtterCore
@testable import OtterHarness
import TestSupport
import XCTest

/// Records side by side speak record by record, in checklist order, as if they had run one after another.
final class OrderedProgressTests: XCTestCase {
    final class Transcript: RunProgress, @unchecked Sendable {
        var lines: [String] = []
        private let lock = NSLock()
        private var inside = 0
        func note(_ s: String) {
            lock.lock(); inside += 1
            XCTAssertEqual(inside, 1, "the printer is called by one thread at a time")
            lines.append(s); inside -= 1; lock.unlock()
        }
        func started(_ record: Record, index: Int, of total: Int) { note("start \(record.id) \(index)/\(total)") }
        func waiting(_ record: Record, for what: String, secondsLeft: Double) { note("wait \(record.id) \(what)") }
        func finished(_ verdict: Verdict) { note("end \(verdict.id)") }
        func say(_ text: String) { note(text) }
    }

    func testALaterRecordsLinesWaitUntilTheEarlierOnesHaveEnded() throws {
        let records = Array(try Repo.checklist(.delivery).records.prefix(3))
        let t = Transcript()
        let o = OrderedProgress(t, total: 3)
        let p = records.indices.map { o.record($0) }
        p[0].started(records[0], index: 1, of: 3)
        p[1].started(records[1], index: 2, of: 3)
        p[2].started(records[2], index: 3, of: 3)
        p[1].waiting(records[1], for: "quiet window", secondsLeft: 5)
        p[1].waiting(records[1], for: "quiet window", secondsLeft: 4)   // only the latest countdown is kept
        p[2].say("  hint from DEL-03")
        p[2].ended()                                                  // DEL-03 is done first
        p[0].sayNow("  ▶ on the partner side: confirm the order")      // an operator's instruction: at once
        p[0].waiting(records[0], for: "ack", secondsLeft: 3)
        XCTAssertEqual(t.lines, ["start DEL-01 1/3", "  ▶ on the partner side: confirm the order", "wait DEL-01 ack"])
        p[0].ended()
        XCTAssertEqual(t.lines.suffix(2), ["start DEL-02 2/3", "wait DEL-02 quiet window"], "DEL-02's held lines, the last countdown only")
        p[1].ended()
        XCTAssertEqual(t.lines.suffix(2), ["start DEL-03 3/3", "  hint from DEL-03"], "then DEL-03's, which had ended already")
    }

    func testManyThreadsAtOnceNeverInterleaveAPrinterCall() throws {
        let records = try Repo.checklist(.orders).records
        let t = Transcript()
        let o = OrderedProgress(t, total: records.count)
        DispatchQueue.concurrentPerform(iterations: records.count) { i in
            let p = o.record(i)
            p.started(records[i], index: i + 1, of: records.count)
            for k in 0..<50 { p.say("\(records[i].id) line \(k)") }
            p.ended()
        }
        o.flush()
        var expected: [String] = []
        for (i, r) in records.enumerated() {
            expected.append("start \(r.id) \(i + 1)/\(records.count)")
            expected += (0..<50).map { "\(r.id) line \($0)" }
        }
        XCTAssertEqual(t.lines, expected)
    }
}
