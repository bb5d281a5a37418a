import Foundation
import OtterCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads an event log (JSON Lines) as it grows, like `tail -f`, and judges its entries as they arrive
/// (`observe --follow`). What a live view shows comes from `snapshot`; the final verdict is computed afterwards from
/// the whole file, exactly as `observe` computes it, so following changes nothing in the reports.
///
/// Untrusted input: a line is taken only once its newline is there; a line longer than `maxLineBytes`, a malformed
/// line (unless lenient) or a file that shrinks stops the following (the final `observe` then says why).
public final class LogFollower: @unchecked Sendable {
    /// Why following stopped.
    public enum End: Sendable, Equatable {
        /// The run in the log ended: every record it ran has its end line.
        case runEnded
        /// Told to stop (Ctrl-C, SIGTERM).
        case stopped
        /// The log cannot be followed further (a malformed or overlong line, the file shrank or went away).
        case unreadable(String)
    }

    public let path: String
    /// Lines longer than this stop the following.
    public var maxLineBytes = 64 << 20
    /// Skip malformed lines instead of stopping.
    public var lenient = false
    /// How long an entry is held back before it is judged (seconds, by its start time against the clock): a writer
    /// logs an exchange when it ends, so a later-starting one may come first.
    public var holdBack = 1.5
    /// How often the file is looked at again when nothing was appended.
    public var pollInterval = 0.1

    private let lock = NSLock()
    private var evaluator: Evaluator?
    private var only: Set<String>?
    private var expected: Set<String> = []
    private var ended: Set<String> = []
    private var sawRun = false

    /// Follows `path`.
    public init(path: String) { self.path = path }

    /// The integration type the log's run line records, waiting for the first line to be there (nil if `stop` said
    /// stop first, or the first line is not a run line).
    public static func waitForType(path: String, stop: () -> Bool, pollInterval: Double = 0.1) -> IntegrationType?? {
        while !stop() {
            if let h = FileHandle(forReadingAtPath: path) {
                let head = (try? h.read(upToCount: 64 * 1024)) ?? Data()
                try? h.close()
                if head.contains(UInt8(ascii: "\n")) || head.count == 64 * 1024 { return .some(LogReader.recordedIntegrationType(path: path)) }
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
        return nil
    }

    /// Follows the log into `evaluator` until the run in it ends, `stop` says stop, or the log cannot be read further.
    /// `records` are the checklist's ids (what a run without `--only` runs). `onChange` is called after each batch of
    /// new entries.
    public func follow(into evaluator: Evaluator, records: [String], stop: @escaping () -> Bool, onChange: () -> Void) -> End {
        lock.lock()
        self.evaluator = evaluator
        expected = Set(records)
        lock.unlock()
        var fd: Int32 = -1
        defer { if fd >= 0 { close(fd) } }
        var buffer: [UInt8] = []
        var offset = 0
        var lineNumber = 0
        var chunk = readBuffer()
        while true {
            if stop() { return .stopped }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    if errno == ENOENT { Thread.sleep(forTimeInterval: pollInterval); continue }
                    return .unreadable("\(path): cannot open: \(String(cString: strerror(errno)))")
                }
            }
            var st = stat()
            if fstat(fd, &st) == 0, Int(st.st_size) < offset {
                return .unreadable("\(path) shrank while it was followed (from \(offset) to \(st.st_size) bytes): a log is only ever appended to")
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .unreadable("\(path): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                lock.lock()
                evaluator.advance(before: Date().timeIntervalSince1970 - holdBack)
                let done = runEnded
                lock.unlock()
                if done { return .runEnded }
                Thread.sleep(forTimeInterval: pollInterval)
                continue
            }
            offset += n
            buffer.append(contentsOf: chunk[0..<n])
            var entries: [LogEntry] = []
            var start = 0
            while let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                lineNumber += 1
                var line = buffer[start..<nl]
                start = nl + 1
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
                if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                let decoded: Result<LogEntry, LogError> = line.withUnsafeBytes { raw in
                    do throws(LogError) { return .success(try LogCodec.decode(line: raw, lineNumber: lineNumber)) } catch { return .failure(error) }
                }
                switch decoded {
                case .success(let e): entries.append(e)
                case .failure(let e):
                    if lenient {
                        lock.lock(); evaluator.noteSkippedLine(lineNumber); lock.unlock()
                    } else {
                        take(entries)
                        return .unreadable("\(path): line \(lineNumber): \(e.message)")
                    }
                }
            }
            buffer.removeFirst(start)
            if buffer.count > maxLineBytes {
                take(entries)
                return .unreadable("\(path): line \(lineNumber + 1) is longer than \(maxLineBytes) bytes")
            }
            take(entries)
            onChange()
        }
    }

    private func take(_ entries: [LogEntry]) {
        guard !entries.isEmpty, let evaluator else { return }
        lock.lock()
        defer { lock.unlock() }
        for e in entries {
            if e.kind == .run && !sawRun {
                sawRun = true
                if let ids = e.run?.extra["only"]?.arrayValue { only = Set(ids.compactMap(\.stringValue)) }
            }
            if e.kind == .end, let r = e.record { ended.insert(r) }
            evaluator.consume(e)
        }
        evaluator.advance(before: Date().timeIntervalSince1970 - holdBack)
    }

    /// Whether the run in the log has ended: its run line is there, and every record it runs has its end line.
    private var runEnded: Bool {
        sawRun && (only ?? expected).isSubset(of: ended)
    }

    /// What the live view shows: the verdicts so far and where each record stands, as of now.
    public func snapshot() -> LiveSnapshot? {
        lock.lock()
        defer { lock.unlock() }
        guard let evaluator else { return nil }
        return evaluator.snapshot(now: Date().timeIntervalSince1970, only: only, ended: ended)
    }
}
