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
    /// Takes one entry with its request body already parsed (`entry.request?.json`, by a pipelined reader's thread,
    /// for webhooks, whose bodies every sink reads); nil when it was not. The default ignores it.
    func consume(_ entry: consuming LogEntry, parsedRequest: ParsedBody?)
    /// Counts a malformed line (its 1-based number) skipped in lenient mode.
    func noteSkippedLine(_ line: Int)
    /// Counts a HAR entry that could not be classified.
    func noteUnclassified()
    /// For a pipelined reader: the objects holding entries the sink has finished with since the last call, handed to the
    /// reader thread that allocated the entries, to be freed there. (glibc's malloc serialises frees of another thread's
    /// memory on that thread's arena lock: freed on the evaluating thread, they kept the two threads from running side by
    /// side.) The sink keeps them only once this has been called; the default keeps nothing.
    func takeSpent() -> [AnyObject]
}

extension LogEntrySink {
    public func consume(_ entry: consuming LogEntry, parsedRequest: ParsedBody?) { consume(entry) }
    public func takeSpent() -> [AnyObject] { [] }
}

extension Evaluator: LogEntrySink {}
extension IncidentDeriver: LogEntrySink {}

/// Streams an event log (JSON Lines) or a HAR capture into an entry sink.
///
/// A UTF-8 byte order mark at the start of either is skipped.
/// JSON Lines are read in 1 MiB chunks and handed over a line at a time, so memory stays flat whatever
/// the file's size. A line longer than `maxLineBytes` is an error (or skipped, when lenient) without being buffered.
/// A HAR capture is read an entry at a time (`HARStreamReader`) into a temporary file of compact entries, then fed
/// from it: memory holds the largest entry, not the capture.
public struct LogReader {
    /// Lines longer than this are refused.
    public var maxLineBytes = 64 << 20
    /// HAR entries larger than this are refused.
    public var maxEntryBytes = 128 << 20
    /// Skip malformed lines (counting them) instead of stopping at the first.
    public var lenient = false
    /// Decode JSON Lines on a second thread while the calling thread evaluates (else both on the calling thread).
    public var pipelined = LogReader.pipelinedByDefault
    /// When pipelined, whether the reader thread also parses webhook bodies (every sink reads them). Right when the
    /// sink's work is as heavy as decoding (the evaluator); a light sink (the incident deriver) leaves them to its own
    /// thread, which would otherwise wait for the reader.
    public var webhookBodiesOnReaderThread = true
    /// Whether readers decode on a second thread unless told otherwise: when the machine has more than one CPU.
    /// The evaluating thread hands what it has taken back to the reader thread to free (`DecodedLines.giveBack`,
    /// `LogEntrySink.takeSpent`): freed on the evaluating thread, every entry took the reader thread's malloc arena
    /// lock, and the two threads spent their time waiting on it (3.4 million futex calls on a 50 MB log) instead of
    /// running side by side. Measured in Tests/Scripts/bench-vs-jq.sh (see the README).
    public static let pipelinedByDefault = ProcessInfo.processInfo.activeProcessorCount > 1

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
        /// For a HAR capture: the entries as read (redacted, normalised) and its `run` line, to be written as `events.jsonl`.
        public var importedLog: ImportedEventLog?
        /// Creates facts.
        public init(format: Format, warnings: [String] = [], bearerUnavailable: String? = nil, importedLog: ImportedEventLog? = nil) {
            self.format = format; self.warnings = warnings; self.bearerUnavailable = bearerUnavailable; self.importedLog = importedLog
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
        var lines = LineBuffer()
        var buffer = readBuffer()
        // The head: enough to tell the format (and to salt a capture's redaction), at most 64 KiB or the whole input.
        var n = 0
        repeat {
            n = try fill(fd, &buffer, name)
            buffer.withUnsafeBytes { lines.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        } while n > 0 && lines.pending < 65536
        if lines.pending == 0 { throw .input("\(name): the file is empty") }
        // A byte order mark (Windows tools write one) is not part of the content.
        if lines.unread.starts(with: [0xEF, 0xBB, 0xBF]) { lines.skip(3) }
        // Sniff: a HAR capture is one JSON document with a top-level "log"; a JSONL log has an entry per line.
        if looksLikeHAR(lines.unread, path: path) {
            return try readHAR(fd, head: lines.unread, atEnd: n == 0, buffer: &buffer, name: name, path: path, makeSink: makeSink)
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
        // A log the head read held whole (up to 64 KiB) is decoded here: a second thread would cost more than it saves.
        let pipelined = pipelined && n != 0
        let decoder = LineDecoder(fd: fd, name: name, lines: lines, atEnd: n == 0, maxLineBytes: maxLineBytes, lenient: lenient,
                                  parseWebhookBodies: pipelined && webhookBodiesOnReaderThread)
        var entries = 0
        var skipped = 0
        func take(_ batch: [DecodedLine]) throws(HarnessError) {
            for i in batch.indices {
                switch batch[i] {  // read in place: a `for item in batch` copy of each line retains and releases it once more
                case .entry(let entry, let parsed): sink(entry).consume(consume entry, parsedRequest: parsed); entries += 1
                case .unreadable(let line, var e):
                    if lenient { skipped += 1; sink().noteSkippedLine(line); continue }
                    e.file = name
                    throw .input(e.description)
                case .tooLong(let line):
                    if !lenient { throw .input("\(name):\(line): line longer than \(maxLineBytes >> 20) MiB (is this a binary file?)") }
                    skipped += 1; sink().noteSkippedLine(line)
                case .failed(let error): throw error
                }
            }
        }
        if pipelined {
            // Two threads: this one evaluates while a reader thread reads, cuts and decodes the lines that follow
            // (decoding is about half the work), handing them over in order, in bounded batches.
            let pipe = DecodedLines()
            let thread = Thread { defer { pipe.finish() }; decoder.run(emit: pipe.put, stopped: { pipe.isStopped }) }
            thread.stackSize = 8 << 20
            thread.start()
            // However this ends (an error at a line, a read error), the reader thread is stopped and waited for.
            // What was handed back after the reader's last hand-over is freed here, as the reading ends: left in the
            // queue, it went with the queue's last reference, which the finishing reader thread may drop after this returns.
            defer { pipe.stopAndWait(); pipe.dropReturned() }
            while let batch = pipe.next() {
                try take(batch)
                // Moved, not copied: the last reference must be the reader thread's.
                pipe.giveBack(consume batch, made?.takeSpent() ?? [])
            }
        } else {
            var failure: HarnessError?
            decoder.run(emit: { batch in
                do throws(HarnessError) { try take(batch); return true } catch { failure = error; return false }
            }, stopped: { failure != nil })
            if let failure { throw failure }
        }
        if entries == 0 && skipped == 0 { throw .input("\(name): holds no log entries (only blank lines)") }
        return (sink(), facts)
    }

    /// A HAR capture, streamed: its entries are read one at a time into a temporary spool (their compact, redacted
    /// form), then, once the capture as a whole is known (its stripped Authorization headers), fed from the spool to
    /// the sink in the capture's order. Memory holds one entry at a time, not the capture.
    private func readHAR<Sink: LogEntrySink>(_ fd: Int32, head: ArraySlice<UInt8>, atEnd: Bool, buffer: inout [UInt8], name: String, path: String,
                                             makeSink: (Facts) -> Sink) throws(HarnessError) -> (sink: Sink, facts: Facts) {
        let salt = String(Digest.hex(Digest.sha256(head.prefix(65536))).prefix(16))
        var har = HARStreamReader(redactor: Redactor(salt: salt), maxEntryBytes: maxEntryBytes)
        let spool = try EntrySpool()
        var first = Double.infinity
        func take(_ entries: [LogEntry]) throws(HarnessError) {
            for e in entries { first = min(first, e.startedAt); try spool.append(e) }
        }
        func feed(_ bytes: ArraySlice<UInt8>?) throws(HarnessError) {
            let result: Result<[LogEntry], LogError> = (bytes ?? []).withUnsafeBytes { raw in
                do throws(LogError) { return .success(bytes == nil ? try har.finish() : try har.feed(raw)) } catch { return .failure(error) }
            }
            switch result {
            case .success(let entries): try take(entries)
            case .failure(var e): e.file = name; throw .input(e.description)
            }
        }
        try feed(head)
        var n = atEnd ? 0 : 1
        while n > 0 {
            n = try fill(fd, &buffer, name)
            if n > 0 { try feed(buffer[0..<n]) }
        }
        try feed(nil)
        let imported = har.summary
        var facts = Facts(format: .har, warnings: imported.warnings, bearerUnavailable: imported.bearerUnavailable)
        let capture = path == "-" ? "<stdin>" : URL(fileURLWithPath: path).lastPathComponent
        let runLine = LogEntry(seq: 0, direction: nil, kind: .run, startedAt: first.isFinite ? first : 0,
                               run: HARImporter.runNote(imported, salt: salt, capture: capture))
        let log = try spool.finish(run: runLine)
        facts.importedLog = log
        let sink = makeSink(facts)
        for _ in 0..<imported.unclassified { sink.noteUnclassified() }
        try log.forEach { sink.consume($0) }
        return (sink, facts)
    }

    private func fill(_ fd: Int32, _ buffer: inout [UInt8], _ name: String) throws(HarnessError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .input("\(name): read error: \(String(cString: strerror(errno)))")
        }
    }

    private func looksLikeHAR(_ head: ArraySlice<UInt8>, path: String) -> Bool {
        if path.lowercased().hasSuffix(".har") { return true }
        guard let firstNonSpace = head.first(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }), firstNonSpace == UInt8(ascii: "{") else { return false }
        let firstLine = head.prefix { $0 != 10 }
        if let v = try? JSONValue.parse(Array(firstLine)) { return v["log"] != nil && v["kind"] == nil }
        // A pretty-printed HAR spans lines: its opening names "log" early on.
        let opening = String(decoding: head.prefix(512), as: UTF8.self)
        return opening.range(of: #"^\s*\{\s*"log"\s*:"#, options: .regularExpression) != nil
    }
}

/// One line of a JSON Lines log as the reader thread hands it over.
enum DecodedLine: Sendable {
    /// A decoded entry, with a webhook's request body parsed.
    case entry(LogEntry, ParsedBody?)
    /// A line that is not a log entry (its 1-based number, why).
    case unreadable(Int, LogError)
    /// A line longer than the reader keeps (its number); the rest of it is skipped.
    case tooLong(Int)
    /// Reading failed; nothing follows.
    case failed(HarnessError)
}

/// Batches of decoded lines from the reader thread to the evaluating one: at most `capacity` batches wait, so
/// memory stays bounded however far ahead the reader could get.
final class DecodedLines: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[DecodedLine]] = []
    private var head = 0
    private var finished = false
    private var stopped = false
    private var producerDone = false
    /// Whether a side waits on the condition: the other signals only then (a wake-up is a system call).
    private var consumerWaits = false, producerWaits = false
    private let capacity = 8

    /// The reader thread hands over a batch; false when the consumer stopped (the reader should stop too).
    func put(_ batch: [DecodedLine]) -> Bool {
        var returned: [([DecodedLine], [AnyObject])] = []
        defer { _ = returned }  // dropped here, on the reader thread that allocated them, once the lock is released
        condition.lock(); defer { condition.unlock() }
        while queue.count - head >= capacity && !stopped { producerWaits = true; condition.wait(); producerWaits = false }
        if stopped { return false }
        queue.append(batch)
        swap(&returned, &self.returned)
        if consumerWaits { condition.broadcast() }
        return true
    }

    /// Batches the consumer has taken, with what the sink finished with, waiting for the reader thread to free them.
    private var returned: [([DecodedLine], [AnyObject])] = []

    /// The consumer hands back a batch it has taken and the sink's spent objects (`LogEntrySink.takeSpent`), for the
    /// reader thread to free at its next `put`.
    func giveBack(_ batch: consuming [DecodedLine], _ spent: consuming [AnyObject]) {
        condition.lock(); defer { condition.unlock() }
        returned.append((batch, spent))
    }

    /// Frees, on the calling thread, what was handed back and not yet freed by the reader thread.
    func dropReturned() {
        condition.lock()
        let left = returned
        returned = []
        condition.unlock()
        _ = left
    }

    /// The reader thread has handed over everything.
    func finish() {
        condition.lock(); defer { condition.unlock() }
        finished = true
        producerDone = true
        condition.broadcast()
    }

    /// Whether the consumer stopped.
    var isStopped: Bool { condition.lock(); defer { condition.unlock() }; return stopped }

    /// The next batch, in order; nil once the reader has finished and everything was taken.
    func next() -> [DecodedLine]? {
        condition.lock(); defer { condition.unlock() }
        while head == queue.count && !finished { consumerWaits = true; condition.wait(); consumerWaits = false }
        guard head < queue.count else { return nil }
        let batch = queue[head]
        queue[head] = []
        head += 1
        if head > 64 && head * 2 > queue.count { queue.removeFirst(head); head = 0 }
        if producerWaits { condition.broadcast() }
        return batch
    }

    /// Stops the reader (it finishes the batch it is on) and waits until it has.
    func stopAndWait() {
        condition.lock(); defer { condition.unlock() }
        stopped = true
        condition.broadcast()
        while !producerDone { consumerWaits = true; condition.wait(); consumerWaits = false }
    }
}

/// The decoding side of a JSON Lines log (on a reader thread when pipelined): reads the file in 1 MiB chunks, cuts it into lines and decodes them,
/// exactly as the single-threaded reader did (blank lines skipped, a trailing CR dropped, a line over
/// `maxLineBytes` reported once and its rest skipped), handing the results over in order.
final class LineDecoder: @unchecked Sendable {
    private let fd: Int32
    private let name: String
    private var lines: LineBuffer
    private let atEnd: Bool
    private let maxLineBytes: Int
    private let lenient: Bool

    /// Whether webhook bodies are parsed here (worth it on a reader thread; on the evaluating thread the evaluator
    /// parses each when it takes the webhook, instead of holding the parsed body through its reorder window).
    private let parseWebhookBodies: Bool

    init(fd: Int32, name: String, lines: LineBuffer, atEnd: Bool, maxLineBytes: Int, lenient: Bool, parseWebhookBodies: Bool) {
        self.fd = fd; self.name = name; self.lines = lines; self.atEnd = atEnd; self.maxLineBytes = maxLineBytes
        self.lenient = lenient; self.parseWebhookBodies = parseWebhookBodies
    }

    /// Reads to the end (or until `emit` returns false, or `stopped` says so between reads), handing over batches.
    func run(emit: ([DecodedLine]) -> Bool, stopped: () -> Bool) {
        var batch: [DecodedLine] = []
        var batchBytes = 0
        var lineNumber = 0
        var discarding = false
        var buffer = readBuffer()
        // False when the consumer has stopped.
        func send() -> Bool {
            guard !batch.isEmpty else { return true }
            defer { batch = []; batchBytes = 0 }
            return emit(batch)
        }
        func handle(_ line: ArraySlice<UInt8>) -> Bool {
            lineNumber += 1
            var slice = line
            if slice.last == 13 { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 32 || $0 == 9 }) { return true }
            let number = lineNumber
            let item: DecodedLine = slice.withUnsafeBytes { raw in
                do {
                    let entry = try LogCodec.decode(line: raw, lineNumber: number)
                    // A webhook's body is read by every sink: parsed here, it is parsed off the evaluating thread.
                    return .entry(entry, parseWebhookBodies && entry.kind == .webhook ? ParsedBody(entry.request?.json) : nil)
                } catch let e as LogError { return .unreadable(number, e) } catch { return .unreadable(number, LogError(line: number, message: "\(error)")) }
            }
            let fatal: Bool
            if case .unreadable = item { fatal = !lenient } else { fatal = false }
            batch.append(item)
            batchBytes += slice.count
            if fatal { _ = send(); return false }
            if batch.count >= 512 || batchBytes >= 1 << 20 { return send() }
            return true
        }
        var n = atEnd ? 0 : 1
        while true {
            while let r = lines.nextLine() {
                // The rest of a line already skipped as too long.
                if discarding { discarding = false; continue }
                if !handle(lines.bytes[r]) { return }
            }
            if lines.pending > maxLineBytes {
                if !discarding { lineNumber += 1; batch.append(.tooLong(lineNumber)) }
                if !lenient { _ = send(); return }
                discarding = true
                lines.dropPending()
            }
            if n == 0 { break }
            if stopped() { return }
            do throws(HarnessError) { n = try fill(&buffer) } catch {
                batch.append(.failed(error)); _ = send(); return
            }
            buffer.withUnsafeBytes { lines.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        if lines.pending > 0 && !discarding { if !handle(lines.unread) { return } }
        _ = send()
    }

    private func fill(_ buffer: inout [UInt8]) throws(HarnessError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .input("\(name): read error: \(String(cString: strerror(errno)))")
        }
    }
}

/// The bytes of a stream cut into lines as they arrive. Each byte is searched for a newline once, and consumed bytes
/// are dropped only once they are at least half the buffer, so the work is linear in the stream's size however long
/// its lines and however small its reads (a pipe hands over 64 KiB at a time, a terminal one line).
struct LineBuffer {
    /// The buffered bytes; `nextLine` returns ranges into it.
    private(set) var bytes: [UInt8] = []
    /// The first byte of the current (unfinished) line.
    private var start = 0
    /// `bytes[start..<scanned]` holds no newline.
    private var scanned = 0
    /// Bytes searched for a newline, and bytes moved to drop consumed ones, so far: each at most the bytes appended.
    private(set) var searched = 0, moved = 0

    /// Bytes of the current line read so far.
    var pending: Int { bytes.count - start }
    /// Those bytes.
    var unread: ArraySlice<UInt8> { bytes[start...] }

    /// Adds the next bytes of the stream.
    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        if start > 0 && start >= bytes.count - start {
            moved += bytes.count - start
            bytes.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line (without its newline), or nil when the buffer holds none; searches only new bytes.
    mutating func nextLine() -> Range<Int>? {
        let n = bytes.count
        guard scanned < n else { return nil }
        let from = scanned
        let found: Int? = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let hit = memchr(base + from, 0x0A, n - from) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let nl = found else { searched += n - from; scanned = n; return nil }
        searched += nl + 1 - from
        let line = start..<nl
        start = nl + 1
        scanned = start
        return line
    }

    /// Skips `count` bytes of the current line (a byte order mark).
    mutating func skip(_ count: Int) { start += count; scanned = max(scanned, start) }

    /// Forgets the current line's bytes (a line too long to keep).
    mutating func dropPending() {
        bytes.removeAll(keepingCapacity: false)
        start = 0
        scanned = 0
    }
}

/// A HAR capture's entries as read (redacted, in the capture's order), kept in a temporary file rather than in memory:
/// what the evaluator is fed, and what `observe --report-dir` writes as `events.jsonl`. The file is unlinked as soon
/// as it is made (nothing is left behind, whatever happens to the process) and closed with this object.
public final class ImportedEventLog: @unchecked Sendable {
    /// The `run` line the event log starts with: the redaction salt, where the entries came from, the capture's notes.
    public let run: LogEntry
    /// How many entries follow the run line.
    public let count: Int
    private let fd: Int32

    fileprivate init(run: LogEntry, count: Int, fd: Int32) { self.run = run; self.count = count; self.fd = fd }
    deinit { close(fd) }

    /// Calls `body` with every entry after the run line, in order, exactly as read (times to the microsecond).
    public func forEach(_ body: (LogEntry) throws(HarnessError) -> Void) throws(HarnessError) {
        try lines { line throws(HarnessError) in try body(EntrySpool.decode(line)) }
    }

    /// The entries, run line first (what `events.jsonl` holds); for small captures and tests.
    public func entries() throws(HarnessError) -> [LogEntry] {
        var out = [run]
        try forEach { out.append($0) }
        return out
    }

    /// Writes the event log, run line first, to `path` (atomically: a temporary file renamed into place).
    public func write(to path: String) throws(HarnessError) {
        let temp = path + ".tmp-\(getpid())"
        let out = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard out >= 0 else { throw .environment("cannot write \(path): \(String(cString: strerror(errno)))") }
        var ok = false
        defer { close(out); if !ok { unlink(temp) } }
        var pending = Array((LogCodec.encode(run) + "\n").utf8)
        func flush() throws(HarnessError) {
            if !EntrySpool.writeAll(out, pending) { throw .environment("cannot write \(path): \(String(cString: strerror(errno)))") }
            pending.removeAll(keepingCapacity: true)
        }
        try lines { line throws(HarnessError) in
            // The line after its two full-precision numbers is the entry as LogCodec writes it.
            pending.append(contentsOf: line.dropFirst(EntrySpool.prefixBytes))
            pending.append(10)
            if pending.count >= 1 << 20 { try flush() }
        }
        try flush()
        guard rename(temp, path) == 0 else { throw .environment("cannot write \(path): \(String(cString: strerror(errno)))") }
        ok = true
    }

    /// Every line of the spool, in order, read with `pread` (so reads never disturb each other).
    private func lines(_ body: (ArraySlice<UInt8>) throws(HarnessError) -> Void) throws(HarnessError) {
        var cut = LineBuffer()
        var buffer = readBuffer()
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .environment("cannot read back the capture's entries from their temporary file: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            offset += off_t(n)
            buffer.withUnsafeBytes { cut.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            while let r = cut.nextLine() { try body(cut.bytes[r]) }
        }
    }
}

/// Writes entries to an unlinked temporary file, one line each: the start time and duration as the bit patterns of
/// their doubles (16 hex digits each: the event-log line rounds them), then the entry as `LogCodec` encodes it.
final class EntrySpool {
    static let prefixBytes = 32
    private let fd: Int32
    private var pending: [UInt8] = []
    private var count = 0
    private let dir: String
    /// Whether the file now belongs to the `ImportedEventLog` made of it (else it is closed with this spool).
    private var handedOver = false

    init() throws(HarnessError) {
        dir = FileManager.default.temporaryDirectory.path
        var template = Array((dir + "/otter-cert-capture-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .environment("cannot create a temporary file in \(dir) for the capture's entries: \(String(cString: strerror(errno))) (set TMPDIR)")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { if !handedOver { close(fd) } }

    /// Appends one entry.
    func append(_ e: LogEntry) throws(HarnessError) {
        EntrySpool.hex(e.startedAt.bitPattern, into: &pending)
        EntrySpool.hex(e.durationMs.bitPattern, into: &pending)
        pending.append(contentsOf: LogCodec.encode(e).utf8)
        pending.append(10)
        count += 1
        if pending.count >= 1 << 20 { try flush() }
    }

    /// The spool, complete, for reading back.
    func finish(run: LogEntry) throws(HarnessError) -> ImportedEventLog {
        try flush()
        handedOver = true
        return ImportedEventLog(run: run, count: count, fd: fd)
    }

    private func flush() throws(HarnessError) {
        guard !pending.isEmpty else { return }
        if !EntrySpool.writeAll(fd, pending) {
            let why = String(cString: strerror(errno))
            throw .environment("cannot write the capture's entries to a temporary file in \(dir): \(why) (set TMPDIR to a directory with room)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes all of `bytes` to `fd` (retrying short writes and EINTR); false on an error, with `errno` set.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 { if errno == EINTR { continue }; return false }
            done += n
        }
        return true
    }

    static func hex(_ v: UInt64, into out: inout [UInt8]) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((v >> UInt64(shift)) & 15)]) }
    }

    static func number(_ s: ArraySlice<UInt8>) -> UInt64? {
        var v: UInt64 = 0
        for b in s {
            switch b {
            case 0x30...0x39: v = v << 4 | UInt64(b - 0x30)
            case 0x61...0x66: v = v << 4 | UInt64(b - 0x61 + 10)
            default: return nil
            }
        }
        return v
    }

    /// One spool line back as the entry it was made from.
    static func decode(_ line: ArraySlice<UInt8>) throws(HarnessError) -> LogEntry {
        let s = line.startIndex
        guard line.count > prefixBytes, let t = number(line[s..<s + 16]), let d = number(line[s + 16..<s + 32]) else {
            throw .environment("the temporary copy of the capture's entries is damaged")
        }
        let result: Result<LogEntry, LogError> = line[(s + prefixBytes)...].withUnsafeBytes { raw in
            do throws(LogError) { return .success(try LogCodec.decode(line: raw, lineNumber: 0)) } catch { return .failure(error) }
        }
        guard case .success(var e) = result else { throw .environment("the temporary copy of the capture's entries is damaged") }
        e.startedAt = Double(bitPattern: t)
        e.durationMs = Double(bitPattern: d)
        return e
    }
}
