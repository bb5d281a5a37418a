import XCTest
@testable import OtterCLI

final class TerminalTests: XCTestCase {
    func testDetect() {
        XCTAssertTrue(TerminalStyle.detect(environment: [:], isTTY: true).colors)
        XCTAssertTrue(TerminalStyle.detect(environment: ["TERM": "xterm-256color", "NO_COLOR": ""], isTTY: true).colors)
        XCTAssertFalse(TerminalStyle.detect(environment: [:], isTTY: false).colors)
        XCTAssertFalse(TerminalStyle.detect(environment: ["NO_COLOR": "1"], isTTY: true).colors)
        XCTAssertFalse(TerminalStyle.detect(environment: ["TERM": "dumb"], isTTY: true).colors)
    }

    func testStyling() {
        let color = TerminalStyle(colors: true)
        XCTAssertEqual(color.green("ok"), "\u{1B}[32mok\u{1B}[0m")
        XCTAssertEqual(color.red("x"), "\u{1B}[31mx\u{1B}[0m")
        XCTAssertEqual(color.yellow("w"), "\u{1B}[33mw\u{1B}[0m")
        XCTAssertEqual(color.bold("b"), "\u{1B}[1mb\u{1B}[0m")
        XCTAssertEqual(color.dim("d"), "\u{1B}[2md\u{1B}[0m")
        XCTAssertEqual(color.green(""), "")
        let plain = TerminalStyle.detect(environment: ["NO_COLOR": "1"], isTTY: true)
        for styled in [plain.green("ok"), plain.red("ok"), plain.yellow("ok"), plain.bold("ok"), plain.dim("ok")] {
            XCTAssertEqual(styled, "ok")
        }
    }

    func testIsTerminalOnPipe() {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertFalse(isTerminal(fds[1]))
        XCTAssertFalse(OtterCLI.LineWriter(fileDescriptor: fds[1]).isTerminal)
    }

    func testFileDescriptorWriterWritesWholeLines() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let writer = OtterCLI.LineWriter(fileDescriptor: fds[1])
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            writer.line(String(repeating: "\(i % 10)", count: 100))
        }
        writer.write("end")
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.removeLast(), "end")
        XCTAssertEqual(lines.count, 50)
        for line in lines {
            XCTAssertEqual(line.count, 100)
            XCTAssertEqual(Set(line).count, 1, "lines must not interleave: \(line)")
        }
    }

    func testCapturingWriterIsThreadSafe() {
        let writer: LineWriter = .capturing()
        DispatchQueue.concurrentPerform(iterations: 200) { _ in writer.line("abc") }
        writer.line()
        XCTAssertEqual(writer.captured, String(repeating: "abc\n", count: 200) + "\n")
        XCTAssertFalse(writer.isTerminal)
    }
}
