import XCTest
import OtterCore
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A process run on another thread; `wait()` returns how it ended.
final class BackgroundRun: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<ProcessResult, Error>?

    init(_ executable: String, _ arguments: [String], environment: [String: String], timeout: TimeInterval) {
        group.enter()
        DispatchQueue.global().async {
            self.result = Result { try runProcess(executable, arguments, environment: environment, timeout: timeout) }
            self.group.leave()
        }
    }

    func wait() throws -> ProcessResult { group.wait(); return try result!.get() }
}

/// Evidence stays whole and verdicts stay right when the disk fills, a second run starts, a partner keeps its token
/// from an earlier run, something stray calls the sandbox, or TLS verification is switched off (issue #11).
extension RunEndToEndTests {
    /// The demo on a 16 KiB disk (a tmpfs in a mount namespace of its own): the log fills it within a few records.
    func testAFullDiskStopsTheRunAtOnceNamingTheLogAndSaysNoVerdict() throws {
        let disk = tmp.appendingPathComponent("small-disk").path
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let script = "mount -t tmpfs -o size=16k tmpfs \"$1\" || exit 97; cd \"$1\" && \"$2\" demo --report-dir \"$1\" 2>\"$1/../stderr\"; s=$?; "
            + "cp -r \"$1/delivery\" \"$1/../kept\" 2>/dev/null; exit $s"
        let started = Date()
        let r = try runProcess("/usr/bin/unshare", ["-rm", "sh", "-c", script, "sh", disk, Repo.binary], environment: env(), timeout: 120)
        let elapsed = Date().timeIntervalSince(started)
        if r.status == 97 || (r.status != 3 && r.stderr.contains("unshare")) {
            if CIReaderTools.inCI { XCTFail("cannot mount a small tmpfs here: \(r.stderr)") }
            throw XCTSkip("no mount namespace to make a full disk in: \(r.stderr)")
        }
        let stderr = (try? String(contentsOfFile: tmp.appendingPathComponent("stderr").path, encoding: .utf8)) ?? ""
        XCTAssertEqual(r.status, 3, "a log that cannot be written is an environment error\n\(r.stdout)\n\(stderr)")
        XCTAssertFalse(r.stdout.contains("CERTIFIED"), "no verdict is said on a partial log:\n\(r.stdout)")
        XCTAssertTrue(stderr.contains("events.jsonl") && stderr.contains("No space left on device") && stderr.contains("no verdict"), stderr)
        XCTAssertLessThan(elapsed, 60, "the run stops when the disk is full, not after every record")
        // What was written stays a readable log: whole lines only, no torn last line.
        let log = try String(contentsOfFile: tmp.appendingPathComponent("kept/attempt-1/events.jsonl").path, encoding: .utf8)
        XCTAssertTrue(log.hasSuffix("\n"), "the torn last line was taken back")
        for (i, line) in log.split(separator: "\n").enumerated() {
            do { _ = try Array(line.utf8).withUnsafeBytes { raw throws(LogError) in try LogCodec.decode(line: raw, lineNumber: i + 1) } } catch {
                XCTFail("line \(i + 1) of the kept log: \(error)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("kept/attempt-1/report.html").path),
                       "no report is built on the partial log")
    }

    /// Two runs into one report folder at once: the second is refused, the first is not disturbed, a later one works.
    func testASecondRunIntoTheSameReportFolderIsRefusedWhileTheFirstRuns() throws {
        let dir = tmp.appendingPathComponent("shared").path
        let first = BackgroundRun(Repo.binary, ["demo", "--report-dir", dir, "--quiet"], environment: env(), timeout: 200)
        let log = dir + "/delivery/attempt-1/events.jsonl"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: log) && Date() < deadline { usleep(50_000) }
        let second = try runProcess(Repo.binary, ["demo", "--report-dir", dir, "--quiet"], environment: env(), timeout: 60)
        XCTAssertEqual(second.status, 3, second.stdout + second.stderr)
        XCTAssertTrue(second.stderr.contains("another otter-cert run (process ") && second.stderr.contains("is writing into the report folder"), second.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/delivery/attempt-2"), "the refused run made no attempt folder")
        let r = try first.wait()
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("CERTIFIED"), r.stdout)
        let later = try runProcess(Repo.binary, ["demo", "--report-dir", dir, "--quiet", "--only", "DEL-01"], environment: env(), timeout: 120)
        XCTAssertTrue(later.stdout.contains("Report: "), "the folder is free once the first run ended: \(later.stdout)\(later.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/delivery/attempt-2/events.jsonl"))
    }

    /// The same partner certified twice in a row (it keeps the token of the first run, which the second sandbox did
    /// not issue), with a stray `GET /favicon.ico` sent to the sandbox during the second run.
    func testASecondRunAndAStrayRequestLeaveACorrectPartnerCertified() throws {
        let (p, url, sandboxPort) = try startPython("delivery")
        defer { stopProcess(p) }
        func args(_ dir: String) -> [String] {
            ["run", "--type", "delivery", "--partner-url", url + "/webhook", "--sandbox-listen", "127.0.0.1:\(sandboxPort)",
                                         "--store-id", "indie-store-7", "--report-dir", dir, "--quiet",
                                         "--action-hook", "python3 '\(Repo.path("Tests/IndependentPartner/action-hook.py"))' --partner \(url)"]
        }
        let one = try runProcess(Repo.binary, args(tmp.appendingPathComponent("first").path), environment: env(), timeout: 300)
        XCTAssertEqual(one.status, 0, one.stdout)
        let secondDir = tmp.appendingPathComponent("second").path
        let second = BackgroundRun(Repo.binary, args(secondDir), environment: env(), timeout: 300)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: secondDir + "/latest/events.jsonl") && Date() < deadline { usleep(50_000) }
        while !canConnect(sandboxPort) && Date() < deadline { usleep(50_000) }
        sleep(1)
        let stray = try runProcess("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(sandboxPort)/favicon.ico"], timeout: 10)
        XCTAssertEqual(stray.stdout, "404")
        let two = try second.wait()
        XCTAssertEqual(two.status, 0, "a correct partner stays certified on a second run with a stray request:\n\(two.stdout)")
        XCTAssertEqual(try notPassed(secondDir + "/latest"), [:])
        let report = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: secondDir + "/latest/report.json"))))
        XCTAssertGreaterThanOrEqual(report["stats"]?["unattributed"]?.intValue ?? 0, 1, "the stray request is counted as unattributed")
        let del03 = report["records"]?.arrayValue?.first { $0["id"]?.stringValue == "DEL-03" }
        XCTAssertTrue(del03?["reason"]?.stringValue?.contains("answered 401 and replaced by a new one") == true,
                      "the token kept from the first run was refused once and replaced: \(del03?["reason"]?.stringValue ?? "")")
        let log = try String(contentsOfFile: secondDir + "/latest/events.jsonl", encoding: .utf8)
        let favicon = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("/favicon.ico") })
        XCTAssertFalse(favicon.contains("\"record\""), "a stray request is pinned on no record: \(favicon)")
    }

    /// A partner behind TLS whose certificate nobody trusts, run with --insecure: not certified (exit 1) unless
    /// --allow-insecure-certification, and every report format and the summary line say TLS was not verified.
    func testAnInsecureRunIsNotCertifiedUnlessAllowedAndEveryReportSaysSo() throws {
        guard let python = CIReaderTools.python(importing: ["cryptography", "junitparser"]) else {
            if CIReaderTools.inCI { XCTFail("the test-tools virtualenv lacks cryptography or junitparser") }
            throw XCTSkip("no test-tools virtualenv with cryptography and junitparser (.ci/install-test-tools, .ci/install-junit-tools)")
        }
        concurrently([false, true], width: 2) { allowed in
            let (p, url, sandboxPort) = try self.startPython("delivery")
            defer { stopProcess(p) }
            let tlsPort = try freePort()
            let front = Process()
            front.executableURL = URL(fileURLWithPath: python)
            front.arguments = [Repo.path("Tests/Scripts/tls-forward.py"), "--listen", "\(tlsPort)", "--to", String(url.split(separator: ":").last!)]
            front.standardOutput = FileHandle.nullDevice
            try front.run()
            defer { stopProcess(front) }
            let deadline = Date().addingTimeInterval(20)
            while !canConnect(tlsPort) && Date() < deadline { usleep(50_000) }
            let dir = self.tmp.appendingPathComponent("insecure-\(allowed)").path
            let r = try runProcess(Repo.binary, ["run", "--type", "delivery", "--partner-url", "https://127.0.0.1:\(tlsPort)/webhook",
                                                 "--sandbox-listen", "127.0.0.1:\(sandboxPort)", "--store-id", "indie-store-7", "--report-dir", dir,
                                                 "--quiet", "--insecure",
                                                 "--action-hook", "python3 '\(Repo.path("Tests/IndependentPartner/action-hook.py"))' --partner \(url)"]
                                   + (allowed ? ["--allow-insecure-certification"] : []), environment: self.env(), timeout: 300)
            let out = dir + "/latest"
            XCTAssertEqual(try self.notPassed(out), [:], "every record passes over TLS without verification")
            let summary = r.stdout.split(separator: "\n").map(String.init)
            if allowed {
                XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
                XCTAssertTrue(summary.contains { $0.hasPrefix("CERTIFIED") }, r.stdout)
                XCTAssertTrue(summary.contains { $0.contains("TLS verification OFF (--insecure)") && $0.contains("--allow-insecure-certification") }, r.stdout)
            } else {
                XCTAssertEqual(r.status, 1, "an unverified partner is not certified:\n" + r.stdout + r.stderr)
                XCTAssertTrue(summary.contains { $0.hasPrefix("NOT CERTIFIED") }, r.stdout)
                XCTAssertTrue(summary.contains { $0.hasPrefix("Not certified: TLS verification was off (--insecure)") }, r.stdout)
            }
            for file in ["report.html", "report.md", "report.json", "junit.xml", "report.tap"] {
                let text = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
                XCTAssertTrue(text.contains("--insecure"), "\(file) says TLS was not verified")
            }
            // A CI system's JUnit reader sees the blocked run as red, and the allowed one as green.
            let read = try runProcess(python, ["-c", """
                import sys, junitparser
                x = junitparser.JUnitXml.fromfile(sys.argv[1])
                cases = [c for s in x for c in s]
                print(sum(1 for c in cases if any(isinstance(r, junitparser.Failure) for r in c.result)), len(cases))
                """, out + "/junit.xml"], timeout: 30)
            XCTAssertEqual(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines), allowed ? "0 12" : "1 13", read.stderr)
            // `observe` on the log gives the same verdict: it comes from the log's run line.
            let observed = try runProcess(Repo.binary, ["observe", "--type", "delivery", "--log", out + "/events.jsonl"], environment: self.env(), timeout: 60)
            XCTAssertEqual(observed.status, allowed ? 0 : 1, observed.stdout)
        }
    }
}
