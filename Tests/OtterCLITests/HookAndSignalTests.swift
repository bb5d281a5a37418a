import XCTest
import OtterCore
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// No signal, no hang: `otter-cert run` with action hooks that misbehave, a partner that never answers, Ctrl-C, and a
/// fixture that goes away mid-run. The real binary, real `/bin/sh` hooks, real libcurl over loopback.
final class HookAndSignalTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-hooks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func env() -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["NO_COLOR"] = "1"
        e["OTTER_CERT_WEBHOOK_SECRET"] = "hook-webhook-secret"
        e["OTTER_CERT_CLIENT_ID"] = "hook-client"
        e["OTTER_CERT_CLIENT_SECRET"] = "hook-client-secret"
        return e
    }

    /// `otter-cert` started in the background, its output going to files.
    struct Launched {
        let process: Process
        let stdout: String, stderr: String
        let started: Date
        /// Waits for the exit (at most `timeout` s, then kills it) and returns the status and when it came.
        func wait(timeout: TimeInterval) -> (status: Int32, at: Date) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            let at = Date()
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return (process.terminationStatus, at)
        }
        var out: String { (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "" }
        var err: String { (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "" }
    }

    func launch(_ args: [String], environment: [String: String]? = nil) throws -> Launched {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Repo.binary)
        p.arguments = args
        p.environment = environment ?? env()
        let (out, err) = sendOutputToFiles(p, in: tmp)
        let started = Date()
        try p.run()
        addTeardownBlock { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        return Launched(process: p, stdout: out, stderr: err, started: started)
    }

    /// `run --type pos --only ID` with a hook, against a partner URL nothing listens on: the records used here
    /// (POS-11, POS-13) are partner actions only, so no webhook is sent.
    func runPOS(_ only: String, hook: String, scale: String, dir: String) throws -> Launched {
        try launch(["run", "--type", "pos", "--only", only, "--partner-url", "http://127.0.0.1:\(try freePort())/webhook",
                    "--sandbox-listen", "127.0.0.1:0", "--report-dir", dir, "--timeout-scale", scale, "--quiet",
                    "--action-hook", hook])
    }

    /// A shell script in the test folder.
    func script(_ name: String, _ body: String) throws -> String {
        let path = tmp.appendingPathComponent(name).path
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func lines(_ log: String) throws -> [JSONValue] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(Array($0.utf8)) }
    }

    func actions(_ log: String) throws -> [JSONValue] { try lines(log).filter { $0["kind"] == "action" } }

    func report(_ dir: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/latest/report.json"))))
    }

    func record(_ id: String, in dir: String) throws -> JSONValue? {
        try report(dir)["records"]?.arrayValue?.first { $0["id"]?.stringValue == id }
    }

    /// Waits until a file holds a pid, and returns it.
    func pid(in file: String, timeout: TimeInterval = 30) -> pid_t? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: file, encoding: .utf8), let p = pid_t(s.trimmingCharacters(in: .whitespacesAndNewlines)) { return p }
            usleep(20_000)
        }
        return nil
    }


    /// Every line of a log is valid against docs/event-log.schema.json, by python's jsonschema (when installed).
    func assertLogMatchesItsSchema(_ log: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let python = CIReaderTools.python(importing: ["jsonschema"]) else {
            if CIReaderTools.inCI { XCTFail("python jsonschema is missing", file: file, line: line) }
            return
        }
        let check = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        bad = [f"line {i}: {e.message}" for i, l in enumerate(open(sys.argv[2]), 1) for e in v.iter_errors(json.loads(l))]
        print("\\n".join(bad) or "ok"); sys.exit(1 if bad else 0)
        """
        let r = try runProcess(python, ["-c", check, Repo.path("docs/event-log.schema.json"), log])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr, file: file, line: line)
    }

    // MARK: - Hooks

    /// A hook that exits at once without reading its stdin killed otter-cert with SIGPIPE (exit 141, no report). Here
    /// the first action adds a 65,400-byte variable (a hook's stdout is read up to 64 KiB), so the second hook's stdin
    /// is more than a pipe holds (64 KiB): without SIGPIPE ignored and EPIPE handled, writing it could only end in
    /// SIGPIPE.
    func testAHookThatExitsAtOnceWithoutReadingItsInputIsNoCrash() throws {
        let dir = tmp.appendingPathComponent("exit0").path
        let sizes = tmp.appendingPathComponent("sizes").path
        let hook = try script("exit-at-once.sh", """
            echo "${#OTTER_CERT_VARS}" >> '\(sizes)'
            if [ "$OTTER_CERT_ACTION" = pos.pause_store ]; then printf '{"pad":"%065400d"}' 0; fi
            exit 0
            """)
        let run = try runPOS("POS-13", hook: hook, scale: "0.1", dir: dir)
        let (status, _) = run.wait(timeout: 120)
        XCTAssertEqual(status, 1, "not certified (the hook did nothing), not killed by SIGPIPE (141): \(run.out) \(run.err)")
        XCTAssertFalse(run.err.contains("error"), run.err)
        XCTAssertTrue(run.out.contains("NOT CERTIFIED") || run.out.contains("PARTIAL"), run.out)
        let acts = try actions(dir + "/latest/events.jsonl")
        XCTAssertEqual(acts.map { $0["action"]?["name"]?.stringValue ?? "" }, ["pos.pause_store", "pos.unpause_store"])
        XCTAssertEqual(acts.map { $0["action"]?["outcome"]?.stringValue ?? "" }, ["ok", "ok"], "a hook that does not read its input did its job")
        let second = try String(contentsOfFile: sizes, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }.last ?? 0
        XCTAssertGreaterThan(second, 65536, "the second hook's vars (also its stdin) are more than a pipe holds")
        XCTAssertNotNil(try record("POS-13", in: dir), "the report is written")
        try assertLogMatchesItsSchema(dir + "/latest/events.jsonl")
    }

    /// A hook that sleeps 100 s under a 6 s hook timeout (--timeout-scale 0.1) is killed at 6 s with everything it
    /// started, and the record fails saying so.
    func testAHookThatSleepsPastItsTimeoutIsKilledWithItsProcessGroupAtTheTimeout() throws {
        let dir = tmp.appendingPathComponent("sleep").path
        let pidFile = tmp.appendingPathComponent("child.pid").path
        let run = try runPOS("POS-11", hook: "sleep 100 & echo $! > '\(pidFile)'; sleep 100", scale: "0.1", dir: dir)
        let (status, at) = run.wait(timeout: 60)
        let took = at.timeIntervalSince(run.started)
        XCTAssertEqual(status, 1, run.out + run.err)
        let action = try XCTUnwrap(try actions(dir + "/latest/events.jsonl").first)
        let ms = try XCTUnwrap(action["durationMs"]?.doubleValue)
        XCTAssertGreaterThanOrEqual(ms, 6000, "the hook timeout is max(5, 60 × 0.1) = 6 s")
        XCTAssertLessThan(ms, 8000, "the hook is stopped within 2 s of its timeout, not when sleep 100 ends")
        XCTAssertLessThan(took, 6 + 2 + 3, "a failed action settles the record at once (measured \(took) s)")
        XCTAssertEqual(action["action"]?["outcome"], "failed")
        let message = action["action"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("timed out") && message.contains("6 s") && message.contains("killed"), message)
        let verdict = try XCTUnwrap(try record("POS-11", in: dir))
        XCTAssertEqual(verdict["status"], "failed")
        XCTAssertTrue(verdict["reason"]?.stringValue?.contains("the action hook timed out") == true, "\(verdict["reason"] ?? .null)")
        let child = try XCTUnwrap(pid(in: pidFile, timeout: 1))
        XCTAssertTrue(processEnded(child), "the hook's background child was killed with its process group")
        if !processEnded(child, within: 0) { kill(child, SIGKILL) }
    }

    /// A hook that leaves a background child holding its stdout was waited for until the child exited. Its own exit
    /// ends the wait now (after a 0.5 s grace for its output), and the action is what it reported.
    func testAHookWhoseBackgroundChildHoldsItsOutputEndsWhenTheHookExits() throws {
        let dir = tmp.appendingPathComponent("background").path
        let pidFile = tmp.appendingPathComponent("child.pid").path
        let run = try runPOS("POS-11", hook: "sleep 100 & echo $! > '\(pidFile)'; echo '{}'; exit 0", scale: "0.1", dir: dir)
        let (status, _) = run.wait(timeout: 60)
        if let child = pid(in: pidFile, timeout: 1) { kill(child, SIGKILL) }
        XCTAssertEqual(status, 1, run.out + run.err)
        let action = try XCTUnwrap(try actions(dir + "/latest/events.jsonl").first)
        let ms = try XCTUnwrap(action["durationMs"]?.doubleValue)
        XCTAssertLessThan(ms, 2000, "ended within 2 s of the hook's exit, not when sleep 100 ends")
        XCTAssertEqual(action["action"]?["outcome"], "ok")
        XCTAssertTrue(action["action"]?["message"]?.stringValue?.contains("left running") == true, "\(action)")
    }

    /// Ctrl-C while a hook runs kills the hook's whole group and ends the run within a second, with its reports.
    func testCtrlCDuringAHookKillsItAndEndsTheRunAtOnce() throws {
        let dir = tmp.appendingPathComponent("hook-int").path
        let pidFile = tmp.appendingPathComponent("child.pid").path
        let run = try runPOS("POS-11", hook: "sleep 100 & echo $! > '\(pidFile)'; wait", scale: "1", dir: dir)
        let child = try XCTUnwrap(pid(in: pidFile), "the hook started")
        defer { kill(child, SIGKILL) }
        let sent = Date()
        kill(run.process.processIdentifier, SIGINT)
        let (status, at) = run.wait(timeout: 30)
        let took = at.timeIntervalSince(sent)
        XCTAssertEqual(status, 130, run.out + run.err)
        XCTAssertLessThan(took, 2, "the run ends within 1–2 s of Ctrl-C (measured \(took) s), not after the 60 s hook timeout")
        XCTAssertTrue(processEnded(child), "the hook's process group was killed")
        let action = try XCTUnwrap(try actions(dir + "/latest/events.jsonl").first)
        XCTAssertEqual(action["action"]?["outcome"], "failed")
        XCTAssertTrue(action["action"]?["message"]?.stringValue?.contains("interrupted") == true, "\(action)")
        XCTAssertEqual(try report(dir)["coverage"]?["interrupted"], true)
        XCTAssertEqual(try report(dir)["certified"], false)
    }

    // MARK: - A partner that never answers

    /// A webhook to a partner that accepts the connection and never answers: SIGINT (and SIGTERM, routed the same
    /// way) abandons it within a second instead of waiting out its 10 s timeout; the run writes its reports,
    /// marked interrupted, and the abandoned webhook is logged as aborted, not held against the partner.
    func testCtrlCDuringAHungWebhookEndsTheRunWithinASecond() throws {
        let partner = try SilentServer()
        defer { partner.stop() }
        for sig in [SIGINT, SIGTERM] {
            let dir = tmp.appendingPathComponent("hung-\(sig)").path
            let before = partner.requests
            let run = try launch(["run", "--type", "delivery", "--only", "DEL-01", "--partner-url", "http://127.0.0.1:\(partner.port)/webhook",
                                  "--sandbox-listen", "127.0.0.1:0", "--report-dir", dir])
            let deadline = Date().addingTimeInterval(30)
            while partner.requests == before && Date() < deadline { usleep(10_000) }
            XCTAssertGreaterThan(partner.requests, before, "the webhook reached the partner")
            usleep(300_000)
            let sent = Date()
            kill(run.process.processIdentifier, sig)
            let (status, at) = run.wait(timeout: 30)
            let took = at.timeIntervalSince(sent)
            XCTAssertEqual(status, 130, "signal \(sig): \(run.out) \(run.err)")
            XCTAssertLessThan(took, 2, "signal \(sig): the run ends within 1–2 s (measured \(took) s), not at the webhook's 10 s timeout")
            XCTAssertTrue(run.err.contains("interrupted"), run.err)
            let webhook = try XCTUnwrap(try lines(dir + "/latest/events.jsonl").first { $0["kind"] == "webhook" })
            XCTAssertEqual(webhook["error"]?["kind"], "aborted", "\(webhook)")
            XCTAssertTrue(webhook["error"]?["message"]?.stringValue?.contains("interrupted") == true, "\(webhook)")
            let del01 = try XCTUnwrap(try record("DEL-01", in: dir))
            XCTAssertEqual(del01["status"], "skipped", "an abandoned webhook is not the partner's failure: \(del01)")
            XCTAssertTrue(del01["reason"]?.stringValue?.contains("interrupted") == true, "\(del01)")
            XCTAssertEqual(try report(dir)["coverage"]?["interrupted"], true)
            XCTAssertTrue(try String(contentsOfFile: dir + "/latest/report.md", encoding: .utf8).contains("interrupted"))
            try assertLogMatchesItsSchema(dir + "/latest/events.jsonl")
        }
    }

    // MARK: - A fixture that goes away

    /// The data folder (OTTER_CERT_HOME) is a copy; the hook of DEL-06's courier action makes the cancel fixture
    /// unreadable before DEL-08 needs it. DEL-08 fails at once as a harness error naming the fixture and the system's
    /// reason (it used to wait for ever), the run exits 3 with its reports, and `observe` on the log agrees.
    func testAFixtureUnreadableMidRunFailsItsRecordAsAHarnessError() throws {
        let home = tmp.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("Fixtures"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.path("checklists"), toPath: home.appendingPathComponent("checklists").path)
        try FileManager.default.copyItem(atPath: Repo.path("Fixtures/webhooks"), toPath: home.appendingPathComponent("Fixtures/webhooks").path)
        let fixture = home.appendingPathComponent("Fixtures/webhooks/delivery/cancel.json").path
        // chmod 000 does not stop root from reading: there, the file is removed instead.
        let hook = try script("spoil.sh", """
            chmod 000 '\(fixture)'
            [ "$(id -u)" = 0 ] && rm -f '\(fixture)'
            echo 'no courier here' >&2
            exit 1
            """)
        let partner = try PythonPartner(type: "delivery", environment: env())
        defer { partner.stop() }
        var e = env()
        e["OTTER_CERT_HOME"] = home.path
        let dir = tmp.appendingPathComponent("fixture").path
        // One record after another: DEL-06's hook spoils the fixture DEL-08 reads later.
        let run = try launch(["run", "--type", "delivery", "--only", "DEL-06,DEL-08", "--parallel", "1", "--partner-url", partner.url + "/webhook",
                              "--sandbox-listen", "127.0.0.1:\(partner.sandboxPort)", "--report-dir", dir, "--action-hook", hook],
                             environment: e)
        let (status, at) = run.wait(timeout: 120)
        XCTAssertEqual(status, 3, "a record the harness could not run is an environment error: \(run.out) \(run.err)")
        XCTAssertTrue(run.err.contains("harness error in DEL-08") && run.err.contains("delivery/cancel.json"), run.err)
        XCTAssertFalse(run.out.split(separator: "\n").contains { $0.hasPrefix("CERTIFIED") }, run.out)
        let log = dir + "/latest/events.jsonl"
        let entries = try lines(log)
        let note = try XCTUnwrap(entries.first { $0["kind"] == "harness" }, "the harness logs what it could not do")
        XCTAssertEqual(note["record"], "DEL-08")
        XCTAssertEqual(note["step"], "trigger")
        XCTAssertEqual(note["error"]?["kind"], "fixture")
        let why = note["error"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(why.contains("delivery/cancel.json") && (why.contains("no such file") || why.contains("Permission denied")), why)
        XCTAssertFalse(why.contains(home.path), "the log names the fixture, not the local folder: \(why)")
        func time(_ v: JSONValue?) -> Double { ISO8601DateFormatter.withFractions.date(from: v?.stringValue ?? "")?.timeIntervalSince1970 ?? 0 }
        let failedAt = time(note["startedAt"])
        let end = try XCTUnwrap(entries.first { $0["kind"] == "end" && $0["record"] == "DEL-08" })
        XCTAssertEqual(end["tags"]?.arrayValue?.first, "failed")
        XCTAssertLessThan(time(end["startedAt"]) - failedAt, 1, "the record is settled at once, well within its deadline")
        XCTAssertLessThan(at.timeIntervalSince1970 - failedAt, 2, "the run ends within 2 s of the failure")
        let del08 = try XCTUnwrap(try record("DEL-08", in: dir))
        XCTAssertEqual(del08["status"], "failed")
        let reason = del08["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.hasPrefix("harness error") && reason.contains("delivery/cancel.json"), reason)
        XCTAssertEqual(try record("DEL-06", in: dir)?["status"], "failed", "DEL-06's action hook failed (it only spoiled the fixture)")
        // The verdict comes from the log: observe on it gives DEL-08 the same status and reason.
        let observed = tmp.appendingPathComponent("observed.json").path
        _ = try runProcess(Repo.binary, ["observe", "--type", "delivery", "--log", log, "--report-json", observed, "--quiet"], environment: env())
        let again = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: observed))))["records"]?.arrayValue?.first { $0["id"] == "DEL-08" }
        XCTAssertEqual(again?["status"], "failed")
        XCTAssertEqual(again?["reason"]?.stringValue, reason)
        try assertLogMatchesItsSchema(log)
    }
}

/// The independent python partner (Tests/IndependentPartner), listening on a free port.
final class PythonPartner {
    let process = Process()
    let url: String
    let sandboxPort: Int

    init(type: String, environment: [String: String]) throws {
        let port = try freePort()
        sandboxPort = try freePort()
        url = "http://127.0.0.1:\(port)"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repo.path("Tests/IndependentPartner/partner.py"), "--type", type, "--listen", "127.0.0.1:\(port)",
                             "--otter-url", "http://127.0.0.1:\(sandboxPort)"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !canConnect(port) { usleep(50_000) }
    }

    func stop() { stopProcess(process) }
}

/// A partner that accepts connections, reads what comes, and never answers.
final class SilentServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var count = 0
    private var open: [Int32] = []
    private var stopped = false

    /// How many connections sent something.
    var requests: Int { lock.withLock { count } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in(); addr.sin_family = sa_family_t(AF_INET); addr.sin_port = 0; addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { if lock.withLock({ stopped }) { return }; continue }
                lock.withLock { open.append(c) }
                Thread.detachNewThread { [self] in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var counted = false
                    while recv(c, &buffer, buffer.count, 0) > 0 {
                        if !counted { counted = true; lock.withLock { count += 1 } }
                    }
                }
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true; for c in open { shutdown(c, Int32(SHUT_RDWR)); close(c) }; open = [] }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
