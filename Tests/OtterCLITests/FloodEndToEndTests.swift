import XCTest
import OtterCore
import OtterCrypto
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A flood against a live run's sandbox: 1,000 unauthenticated 1 MB POSTs, 100 at a time, while `otter-cert run`
/// (the real binary) plays a delivery checklist against the independent partner. The run's peak resident memory
/// (VmHWM of the otter-cert process, read from /proc while it still runs) stays under 150 MB and its events.jsonl
/// under 10 MB, because the sandbox keeps only the first 256 KiB of each body (hashing the rest as it arrives) and
/// logs three copies of the flood per record, then counts (`repeats` lines).
///
/// `OTTER_CERT_TEST_BINARY=/path/to/otter-cert` runs the same flood against another build (to measure one without
/// these bounds); the numbers are printed before they are checked.
final class FloodEndToEndTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    static let requests = 1000
    /// 4 client addresses × 25 connections: 100 at once, within the sandbox's 64 connections per client.
    static let sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
    static let perSource = 25

    func testThousandUnauthenticatedMegabytePostsLeaveMemoryAndLogBounded() throws {
        let binary = ProcessInfo.processInfo.environment["OTTER_CERT_TEST_BINARY"] ?? Repo.binary
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["OTTER_CERT_WEBHOOK_SECRET"] = "flood-webhook-secret-K3j4"
        env["OTTER_CERT_CLIENT_ID"] = "flood-client"
        env["OTTER_CERT_CLIENT_SECRET"] = "flood-client-secret-P0o9"

        // The partner never sends its quotes: every record waits for its (stretched) deadline, so the sandbox
        // is up for minutes, longer than the flood takes.
        let partnerPort = try freePort(), sandboxPort = try freePort()
        let partner = Process()
        partner.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        partner.arguments = ["python3", Repo.path("Tests/IndependentPartner/partner.py"), "--type", "delivery",
                             "--listen", "127.0.0.1:\(partnerPort)", "--otter-url", "http://127.0.0.1:\(sandboxPort)",
                             "--misbehave", "skip-quote"]
        partner.environment = env
        partner.standardOutput = FileHandle.nullDevice
        partner.standardError = FileHandle.nullDevice
        try partner.run()
        defer { stopProcess(partner) }
        let listening = Date().addingTimeInterval(10)
        while Date() < listening && !canConnect(partnerPort) { usleep(50_000) }

        let dir = tmp.appendingPathComponent("flood").path
        let run = Process()
        run.executableURL = URL(fileURLWithPath: binary)
        run.arguments = ["run", "--type", "delivery", "--partner-url", "http://127.0.0.1:\(partnerPort)/webhook",
                         "--sandbox-listen", "127.0.0.1:\(sandboxPort)", "--report-dir", dir, "--timeout-scale", "4", "--quiet"]
        run.environment = env
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        try run.run()
        defer { if run.isRunning { run.terminate(); run.waitUntilExit() } }
        let pid = run.processIdentifier
        let log = dir + "/latest/events.jsonl"
        let started = Date().addingTimeInterval(30)
        while Date() < started, (try? String(contentsOfFile: log, encoding: .utf8))?.contains("\"kind\":\"webhook\"") != true { usleep(100_000) }
        let before = Self.peakResidentKB(pid)
        XCTAssertGreaterThan(before, 0, "cannot read VmHWM of otter-cert (pid \(pid))")

        // The flood: each worker sends its requests one after the other, a new connection each (like `ab` without -k).
        let body = Array(("{\"pad\":\"" + String(repeating: "x", count: 1_000_000 - 10) + "\"}").utf8)
        XCTAssertEqual(body.count, 1_000_000)
        let head = Array(("POST /v1/delivery/flood-ref/quotes HTTP/1.1\r\nHost: 127.0.0.1:\(sandboxPort)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8)
        let statuses = StatusTally()
        let floodStart = Date()
        let workers = Self.sources.count * Self.perSource
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let source = Self.sources[w % Self.sources.count]
            for i in 0..<(Self.requests / workers) {
                guard let c = RawClient(port: sandboxPort, source: source) else { statuses.add("connect failed"); continue }
                guard c.send(head), c.send(body) else { statuses.add("send failed"); continue }
                if let r = c.readResponse(timeout: 60) {
                    statuses.add(r.status == 401 && r.errorCode == "unauthorized" ? "401" : "\(r.status) \(r.text.prefix(80))")
                } else {
                    statuses.add("no answer (request \(i) of worker \(w))")
                }
            }
        }
        let floodSeconds = Date().timeIntervalSince(floodStart)
        let after = Self.peakResidentKB(pid)
        XCTAssertTrue(run.isRunning, "the run ended during the flood")

        // Ctrl-C: the run stops, writes the counts still pending and its reports.
        kill(pid, SIGINT)
        let stop = Date().addingTimeInterval(30)
        while run.isRunning && Date() < stop { usleep(50_000) }
        XCTAssertFalse(run.isRunning, "the run did not end within 30 s of Ctrl-C")
        let logBytes = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        print(String(format: "flood: %d POSTs of 1 MB in %.1f s: %@; otter-cert VmHWM %d kB before, %d kB after; events.jsonl %d bytes",
                     Self.requests, floodSeconds, statuses.summary, before, after, logBytes))

        XCTAssertEqual(statuses.counts, ["401": Self.requests], "every POST is answered 401")
        XCTAssertLessThan(after, 150 * 1024, "peak RSS of otter-cert: \(after) kB")
        XCTAssertGreaterThan(logBytes, 0)
        XCTAssertLessThan(logBytes, 10 * 1024 * 1024, "events.jsonl: \(logBytes) bytes")

        // The log: three copies per record in full (their body truncated, with the right size and hash), the rest counted.
        let data = try XCTUnwrap(FileManager.default.contents(atPath: log))
        var entries: [LogEntry] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            entries.append(try Array(line).withUnsafeBytes { raw throws(LogError) in try LogCodec.decode(line: raw, lineNumber: i + 1) })
        }
        let sha = Digest.hex(Digest.sha256(body))
        let copies = entries.filter { $0.request?.path == "/v1/delivery/flood-ref/quotes" }
        XCTAssertFalse(copies.isEmpty)
        for e in copies {
            XCTAssertEqual(e.response?.status, 401)
            XCTAssertEqual(e.request?.truncated, TruncatedBody(size: 1_000_000, sha256: sha))
            XCTAssertEqual(e.request?.body.utf8.count, Message.bodyLogCap)
            XCTAssertTrue(e.request?.body.hasPrefix("{\"pad\":\"xxxx") == true)
        }
        for (record, n) in Dictionary(grouping: copies, by: { $0.record ?? "-" }).mapValues(\.count) {
            XCTAssertLessThanOrEqual(n, 3, "record \(record) has \(n) full copies of the flood")
        }
        let firsts = Set(copies.map(\.seq))
        let counts = entries.filter { $0.kind == .repeats }
        for r in counts { XCTAssertTrue(firsts.contains(r.repeats?.of ?? -1), "a repeats line names a line that is not the flood's: \(r.repeats?.of ?? -1)") }
        XCTAssertEqual(copies.count + counts.reduce(0) { $0 + ($1.repeats?.count ?? 0) }, Self.requests,
                       "full copies plus counted repeats make every request")
        // Every line is valid against the published schema of a log line.
        let check = try runProcess(NSString(string: "~/.cache/otter-cert/test-tools/bin/python").expandingTildeInPath, ["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            v = jsonschema.Draft202012Validator(schema)
            bad = [(i + 1, e.message) for i, line in enumerate(open(sys.argv[2])) for e in v.iter_errors(json.loads(line))]
            print(bad[:5]); sys.exit(1 if bad else 0)
            """, Repo.path("docs/event-log.schema.json"), log])
        XCTAssertEqual(check.status, 0, "lines not valid against docs/event-log.schema.json: \(check.stdout) \(check.stderr)")
        // The report says the flood was counted.
        let report = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/latest/report.json"))))
        let warnings = report["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(warnings.contains { $0.hasPrefix("\(Self.requests - copies.count) repeated unauthenticated request(s) were counted") }, "\(warnings)")
    }

    /// Peak resident set size (VmHWM) of a process, in kB; 0 if unreadable.
    static func peakResidentKB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

/// Outcomes counted from many threads.
final class StatusTally: @unchecked Sendable {
    private let lock = NSLock()
    private var n: [String: Int] = [:]
    func add(_ s: String) { lock.lock(); n[s, default: 0] += 1; lock.unlock() }
    var counts: [String: Int] { lock.lock(); defer { lock.unlock() }; return n }
    var summary: String { counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") }
}
