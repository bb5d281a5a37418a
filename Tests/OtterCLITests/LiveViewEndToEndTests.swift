import Foundation
import OtterCore
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The live view as a user sees it: the real binary, real loopback HTTP, and a real headless Chromium taking the
/// page's DOM while a demo run goes on, and while `observe --follow` reads a log that is being appended.
final class LiveViewEndToEndTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary) else { throw XCTSkip("build otter-cert first: \(Repo.binary)") }
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let tmp { try? FileManager.default.removeItem(at: tmp) } }

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func browser() throws -> String {
        guard let c = Self.chromium else {
            if CIReaderTools.inCI { XCTFail("chromium is missing; .ci/install-browser-tools installs it") }
            throw XCTSkip("chromium is missing (.ci/install-browser-tools installs it)")
        }
        return c
    }

    /// `chromium --headless --dump-dom URL`: the DOM once the page has loaded; with `virtualTime`, after the page's
    /// script has run for that long (Chromium waits for the event stream meanwhile, so it returns once the stream ends).
    func dumpDOM(_ url: String, virtualTime: Int? = nil, timeout: TimeInterval = 90) throws -> String {
        let profile = tmp.appendingPathComponent("profile-\(UUID().uuidString)").path
        var args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)"]
        if let virtualTime { args.append("--virtual-time-budget=\(virtualTime)") }
        args += ["--dump-dom", url]
        let r = try runProcess(try browser(), args, timeout: timeout)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("id=\"live-root\""), "not the live page: \(r.stdout.prefix(300)) \(r.stderr.suffix(500))")
        return r.stdout
    }

    /// The live bar's attributes in a dumped DOM.
    struct Bar {
        var settled: Int, total: Int, final: Bool, verdict: String, certified: Bool, streamed: Bool
        init(_ dom: String) throws {
            let start = try XCTUnwrap(dom.range(of: "<div id=\"live\""), "no live bar")
            let tag = String(dom[start.lowerBound...].prefix { $0 != ">" })
            func attr(_ n: String) -> String? {
                guard let r = tag.range(of: " \(n)=\"") else { return nil }
                return String(tag[r.upperBound...].prefix { $0 != "\"" })
            }
            settled = try XCTUnwrap(Int(attr("data-settled") ?? ""), tag)
            total = try XCTUnwrap(Int(attr("data-total") ?? ""), tag)
            final = attr("data-final") == "true"
            verdict = attr("data-verdict") ?? ""
            certified = attr("data-certified") == "true"
            streamed = attr("data-stream") == "on"
        }
    }

    /// `otter-cert` in the background, its output going to files.
    struct Launched {
        let process: Process
        let stdout: String, stderr: String
        var out: String { (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "" }
        var err: String { (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "" }
        func wait(timeout: TimeInterval) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { stopProcess(process); return nil }
            return process.terminationStatus
        }
        /// Waits for a line on standard error that starts with `prefix`.
        func line(_ prefix: String, timeout: TimeInterval) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let l = err.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(l) }
                if !process.isRunning { return nil }
                usleep(20_000)
            }
            return nil
        }
    }

    func launch(_ args: [String]) throws -> Launched {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Repo.binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        p.currentDirectoryURL = tmp
        let (out, err) = sendOutputToFiles(p, in: tmp)
        try p.run()
        addTeardownBlock { stopProcess(p) }
        return Launched(process: p, stdout: out, stderr: err)
    }

    func url(_ l: Launched) throws -> String {
        let line = try XCTUnwrap(l.line("Live view: ", timeout: 30), "no 'Live view:' line: \(l.err)")
        let u = String(line.dropFirst("Live view: ".count).prefix { $0 != " " })
        XCTAssertTrue(u.hasPrefix("http://127.0.0.1:") && u.hasSuffix("/") && !u.hasSuffix(":0/"), u)
        return u
    }

    func testDemoLiveViewInChromiumSettlesRecordsAndEndsWithTheReportsVerdict() throws {
        _ = try browser()
        let demo = try launch(["demo", "--type", "orders", "--live-view", "127.0.0.1:0", "--live-view-hold", "60",
                               "--report-dir", tmp.appendingPathComponent("demo").path, "--quiet"])
        let u = try url(demo)
        // Two moments of the run, as the server renders them (no script needed).
        let first = try Bar(try dumpDOM(u))
        XCTAssertFalse(first.final, "the first look came after the run")
        XCTAssertEqual(first.total, 21)
        XCTAssertLessThan(first.settled, first.total)
        // Records settle in steps (a duplicate window, a store-wide record running alone): look again until one has.
        var secondDOM = try dumpDOM(u)
        var second = try Bar(secondDOM)
        let until = Date().addingTimeInterval(40)
        while second.settled <= first.settled && Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            secondDOM = try dumpDOM(u)
            second = try Bar(secondDOM)
        }
        XCTAssertGreaterThan(second.settled, first.settled, "the second look shows more settled records")
        XCTAssertEqual(secondDOM.components(separatedBy: "data-phase=\"settled\"").count - 1, second.settled)
        // With the script running, the browser swaps in what the event stream pushes, up to the final event.
        let pushedDOM = try dumpDOM(u, virtualTime: 120_000, timeout: 120)
        let pushed = try Bar(pushedDOM)
        XCTAssertTrue(pushed.streamed, "the page's script never swapped in an event")
        XCTAssertTrue(pushed.final, "the stream ended before the final event")
        XCTAssertEqual(pushed.settled, pushed.total)
        // The end: the view's verdict is report.json's.
        let reportPath = tmp.appendingPathComponent("demo/orders/latest/report.json").path
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: reportPath) && Date() < deadline { usleep(50_000) }
        let report = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: reportPath))))
        let certified = try XCTUnwrap(report["certified"]?.boolValue)
        let last = try Bar(try dumpDOM(u))
        XCTAssertTrue(last.final)
        XCTAssertEqual(last.certified, certified)
        XCTAssertEqual(pushed.certified, certified)
        XCTAssertEqual(last.verdict, certified ? "CERTIFIED" : "NOT CERTIFIED")
        XCTAssertEqual(pushed.verdict, last.verdict)
        // Record by record, the view's verdicts are the report's.
        for r in report["records"]?.arrayValue ?? [] {
            let id = try XCTUnwrap(r["id"]?.stringValue), status = try XCTUnwrap(r["status"]?.stringValue)
            XCTAssertTrue(pushedDOM.contains("data-record=\"\(id)\" data-phase=\"settled\" data-status=\"\(status)\""), "\(id) \(status)")
        }
        for dom in [secondDOM, pushedDOM] {
            for secret in ["demo-webhook-secret", "demo-client-secret"] { XCTAssertFalse(dom.contains(secret), secret) }
        }
        // Ctrl-C ends the hold; the exit is the run's.
        kill(demo.process.processIdentifier, SIGINT)
        XCTAssertEqual(demo.wait(timeout: 20), certified ? 0 : 1, demo.err)
    }

    func testObserveFollowJudgesALogAsItIsAppended() throws {
        // A run's log, with its end lines.
        let runDir = tmp.appendingPathComponent("run").path
        let run = try otterCert(["demo", "--type", "delivery", "--report-dir", runDir, "--quiet"], timeout: 120)
        XCTAssertEqual(run.status, 0, run.stderr)
        let source = runDir + "/delivery/latest/events.jsonl"
        let lines = try String(contentsOfFile: source, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 20)
        let followed = tmp.appendingPathComponent("followed.jsonl").path
        let out = tmp.appendingPathComponent("out").path
        // Following starts before the log exists.
        let f = try launch(["observe", "--follow", followed, "--live-view", "127.0.0.1:0", "--report-dir", out])
        let u = try url(f)
        XCTAssertTrue(try dumpDOM(u).contains("starting"))
        let third = lines.count / 3
        FileManager.default.createFile(atPath: followed, contents: Data((lines[..<third].joined(separator: "\n") + "\n").utf8))
        var a: Bar?
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let b = try? Bar(try dumpDOM(u)), b.total > 0 { a = b; break }
            usleep(100_000)
        }
        let early = try XCTUnwrap(a, "the first lines never reached the view: \(f.err)")
        XCTAssertFalse(early.final)
        XCTAssertLessThan(early.settled, early.total)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(f.process.isRunning, "still following")
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: followed))
        h.seekToEndOfFile()
        h.write(Data((lines[third..<(2 * third)].joined(separator: "\n") + "\n").utf8))
        var mid = try Bar(try dumpDOM(u))
        let until = Date().addingTimeInterval(20)
        while mid.settled <= early.settled && Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            mid = try Bar(try dumpDOM(u))
        }
        XCTAssertGreaterThan(mid.settled, early.settled, "the appended lines were judged as they came")
        XCTAssertTrue(f.process.isRunning, "no end lines for every record yet: still following")
        h.write(Data((lines[(2 * third)...].joined(separator: "\n") + "\n").utf8))
        try h.close()
        // The run's end lines end the following; the reports are observe's on the whole file.
        XCTAssertEqual(f.wait(timeout: 30), 0, f.err + f.out)
        XCTAssertTrue(f.err.contains("has ended"), f.err)
        let mine = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))))
        let observed = try otterCert(["observe", "--log", followed, "--report-json", tmp.appendingPathComponent("o.json").path, "--quiet"])
        XCTAssertEqual(observed.status, 0, observed.stderr)
        let theirs = try JSONValue.parse(Array(try Data(contentsOf: tmp.appendingPathComponent("o.json"))))
        XCTAssertEqual(mine["certified"], theirs["certified"])
        XCTAssertEqual(mine["records"]?.arrayValue?.map { $0["status"] }, theirs["records"]?.arrayValue?.map { $0["status"] })
    }

    func testFollowEndsOnSIGTERMAndALiveViewOffLoopbackNeedsAToken() throws {
        let followed = tmp.appendingPathComponent("f.jsonl").path
        try (try Repo.passingLog(.pos).joined(separator: "\n") + "\n").write(toFile: followed, atomically: true, encoding: .utf8)
        let f = try launch(["observe", "--follow", followed, "--report-dir", tmp.appendingPathComponent("o").path, "--quiet"])
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertTrue(f.process.isRunning, "a log without end lines is followed until stopped")
        kill(f.process.processIdentifier, SIGTERM)
        XCTAssertEqual(f.wait(timeout: 20), 0, f.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("o/report.json").path))
        let refused = try otterCert(["observe", "--follow", followed, "--live-view", "0.0.0.0:0"], timeout: 20)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--live-view-token"), refused.stderr)
        let token = "tok-\(UUID().uuidString)"
        let g = try launch(["observe", "--follow", followed, "--live-view", "0.0.0.0:0", "--live-view-token", token, "--quiet"])
        let line = try XCTUnwrap(g.line("Live view: ", timeout: 20), g.err)
        XCTAssertFalse(g.err.contains(token) || g.out.contains(token), "the token was echoed")
        let port = try XCTUnwrap(line.split(separator: ":").dropFirst(3).first.flatMap { Int($0.prefix { $0.isNumber }) }, line)
        let c0 = try XCTUnwrap(RawClient(port: port))
        c0.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(c0.readResponse()?.status, 401)
        let c = try XCTUnwrap(RawClient(port: port))
        c.send("GET /?token=\(token) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let ok = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(ok.status, 200)
        XCTAssertFalse(ok.text.contains(token))
        kill(g.process.processIdentifier, SIGINT)
        XCTAssertEqual(g.wait(timeout: 20), 0, g.err)
    }
}
