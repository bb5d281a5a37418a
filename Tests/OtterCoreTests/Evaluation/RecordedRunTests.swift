import XCTest
import OtterCore
import TestSupport

/// The recorded passing run of each type is certified; every failing variant under Fixtures/cases fails exactly
/// the records it names, for the reason it names.
final class RecordedRunTests: XCTestCase {
    func testPassingRunsAreCertified() throws {
        for type in IntegrationType.allCases {
            let r = try Repo.evaluate(type, lines: try Repo.passingLog(type))
            let notPassed = r.verdicts.filter { $0.status != .passed }.map { "\($0.id): \($0.reason)" }
            XCTAssertEqual(notPassed, [], "\(type)")
            XCTAssertTrue(r.certified, "\(type)")
            XCTAssertEqual(r.verdicts.count, try Repo.checklist(type).records.count)
        }
    }

    func testEveryFailingCaseFailsExactlyItsRecords() throws {
        for type in IntegrationType.allCases {
            let base = try Repo.passingLog(type)
            for path in try LogCase.all(type) {
                let c = try LogCase(path: path)
                let r = try Repo.evaluate(type, lines: try c.apply(to: base))
                var seen: [String: Verdict] = [:]
                for v in r.verdicts where v.status != .passed { seen[v.id] = v }
                XCTAssertEqual(Set(seen.keys), Set(c.expect.keys),
                               "\(c.name): records not passing: \(seen.values.map { "\($0.id) \($0.status): \($0.reason)" }.sorted())")
                for (id, want) in c.expect {
                    guard let v = seen[id] else { continue }
                    XCTAssertEqual(v.status.rawValue, want.status, "\(c.name) \(id): \(v.reason)")
                    XCTAssertTrue(v.reason.contains(want.reason), "\(c.name) \(id): reason was «\(v.reason)», expected it to contain «\(want.reason)»")
                }
                // A failed optional record is reported but does not block certification.
                let required = Set(try Repo.checklist(type).records.filter(\.required).map(\.id))
                if c.expect.keys.contains(where: required.contains) { XCTAssertFalse(r.certified, c.name) }
                else { XCTAssertTrue(r.certified, "\(c.name): only optional records fail") }
            }
        }
    }

    /// The spec's `OrderTotal.total` includes "everything paid by the customer": an order with a service fee on top of
    /// subtotal - discount + tax + tip + deliveryFee passes ORD-04; one whose total is less than those parts does not.
    func testAnOrderWithAServiceFeePassesORD04() throws {
        let base = try Repo.passingLog(.orders)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ord04-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func verdict(total: Double) throws -> Verdict {
            let file = dir.appendingPathComponent("case-\(total).json")
            try #"{"description":"x","mutations":[{"op":"setBody","where":{"record":"ORD-04","pathEndsWith":"/v1/orders"},"path":"orderTotal.total","value":\#(total)}],"expect":{}}"#
                .write(to: file, atomically: true, encoding: .utf8)
            let r = try Repo.evaluate(.orders, lines: try LogCase(path: file.path).apply(to: base))
            return try XCTUnwrap(r.verdicts.first { $0.id == "ORD-04" })
        }
        XCTAssertEqual(try verdict(total: 17.49).status, .passed, "15.99 of parts plus a 1.50 service fee")
        XCTAssertEqual(try verdict(total: 15.99).status, .passed)
        let short = try verdict(total: 15.49)
        XCTAssertEqual(short.status, .failed)
        XCTAssertTrue(short.reason.contains("less than its parts"), short.reason)
    }

    func testEveryRecordHasAFailingCase() throws {
        for type in IntegrationType.allCases {
            var covered = Set<String>()
            for path in try LogCase.all(type) { covered.formUnion(try LogCase(path: path).expect.keys) }
            let ids = Set(try Repo.checklist(type).records.map(\.id))
            XCTAssertEqual(ids.subtracting(covered), [], "\(type): records without a failing variant")
        }
    }

    func testEvaluationIsDeterministic() throws {
        let c = try LogCase(path: Repo.path("Fixtures/cases/delivery/DEL-04-wrong-event-id.json"))
        let lines = try c.apply(to: try Repo.passingLog(.delivery))
        let a = ReportJSON.make(try Repo.evaluate(.delivery, lines: lines), source: ReportSource(log: "x", format: "jsonl")).serialized(pretty: true)
        let b = ReportJSON.make(try Repo.evaluate(.delivery, lines: lines), source: ReportSource(log: "x", format: "jsonl")).serialized(pretty: true)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.contains("\"certified\": false"))
    }

    func testUntaggedTrafficAfterATaggedRunChangesNothing() throws {
        // A later untagged ping (production traffic in the same capture) must not rebind DEL-01's trigger.
        var lines = try Repo.passingLog(.delivery)
        let ping = lines.first { $0.contains("ping.ping") }!
        var o = try JSONValue.parse(ping).objectValue!
        o["record"] = nil; o["step"] = nil; o["startedAt"] = "2026-11-29T11:00:00.000Z"
        o["response"] = .object(JSONObject([("status", 500)]))
        var req = o["request"]!.objectValue!
        var body = try JSONValue.parse(req["body"]!.stringValue!).objectValue!
        body["eventId"] = "another-ping-event"
        req["body"] = .string(JSONValue.object(body).serialized())
        o["request"] = .object(req)
        lines.append(JSONValue.object(o).serialized())
        let r = try Repo.evaluate(.delivery, lines: lines)
        XCTAssertTrue(r.certified, r.verdicts.filter { $0.status != .passed }.map(\.reason).joined(separator: "; "))
    }

    func testACallbackLoggedInTheSameMillisecondBeforeItsWebhookStillCounts() throws {
        // The callback's line is written first (it ended first) and both start in the same millisecond.
        var lines = try Repo.passingLog(.pos)
        let web = lines.firstIndex { $0.contains("\"record\":\"POS-04\"") && $0.contains("\"kind\":\"webhook\"") }!
        let cb = lines.firstIndex { $0.contains("\"record\":\"POS-04\"") && $0.contains("order-created") }!
        var w = try JSONValue.parse(lines[web]).objectValue!, c = try JSONValue.parse(lines[cb]).objectValue!
        c["startedAt"] = w["startedAt"]
        c["seq"] = w["seq"]; w["seq"] = .number((w["seq"]!.doubleValue ?? 0) + 0.5)
        lines[web] = JSONValue.object(c).serialized(); lines[cb] = JSONValue.object(w).serialized()
        let r = try Repo.evaluate(.pos, lines: lines)
        XCTAssertTrue(r.certified, r.verdicts.filter { $0.status != .passed }.map(\.reason).joined(separator: "; "))
    }

    func testOutOfOrderLinesGiveTheSameVerdicts() throws {
        // Lines are written when exchanges end: a callback may precede its webhook in the file.
        let lines = try Repo.passingLog(.delivery)
        let shuffled = lines.enumerated().map { ($0.offset % 7, $0.element) }.sorted { $0.0 < $1.0 }.map(\.1)
        let a = try Repo.evaluate(.delivery, lines: lines).verdicts.map { "\($0.id) \($0.status)" }
        let b = try Repo.evaluate(.delivery, lines: shuffled).verdicts.map { "\($0.id) \($0.status)" }
        XCTAssertEqual(a, b)
    }

    /// The lines of a run's log as other tools would have them: without record and step tags, and, for a capture,
    /// also without the run line, the signature markers and the action lines (which only otter-cert writes).
    func strip(_ lines: [String], capture: Bool) throws -> [String] {
        try lines.filter { !$0.isEmpty }.compactMap { line in
            var o = try JSONValue.parse(line).objectValue!
            o["record"] = nil; o["step"] = nil
            if capture { o["tags"] = nil; if ["run", "action"].contains(o["kind"]?.stringValue) { return nil } }
            return JSONValue.object(o).serialized()
        }
    }

    /// The passing run and every failing variant, by type.
    func variants(_ type: IntegrationType) throws -> [(String, [String])] {
        let base = try Repo.passingLog(type)
        return [("pass", base)] + (try LogCase.all(type).map { p in let c = try LogCase(path: p); return (c.name, try c.apply(to: base)) })
    }

    /// The run's own log with every `record` and `step` tag removed is judged exactly as the tagged log, verdict
    /// and reason: the verdict is a function of the content.
    func testUntaggedLogsGiveTheSameVerdictsForThePassingRunAndEveryCase() throws {
        var compared = 0
        for type in IntegrationType.allCases {
            for (name, lines) in try variants(type) {
                let tagged = try Repo.evaluate(type, lines: lines).verdicts
                let untagged = try Repo.evaluate(type, lines: try strip(lines, capture: false)).verdicts
                let diffs = zip(tagged, untagged).filter { $0.0.status != $0.1.status || $0.0.reason != $0.1.reason }
                    .map { "\($0.0.id): tagged \($0.0.status) «\($0.0.reason)», untagged \($0.1.status) «\($0.1.reason)»" }
                XCTAssertEqual(diffs, [], "\(type) \(name)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 60)
    }

    /// The same traffic seen as a proxy capture (no tags, no run line, no signature markers, no action lines; the
    /// webhook secret given) gets the same status for every record, except where the only evidence of the fault
    /// was an action line otter-cert wrote. Those are listed, with what the capture honestly says instead.
    func testCaptureLikeLogsGiveTheSameStatuses() throws {
        let onlyInActionLines: [String: (record: String, status: Verdict.Status)] = [
            "POS-05-action-failed": ("POS-05", .passed),          // the hook said it failed, yet the confirm was sent
            "POS-06-not-ready": ("POS-06", .skipped),             // no ready request: nothing shows the action happened
            "POS-13-no-unpause": ("POS-13", .skipped),            // likewise for the unpause
            "ORD-04-reused-id": ("ORD-04", .passed),              // the reused id joins the other order's exchanges
        ]
        for type in IntegrationType.allCases {
            for (name, lines) in try variants(type) {
                let tagged = try Repo.evaluate(type, lines: lines).verdicts
                let seen = try Repo.evaluate(type, lines: try strip(lines, capture: true), secret: "fixture-webhook-secret").verdicts
                var diffs = zip(tagged, seen).filter { $0.0.status != $0.1.status }
                    .map { "\($0.0.id): run \($0.0.status) «\($0.0.reason)», capture \($0.1.status) «\($0.1.reason)»" }
                if let known = onlyInActionLines[name] {
                    let v = seen.first { $0.id == known.record }!
                    XCTAssertEqual(v.status, known.status, "\(name): \(v.reason)")
                    diffs.removeAll { $0.hasPrefix(known.record + ":") }
                }
                XCTAssertEqual(diffs, [], "\(type) \(name)")
            }
        }
    }
}
