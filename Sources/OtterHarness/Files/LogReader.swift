import Foundation
import OtterCore
import OtterCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Whatever consumes log entries as they are read: the certification evaluator, the onboarding incident deriver.
public protocol LogEntrySink: AnyObject {
    /// Takes one entry, in file order.
    func consume(_ entry: LogEntry)
    /// Counts a malformed line skipped in lenient mode.
    func noteSkippedLine()
    /// Counts a HAR entry that could not be classified.
    func noteUnclassified()
}

extension Evaluator: LogEntrySink {}
extension IncidentDeriver: LogEntrySink {}

/// Streams an event log (JSON Lines) or reads a HAR capture into an entry sink.
///
/// JSON Lines are read in 1 MiB chunks and handed over a line at a time, so memory stays flat whatever
/// the file's size. A line longer than `maxLineBytes` is an error (or skipped, when lenient) without being buffered.
public struct LogReader {
    /// Lines longer than this are refused.
    public var maxLineBytes = 64 << 20
    /// Skip malformed lines (counting them) instead of stopping at the first.
    public var lenient = false

    /// Creates a reader.
    public init(lenient: Bool = false) { self.lenient = lenient }

    /// What kind of file a log is.
    public enum Format: String, Sendable { case jsonl, har }

    /// Feeds every entry of the file at `path` (`-` for standard input) to `evaluator`; returns the format read.
    @discardableResult
    public func read(path: String, into evaluator: some LogEntrySink) throws(HarnessError) -> Format {
        let fd: Int32
        if path == "-" { fd = 0 } else {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw .input("\(path): no such file") }
            if isDir.boolValue { throw .input("\(path): is a directory, expected an event log (.jsonl) or a HAR capture (.har)") }
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw .input("\(path): cannot open: \(String(cString: strerror(errno)))") }
        }
        defer { if fd != 0 { close(fd) } }
        let name = path == "-" ? "<stdin>" : path
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        // Sniff: a HAR capture is one JSON document with a top-level "log"; a JSONL log has an entry per line.
        var first = try fill(fd, &buffer, name)
        if first == 0 { throw .input("\(name): the file is empty") }
        pending.append(contentsOf: buffer[0..<first])
        if looksLikeHAR(pending, path: path) {
            while first > 0 {
                first = try fill(fd, &buffer, name)
                pending.append(contentsOf: buffer[0..<first])
                if pending.count > DataFiles.maxWholeFileBytes { throw .input("\(name): HAR capture larger than \(DataFiles.maxWholeFileBytes >> 20) MiB") }
            }
            let salt = Digest.hex(Digest.sha256(pending.prefix(65536))).prefix(16)
            do {
                let (entries, unclassified) = try HARImporter.entries(from: pending, redactor: Redactor(salt: String(salt)))
                for _ in 0..<unclassified { evaluator.noteUnclassified() }
                for e in entries { evaluator.consume(e) }
            } catch { var e = error; e.file = name; throw .input(e.description) }
            return .har
        }
        var lineNumber = 0
        var entries = 0
        var skipped = 0
        var discarding = false
        func handle(_ line: ArraySlice<UInt8>) throws(HarnessError) {
            lineNumber += 1
            var slice = line
            if slice.last == 13 { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            let result: Result<LogEntry, LogError> = slice.withUnsafeBytes { raw in
                do { return .success(try LogCodec.decode(line: raw, lineNumber: lineNumber)) } catch let e as LogError { return .failure(e) } catch { return .failure(LogError(line: lineNumber, message: "\(error)")) }
            }
            switch result {
            case .success(let entry): evaluator.consume(entry); entries += 1
            case .failure(var e):
                if lenient { skipped += 1; evaluator.noteSkippedLine(); return }
                e.file = name
                throw .input(e.description)
            }
        }
        var n = first
        while true {
            var start = pending.startIndex
            if n > 0 || !pending.isEmpty {
                while let nl = pending[start...].firstIndex(of: 10) {
                    if discarding { discarding = false } else { try handle(pending[start..<nl]) }
                    start = nl + 1
                }
                pending.removeSubrange(pending.startIndex..<start)
                if pending.count > maxLineBytes {
                    if !lenient { throw .input("\(name):\(lineNumber + 1): line longer than \(maxLineBytes >> 20) MiB (is this a binary file?)") }
                    if !discarding { lineNumber += 1; skipped += 1; evaluator.noteSkippedLine() }
                    discarding = true
                    pending.removeAll(keepingCapacity: true)
                }
            }
            n = try fill(fd, &buffer, name)
            if n == 0 { break }
            pending.append(contentsOf: buffer[0..<n])
        }
        if !pending.isEmpty && !discarding { try handle(pending[...]) }
        if entries == 0 && skipped == 0 { throw .input("\(name): holds no log entries (only blank lines)") }
        return .jsonl
    }

    private func fill(_ fd: Int32, _ buffer: inout [UInt8], _ name: String) throws(HarnessError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .input("\(name): read error: \(String(cString: strerror(errno)))")
        }
    }

    private func looksLikeHAR(_ head: [UInt8], path: String) -> Bool {
        if path.lowercased().hasSuffix(".har") { return true }
        guard let firstNonSpace = head.first(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }), firstNonSpace == UInt8(ascii: "{") else { return false }
        let firstLine = head.prefix { $0 != 10 }
        if let v = try? JSONValue.parse(Array(firstLine)) { return v["log"] != nil && v["kind"] == nil }
        // A pretty-printed HAR spans lines: its opening names "log" early on.
        let opening = String(decoding: head.prefix(512), as: UTF8.self)
        return opening.range(of: #"^\s*\{\s*"log"\s*:"#, options: .regularExpression) != nil
    }
}
