import XCTest
@testable import OtterHarness
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The child process an action hook runs in: real `/bin/sh`, real pipes and signals.
final class HookProcessTests: XCTestCase {
    let big = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)   // more than a pipe holds (64 KiB)

    func run(_ command: String, input: [UInt8] = [], timeout: TimeInterval = 10, interruptAfter: TimeInterval? = nil) -> (HookProcess.Result, TimeInterval) {
        let started = Date()
        let r = HookProcess.run(command, environment: ["PATH": "/usr/bin:/bin"], input: input, timeout: timeout,
                                isInterrupted: { interruptAfter.map { Date().timeIntervalSince(started) >= $0 } ?? false })
        return (r, Date().timeIntervalSince(started))
    }


    func pid(in file: String) throws -> pid_t {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: file, encoding: .utf8), let p = pid_t(s.trimmingCharacters(in: .whitespacesAndNewlines)) { return p }
            usleep(10_000)
        }
        throw XCTSkip("no pid in \(file)")
    }

    func testAChildThatReadsItsInputGetsAllOfItAndItsOutputIsKept() {
        let (r, _) = run("wc -c; echo oops >&2", input: big)
        XCTAssertEqual(r.end, .exited(0))
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "300000")
        XCTAssertEqual(String(decoding: r.stderr, as: UTF8.self), "oops\n")
        XCTAssertFalse(r.inputUnread)
    }

    /// A hook that exits without reading a stdin larger than a pipe: an EPIPE, not a SIGPIPE that kills the caller.
    func testAChildThatDoesNotReadItsInputIsNoError() {
        let (r, took) = run("exit 0", input: big)
        XCTAssertEqual(r.end, .exited(0))
        XCTAssertTrue(r.inputUnread)
        XCTAssertLessThan(took, 2)
    }

    /// A child that neither reads its input nor exits does not block the caller in write(2): the timeout still holds.
    func testAChildThatSleepsPastItsTimeoutIsKilledWithItsWholeGroup() throws {
        let file = NSTemporaryDirectory() + "hook-\(UUID().uuidString).pid"
        defer { unlink(file) }
        let (r, took) = run("sleep 100 & echo $! > '\(file)'; sleep 100", input: big, timeout: 1)
        XCTAssertEqual(r.end, .timedOut)
        XCTAssertGreaterThanOrEqual(took, 1)
        XCTAssertLessThan(took, 3, "stopped at its timeout, not when sleep ends")
        XCTAssertTrue(processEnded(try pid(in: file)), "the background child of the hook was killed with it")
    }

    func testAChildThatIgnoresSIGTERMIsKilled() {
        let (r, took) = run("trap '' TERM; sleep 100", timeout: 0.5)
        XCTAssertEqual(r.end, .timedOut)
        XCTAssertLessThan(took, 2.5)
    }

    /// A background process holding the hook's stdout is not waited for once the hook has exited.
    func testABackgroundChildHoldingTheOutputIsNotWaitedFor() throws {
        let file = NSTemporaryDirectory() + "hook-\(UUID().uuidString).pid"
        defer { unlink(file) }
        let (r, took) = run("echo '{\"orderId\":\"o-1\"}'; sleep 100 & echo $! > '\(file)'; exit 0", timeout: 30)
        let child = try pid(in: file)
        defer { kill(child, SIGKILL) }
        XCTAssertEqual(r.end, .exited(0))
        XCTAssertTrue(r.outputAbandoned)
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self), "{\"orderId\":\"o-1\"}\n", "what it printed before it exited is kept")
        XCTAssertLessThan(took, 2, "the hook's own exit ends the wait (0.5 s grace for its output)")
    }

    func testAnInterruptKillsTheGroupAtOnce() throws {
        let file = NSTemporaryDirectory() + "hook-\(UUID().uuidString).pid"
        defer { unlink(file) }
        let (r, took) = run("sleep 100 & echo $! > '\(file)'; wait", timeout: 60, interruptAfter: 0.5)
        XCTAssertEqual(r.end, .interrupted)
        XCTAssertLessThan(took, 1.5)
        XCTAssertTrue(processEnded(try pid(in: file)))
    }

    /// The child gets default signal handling and no descriptor of ours beyond 0–2, whatever this process does.
    func testTheChildStartsWithDefaultSignalsAndNoInheritedDescriptors() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        defer { signal(SIGHUP, SIG_DFL) }
        let (r, _) = run("grep -E '^(SigIgn|SigBlk)' /proc/self/status; ls /proc/self/fd")
        let out = String(decoding: r.stdout, as: UTF8.self)
        func mask(_ name: String) -> UInt64? {
            out.split(separator: "\n").first { $0.hasPrefix(name + ":") }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        }
        let ours = [SIGPIPE, SIGINT, SIGTERM, SIGHUP].reduce(UInt64(0)) { $0 | (1 << UInt64($1 - 1)) }
        XCTAssertEqual(mask("SigIgn").map { $0 & ours }, 0, "SIGPIPE, SIGINT, SIGTERM and SIGHUP are not ignored in the hook: \(out)")
        XCTAssertEqual(mask("SigBlk"), 0, out)
        // ls itself has one more open (the directory it lists): 0, 1, 2 and that one.
        let fds = out.split(separator: "\n").filter { Int($0) != nil }
        XCTAssertLessThanOrEqual(fds.count, 4, out)
    }

    func testKilledBySignalAndExitStatusAreTold() {
        XCTAssertEqual(run("kill -KILL $$").0.end, .signalled(SIGKILL))
        XCTAssertEqual(run("exit 7").0.end, .exited(7))
    }
}
