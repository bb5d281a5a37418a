// Terminal helpers: color detection/styling, isatty, and thread-safe line output.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// ANSI styling that is the identity when colors are off.
public struct TerminalStyle: Sendable, Equatable {
    /// Whether ANSI escape sequences are emitted.
    public var colors: Bool

    /// Creates a style with colors explicitly on or off.
    public init(colors: Bool) { self.colors = colors }

    /// A style that never emits escape sequences.
    public static let plain = TerminalStyle(colors: false)

    /// Colors only when `isTTY`, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
    public static func detect(environment: [String: String], isTTY: Bool) -> TerminalStyle {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        return TerminalStyle(colors: isTTY && !noColor && environment["TERM"] != "dumb")
    }

    private func apply(_ code: String, _ text: String) -> String {
        guard colors, !text.isEmpty else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// Green text (pass).
    public func green(_ text: String) -> String { apply("32", text) }
    /// Red text (fail).
    public func red(_ text: String) -> String { apply("31", text) }
    /// Yellow text (warning).
    public func yellow(_ text: String) -> String { apply("33", text) }
    /// Bold text.
    public func bold(_ text: String) -> String { apply("1", text) }
    /// Dim text.
    public func dim(_ text: String) -> String { apply("2", text) }
}

/// Whether the file descriptor refers to a terminal (`isatty`).
public func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// A thread-safe, unbuffered text writer: each call is written whole, with no interleaving between threads.
public final class LineWriter: @unchecked Sendable {
    private enum Target { case fileDescriptor(Int32), capture }

    /// Standard output (fd 1).
    public static let stdout = LineWriter(fileDescriptor: 1)
    /// Standard error (fd 2).
    public static let stderr = LineWriter(fileDescriptor: 2)

    private let target: Target
    private let lock = NSLock()
    private var buffer = ""

    /// Writes to a file descriptor with `write(2)` (retrying partial writes and EINTR; other errors drop the text).
    public init(fileDescriptor: Int32) { target = .fileDescriptor(fileDescriptor) }

    private init(capturing: Void) { target = .capture }

    /// A writer that keeps everything in memory (see `captured`), for tests.
    public static func capturing() -> LineWriter { LineWriter(capturing: ()) }

    /// Everything written so far by a capturing writer (empty for file descriptors).
    public var captured: String { lock.withLock { buffer } }

    /// Whether the target is a terminal (false for capturing writers).
    public var isTerminal: Bool {
        if case .fileDescriptor(let fd) = target { return OtterCLI.isTerminal(fd) }
        return false
    }

    /// Writes `text` followed by a newline, immediately.
    public func line(_ text: String = "") { write(text + "\n") }

    /// Writes `text` as is, immediately.
    public func write(_ text: String) {
        lock.withLock {
            switch target {
            case .capture:
                buffer += text
            case .fileDescriptor(let fd):
                var bytes = Array(text.utf8)[...]
                while !bytes.isEmpty {
                    let written = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress, raw.count) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    bytes = bytes.dropFirst(written)
                }
            }
        }
    }
}

/// The terminal's width in columns (`TIOCGWINSZ` on `fd`), asked anew each time so a resized window (SIGWINCH) is
/// followed; else `$COLUMNS`; else nil.
public func terminalColumns(_ fd: Int32 = 1, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
    var size = winsize()
    if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
}

/// Keys typed while the live line is drawn are not echoed into it: echo (and line editing) are off on the terminal
/// of standard input until `restore()`, which the run calls on every way out (end, error, Ctrl-C).
public final class TerminalEcho: @unchecked Sendable {
    private var saved: termios?
    private let lock = NSLock()

    /// Turns echo off on fd 0 when it is a terminal; does nothing otherwise.
    public init() {
        guard isatty(0) == 1 else { return }
        var t = termios()
        guard tcgetattr(0, &t) == 0 else { return }
        saved = t
        t.c_lflag &= ~tcflag_t(ECHO | ICANON)
        _ = tcsetattr(0, TCSANOW, &t)
    }

    /// Puts the terminal back as it was. Idempotent.
    public func restore() {
        lock.withLock {
            guard var t = saved else { return }
            _ = tcsetattr(0, TCSANOW, &t)
            _ = tcflush(0, TCIFLUSH)  // what was typed meanwhile is not replayed into the shell
            saved = nil
        }
    }

    deinit { restore() }
}
