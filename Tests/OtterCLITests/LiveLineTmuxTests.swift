import Foundation
import TestSupport
import XCTest

/// The live line, as a real terminal (tmux, 80 columns) shows it during a record that waits 30 s: at most one live
/// line on screen at any time, never wider than the terminal, with its [n/N] counter and elapsed time; typed keys
/// are not echoed into it.
final class LiveLineTmuxTests: XCTestCase {
    func tmux(_ args: [String], session: String) throws -> ProcessResult { try runProcess(tmuxPath!, ["-L", session] + args, timeout: 20) }
    var tmuxPath: String? { CIReaderTools.onPath("tmux") }

    func testAt80ColumnsThereIsOneLiveLineThatFitsTheWidth() throws {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary) else { throw XCTSkip("build otter-cert first: \(Repo.binary)") }
        guard tmuxPath != nil else {
            if CIReaderTools.inCI { XCTFail("tmux is missing; .ci/install-terminal-tools installs it") }
            throw XCTSkip("tmux is missing (.ci/install-terminal-tools installs it)")
        }
        let session = "otter-live-\(UUID().uuidString.prefix(8))"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(session).path
        // DEL-04 with a partner that never sends the quote: the record waits its whole 30 s.
        let command = "cd \(Repo.path("")) && \(Repo.binary) demo --type delivery --fault skip-callback --only DEL-04 --report-dir \(dir); sleep 30"
        // The tmux server outlives this call. It must not inherit this test process's descriptors (with one of them
        // open, `new-session -d` does not return until the session ends), nor its signal dispositions and mask.
        let unmask = "import os, signal, sys\nfor s in signal.valid_signals():\n    try: signal.signal(s, signal.SIG_DFL)\n    except (OSError, ValueError): pass\nsignal.pthread_sigmask(signal.SIG_SETMASK, [])\nos.closerange(3, 65536)\nos.execv(sys.argv[1], sys.argv[1:])"
        let start = try runProcess("/bin/sh", ["-c", "python3 -c \"$0\" \"$1\" -L \"$2\" new-session -d -s \"$2\" -x 80 -y 24 env TERM=xterm-256color sh -c \"$3\" </dev/null >/dev/null 2>/dev/null",
                                               unmask, tmuxPath!, session, command], timeout: 20)
        XCTAssertEqual(start.status, 0, start.stderr)
        func partners() -> Int {
            let r = try? runProcess("/usr/bin/pgrep", ["-f", "otter-cert sample-partner serve"])
            return r?.stdout.split(separator: "\n").count ?? 0
        }
        let partnersBefore = partners()
        defer {
            _ = try? tmux(["kill-server"], session: session)
            // Closing the terminal ends the demo, and the demo stops its sample partner: nothing is left running.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, partners() > partnersBefore { usleep(200_000) }
            XCTAssertLessThanOrEqual(partners(), partnersBefore, "the demo's sample partner outlived its terminal")
        }

        var samples: [[String]] = []
        let deadline = Date().addingTimeInterval(25)
        while Date() < deadline, samples.filter({ $0.contains { $0.contains("waiting for") } }).count < 8 {
            usleep(700_000)
            if samples.count == 3 { _ = try tmux(["send-keys", "-t", session, "zzzz"], session: session) }  // typed during the live line
            let captured = try tmux(["capture-pane", "-p", "-t", session], session: session)
            let pane = captured.stdout
            samples.append(pane.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        }
        let live = samples.filter { $0.contains { $0.contains("waiting for") } }
        XCTAssertGreaterThanOrEqual(live.count, 5, "the live line was seen: \(samples.last ?? [])")
        for screen in samples {
            let waiting = screen.filter { $0.contains("waiting for") }
            XCTAssertLessThanOrEqual(waiting.count, 1, "more than one live line on screen:\n" + screen.joined(separator: "\n"))
            for line in screen { XCTAssertLessThanOrEqual(line.count, 80, line) }
            XCTAssertFalse(screen.contains { $0.contains("zzzz") }, "typed keys were echoed:\n" + screen.joined(separator: "\n"))
        }
        let line = try XCTUnwrap(live.last?.first { $0.contains("waiting for") })
        XCTAssertTrue(line.hasPrefix("[1/1] DEL-04 waiting for"), line)
        XCTAssertNotNil(line.range(of: #"s left · 0:\d\d"#, options: .regularExpression), line)
    }
}
