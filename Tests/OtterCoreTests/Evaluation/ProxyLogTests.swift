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
    /// `proxy --inject DEL-11,DEL-12` on untagged traffic (Otter's own sandbox sends no record header): the proxy gives
    /// the 503 and the 429 to the first two quote callbacks of the session, whichever records the integration manager
    /// meant them for. The engine binds the groups that met them to DEL-11 and DEL-12 by their content, and every
    /// other record to the rest; the unservable quote still goes to DEL-09, though DEL-03 is unbound and comes first.
    func testInjectedAnswersOnAnUntaggedSessionsFirstQuotesBindToTheFaultRecords() throws {
        var quotes = 0
        var lines: [String] = []
        for line in try proxyLog(dropFaults: true) {
            guard case .object(var o) = try JSONValue.parse(line) else { continue }
            if o["kind"]?.stringValue == "action" { continue }
            o["record"] = nil; o["step"] = nil
            if case .object(var request)? = o["request"], let headers = request["headers"]?.arrayValue {
                request["headers"] = .array(headers.filter { !($0[0]?.stringValue?.lowercased().hasPrefix("x-otter-cert") ?? false) })
                o["request"] = .object(request)
            }
            let isQuote = o["kind"]?.stringValue == "callback" && (o["request"]?["url"]?.stringValue ?? "").hasSuffix("/quotes")
            if isQuote, quotes < 2, let started = o["startedAt"]?.stringValue.flatMap(Timestamp.parse) {
                quotes += 1
                var injected = o
                let status = quotes == 1 ? 503 : 429
                injected["response"] = .object(["status": .number(Double(status)), "headers": .array(status == 429 ? [.array([.string("Retry-After"), .string("2")])] : []),
                                                "body": .string("{\"error\":\"injected\"}")])
                injected["tags"] = .array([.string("injected-fault")])
                lines.append(JSONValue.object(injected).serialized())
                o["startedAt"] = .string(Timestamp.format(started + 2.5))  // the retry, after Retry-After
            }
            lines.append(JSONValue.object(o).serialized())
        }
        XCTAssertEqual(quotes, 2)
        XCTAssertFalse(lines.contains { $0.contains("X-Otter-Cert-Record") || $0.contains("\"record\":") })
        let r = try Repo.evaluate(.delivery, lines: lines)
        XCTAssertEqual(r.verdicts.filter { $0.status != .passed }.map { "\($0.id) \($0.status) \($0.reason)" }, [])
        XCTAssertTrue(r.verdicts.first { $0.id == "DEL-11" }!.reason.contains("after the 503"), r.verdicts.first { $0.id == "DEL-11" }!.reason)
        XCTAssertTrue(r.verdicts.first { $0.id == "DEL-12" }!.reason.contains("after the 429"))
    }
}
