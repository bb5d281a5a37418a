import Foundation
import OtterCore
import TestSupport
import XCTest

/// A log `otter-cert proxy` wrote (its run line says `mode: proxy`): the proxy never alters traffic, so a record that
/// needs an injected fault is judged only when Otter itself gave such an answer; otherwise it is skipped, and says why.
final class ProxyLogTests: XCTestCase {
    /// The recorded delivery run as the proxy would have logged it: run line in proxy mode, and (`dropFaults`) without
    /// the 503 and 429 answers the run's sandbox injected for DEL-11 and DEL-12, which a real Otter does not give.
    private func proxyLog(dropFaults: Bool) throws -> [String] {
        try Repo.passingLog(.delivery).compactMap { line in
            let v = try JSONValue.parse(line)
            if dropFaults, v["kind"]?.stringValue == "callback", [429, 503].contains(v["response"]?["status"]?.intValue ?? 0) { return nil }
            guard v["kind"]?.stringValue == "run", case .object(var o) = v, case .object(var run)? = o["run"] else { return line }
            run["mode"] = .string("proxy")
            o["run"] = .object(run)
            return JSONValue.object(o).serialized()
        }
    }

    func testARecordThatNeedsAFaultOtterNeverGaveIsSkippedAsNeedingARun() throws {
        let log = try proxyLog(dropFaults: true)
        XCTAssertEqual(log.count, try Repo.passingLog(.delivery).count - 2, "the two injected answers are gone")
        let r = try Repo.evaluate(.delivery, lines: log)
        for id in ["DEL-11", "DEL-12"] {
            let v = try XCTUnwrap(r.verdicts.first { $0.id == id })
            XCTAssertEqual(v.status, .skipped, id)
            XCTAssertTrue(v.reason.hasPrefix("needs otter-cert run: the record needs Otter to answer"), v.reason)
            XCTAssertTrue(v.reason.contains("POST /v1/delivery/{deliveryReferenceId}/quotes"), v.reason)
        }
        XCTAssertTrue(r.verdicts.first { $0.id == "DEL-11" }!.reason.contains("answer 503"))
        XCTAssertTrue(r.verdicts.first { $0.id == "DEL-12" }!.reason.contains("answer 429"))
        XCTAssertEqual(r.verdicts.filter { !["DEL-11", "DEL-12"].contains($0.id) }.map(\.status), Array(repeating: .passed, count: 10))
        XCTAssertFalse(r.certified)
    }

    func testARecordWhoseFaultOtterGaveIsJudgedAsInARun() throws {
        let r = try Repo.evaluate(.delivery, lines: try proxyLog(dropFaults: false))
        XCTAssertEqual(r.verdicts.map(\.status), Array(repeating: .passed, count: 12), r.verdicts.map { "\($0.id) \($0.reason)" }.joined(separator: "\n"))
    }

    /// The same log without the proxy mark is a run's log: the fault records are judged there, never skipped this way.
    func testOnlyAProxyLogSkipsThisWay() throws {
        let log = try Repo.passingLog(.delivery).filter { line in !(line.contains("\"status\":429") || line.contains("\"status\":503")) }
        let r = try Repo.evaluate(.delivery, lines: log)
        XCTAssertFalse(r.verdicts.contains { $0.reason.hasPrefix("needs otter-cert run") })
    }
}
