import Foundation
import OtterClient
import OtterCore
import OtterHarness
import XCTest

final class EventLogTests: XCTestCase {
    func testEveryExchangeIsAParseableTaggedLineWithoutSecretsInClear() throws {
        let rig = try SandboxRig()
        rig.sandbox.setActiveRecord("DEL-01", step: nil)
        let tokenResponse = rig.tokenResponse()
        let token = try XCTUnwrap(tokenResponse.json?["access_token"]?.stringValue)
        let event = rig.announce(record: "DEL-03")
        rig.sandbox.setActiveRecord("DEL-05", step: "trigger")
        XCTAssertEqual(rig.quote(token: token, eventId: event).status, 204)
        XCTAssertEqual(rig.quote(token: token, eventId: "not-announced").status, 404)
        XCTAssertEqual(rig.send("GET", "/nowhere").status, 404)

        let lines = rig.fileEntries()
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines.map(\.seq), [1, 2, 3, 4])
        XCTAssertEqual(lines.map(\.kind), [.token, .callback, .callback, .callback])
        // A request to no API path is no record's, whatever record is running.
        XCTAssertEqual(lines.map(\.record), ["DEL-01", "DEL-03", "DEL-05", nil])
        XCTAssertEqual(lines[2].step, "trigger")
        XCTAssertNil(lines[3].step)
        XCTAssertTrue(lines.allSatisfy { $0.direction == .partnerToOtter })
        XCTAssertEqual(lines.map { $0.response?.status ?? 0 }, [200, 204, 404, 404])
        let q = lines[1]
        XCTAssertEqual(q.request?.method, "POST")
        XCTAssertEqual(q.request?.url, rig.sandbox.baseURL + "/v1/delivery/ref-1/quotes")
        XCTAssertEqual(q.request?.header("X-Event-Id"), event)
        XCTAssertEqual(q.request?.json?["currencyCode"]?.stringValue, "USD")
        XCTAssertTrue(q.request?.header("Authorization")?.hasPrefix("Bearer <redacted:") == true)
        XCTAssertTrue(lines[0].response?.json?["access_token"]?.stringValue?.hasPrefix("<redacted:") == true)
        XCTAssertEqual(lines[0].response?.json?["token_type"]?.stringValue, "bearer")
        XCTAssertLessThanOrEqual(abs(q.startedAt - Date().timeIntervalSince1970), 60)

        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: rig.logPath))
        XCTAssertNil(bytes.range(of: Data(SandboxRig.clientSecret.utf8)), "client secret in clear")
        XCTAssertNil(bytes.range(of: Data(token.utf8)), "access token in clear")
        XCTAssertEqual(rig.log.entries.count, 4)
    }

    func testConcurrentAppendsAreNumberedInFileOrderAndObserved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("deep/er/log.jsonl").path
        let log = try EventLog(path: path, redactor: Redactor(salt: "x"))
        let seen = LockedCounter()
        let token = log.observe { _ in seen.add() }
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            log.append(LogEntry(seq: 0, record: "R\(i)", direction: .partnerToOtter, kind: .callback, startedAt: 1_800_000_000,
                                request: Message(method: "GET", url: "http://x/\(i)", headers: [("Authorization", "Bearer secret-\(i)")])))
        }
        token.cancel()
        log.append(LogEntry(seq: 0, direction: nil, kind: .action, startedAt: 1_800_000_000, action: ActionNote(name: "a", outcome: "ok")))
        log.close()
        XCTAssertEqual(seen.value, 200, "observer called once per append until cancelled")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(text.contains("secret-"))
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 201)
        let seqs = try lines.enumerated().map { i, l in
            try Array(l.utf8).withUnsafeBytes { raw throws(LogError) in try LogCodec.decode(line: raw, lineNumber: i + 1).seq }
        }
        XCTAssertEqual(seqs, Array(1...201))
        XCTAssertEqual(log.entries.map(\.seq), Array(1...201))
    }

    func testAnExistingLogIsNeverOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("events.jsonl").path
        try "evidence of an earlier run\n".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try EventLog(path: path, redactor: Redactor(salt: "x"))) { error in
            guard case HarnessError.environment(let m) = error else { return XCTFail("expected .environment, got \(error)") }
            XCTAssertTrue(m.contains("already exists") && m.contains("never overwritten"), m)
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "evidence of an earlier run\n")
    }

    func testUnwritablePathIsAnEnvironmentError() throws {
        XCTAssertThrowsError(try EventLog(path: "/proc/otter-cert-cannot-write/log.jsonl", redactor: Redactor(salt: "x"))) { error in
            guard case HarnessError.environment = error else { return XCTFail("expected .environment, got \(error)") }
        }
        let memory = try EventLog(path: nil, redactor: Redactor(salt: "x"))
        let stored = memory.append(LogEntry(seq: 99, direction: nil, kind: .action, startedAt: 0, action: ActionNote(name: "a", outcome: "ok")))
        XCTAssertEqual(stored.seq, 1)
        XCTAssertEqual(memory.entries.count, 1)
    }
}

/// A thread-safe counter for observer callbacks.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
