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
/// A UTF-8 byte order mark at the start of either is skipped.
/// JSON Lines are read in 1 MiB chunks and handed over a line at a time, so memory stays flat whatever
/// the file's size. A line longer than `maxLineBytes` is an error (or skipped, when lenient) without being buffered.
public struct LogReader {
    /// Lines longer than this are refused.
    public var maxLineBytes = 64 << 20
    /// Skip malformed lines (counting them) instead of stopping at the first.
    public var lenient = false

    /// Creates a reader.
    public init(lenient: Bool = false) { self.lenient = lenient }

    /// The integration type an otter-cert event log records in its first line (the run line), if it is one. Reads
    /// at most 64 KB; anything else (a HAR, an untagged log, an unreadable file) is nil.
    public static func recordedIntegrationType(path: String) -> IntegrationType? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        let line = head.prefix { $0 != UInt8(ascii: "\n") }
        guard let json = try? JSONValue.parse(Array(line)), json["kind"] == "run",
              let t = json["run"]?["integrationType"]?.stringValue ?? json["integrationType"]?.stringValue else { return nil }
        return IntegrationType(rawValue: t)
    }

    /// What kind of file a log is.
    public enum Format: String, Sendable { case jsonl, har }

    /// What a reader learned about a log as a whole, before it handed over the entries.
    public struct Facts: Sendable {
        /// JSON Lines or HAR.
        public var format: Format
        /// Warnings about the whole file (a HAR's times without a UTC offset, its stripped Authorization headers), each once.
        public var warnings: [String] = []
        /// Why bearer tokens cannot be judged from this log, or nil (see `EvaluationOptions.bearerUnavailable`).
        public var bearerUnavailable: String?
        /// For a HAR capture: the entries as read (redacted, normalised), its `run` line first, to be written as `events.jsonl`.
        public var eventLog: [LogEntry]?
        /// Creates facts.
        public init(format: Format, warnings: [String] = [], bearerUnavailable: String? = nil, eventLog: [LogEntry]? = nil) {
            self.format = format; self.warnings = warnings; self.bearerUnavailable = bearerUnavailable; self.eventLog = eventLog
        }
    }

    /// Feeds every entry of the file at `path` (`-` for standard input) to `evaluator`; returns the format read.
    @discardableResult
    public func read(path: String, into evaluator: some LogEntrySink) throws(HarnessError) -> Format {
        try read(path: path) { _ in evaluator }.facts.format
    }

    /// Reads the file at `path` (`-` for standard input), makes the sink from what the file says about itself
    /// (`makeSink` is called once, before the first entry), and feeds it every entry.
    public func read<Sink: LogEntrySink>(path: String, makeSink: (Facts) -> Sink) throws(HarnessError) -> (sink: Sink, facts: Facts) {
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
        // A byte order mark (Windows tools write one) is not part of the content.
        if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pending.removeFirst(3) }
        if looksLikeHAR(pending, path: path) {
            while first > 0 {
                first = try fill(fd, &buffer, name)
                pending.append(contentsOf: buffer[0..<first])
                if pending.count > DataFiles.maxWholeFileBytes { throw .input("\(name): HAR capture larger than \(DataFiles.maxWholeFileBytes >> 20) MiB") }
            }
            let salt = String(Digest.hex(Digest.sha256(pending.prefix(65536))).prefix(16))
            let imported: HARImport
            do { imported = try HARImporter.read(pending, redactor: Redactor(salt: salt)) } catch { var e = error; e.file = name; throw .input(e.description) }
            pending = []
            var facts = Facts(format: .har, warnings: imported.warnings, bearerUnavailable: imported.bearerUnavailable)
            let capture = path == "-" ? "<stdin>" : URL(fileURLWithPath: path).lastPathComponent
            let run = LogEntry(seq: 0, direction: nil, kind: .run, startedAt: imported.entries.map(\.startedAt).min() ?? 0,
                               run: HARImporter.runNote(imported, salt: salt, capture: capture))
            facts.eventLog = [run] + imported.entries
            let sink = makeSink(facts)
            for _ in 0..<imported.unclassified { sink.noteUnclassified() }
            for e in imported.entries { sink.consume(e) }
            return (sink, facts)
        }
        var facts = Facts(format: .jsonl)
        var made: Sink?
        // The sink is made at the first line: a log converted from a HAR capture says in its run line what the capture said.
        func sink(_ first: LogEntry? = nil) -> Sink {
            if let made { return made }
            if let run = first?.run {
                let (warnings, bearer) = HARImporter.importFacts(run)
                facts.warnings = warnings; facts.bearerUnavailable = bearer
            }
            let s = makeSink(facts)
            made = s
            return s
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
            case .success(let entry): sink(entry).consume(entry); entries += 1
            case .failure(var e):
                if lenient { skipped += 1; sink().noteSkippedLine(); return }
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
                    if !discarding { lineNumber += 1; skipped += 1; sink().noteSkippedLine() }
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
        return (sink(), facts)
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
