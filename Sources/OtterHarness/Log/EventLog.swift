import Foundation
import OtterCore
#if canImport(Glibc)
import Glibc
#endif

/// The run's event log: numbers, redacts and writes every entry as one JSON line, flushed at once.
///
/// Each line goes to the file with `write(2)` of the whole line (plus `\n`) as soon as it is appended,
/// so nothing is buffered in the process: a Ctrl-C loses no line that `append` returned for.
/// The file is evidence: it is created new (`O_EXCL`: an existing file is never truncated) and written with
/// `O_APPEND`; `sync()` (at record boundaries, and on `close()`) makes what was written durable. The first failed
/// write (a full disk) takes back the torn part of its line, stops all later writes (the file stays a readable
/// prefix, without a hole), and is reported once to the `whenWriteFails` handler, so the run can stop at once.
/// `seq` is assigned under the log's lock, so file order, `seq` order and `entries` order agree.
/// Observers run after the append, on the appending thread and outside the lock: with several threads
/// appending at once they may see entries slightly out of `seq` order (use `seq` to order them).
public final class EventLog: @unchecked Sendable {
    /// Keeps an observer registered until `cancel()` is called.
    public final class ObservationToken: @unchecked Sendable {
        private weak var log: EventLog?
        private let id: Int

        init(log: EventLog, id: Int) { self.log = log; self.id = id }

        /// Stops the observation; idempotent.
        public func cancel() { log?.removeObserver(id) }
    }

    /// Redacts every entry before it is stored; shared with whoever learns the run's secrets (the sandbox, the terminal).
    public let redaction: LiveRedactor
    private let lock = NSLock()
    /// Held while fsync runs, and by `close`.
    private let syncLock = NSLock()
    private var fd: Int32 = -1
    private var stored: [LogEntry] = []
    private var nextSeq = 1
    private var observers: [(id: Int, body: @Sendable (LogEntry) -> Void)] = []
    private var nextObserverID = 1
    private var firstWriteError: String?
    private var onWriteFailure: (@Sendable (String) -> Void)?
    /// Bytes of whole lines in the file: where a torn line is cut back to.
    private var bytesWritten: off_t = 0

    /// The file written to, or nil when the log is in memory only.
    public let path: String?

    /// Creates the log file (which must not exist yet: a log is never overwritten); `path` nil keeps the log in memory only.
    public convenience init(path: String?, redactor: Redactor) throws(HarnessError) {
        try self.init(path: path, redaction: LiveRedactor(redactor))
    }

    /// Creates the log file (as above), redacting with a shared redactor that may learn more secrets (issued tokens)
    /// as the run goes.
    public init(path: String?, redaction: LiveRedactor) throws(HarnessError) {
        self.path = path
        self.redaction = redaction
        guard let path else { return }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw .environment("cannot create the folder \(parent) for the event log: \(error.localizedDescription)")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw .environment("\(path) is a directory; the event log needs a file path")
        }
        let f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard f >= 0 else {
            if errno == EEXIST {
                throw .environment("the event log \(path) already exists; a log is evidence and is never overwritten: choose another folder")
            }
            throw .environment("cannot write the event log \(path): \(String(cString: strerror(errno)))")
        }
        fd = f
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Numbers, redacts and stores an entry, writing its line to the file at once; returns the stored entry.
    @discardableResult
    public func append(_ entry: LogEntry) -> LogEntry {
        lock.lock()
        var e = redaction.entry(entry)
        e.seq = nextSeq
        nextSeq += 1
        // Keep exactly what the file says (times to the millisecond), so a verdict computed from memory is the one
        // `otter-cert observe` computes from the file.
        e.startedAt = (e.startedAt * 1000).rounded() / 1000
        e.durationMs = (e.durationMs * 1000).rounded() / 1000
        stored.append(e)
        var failed: (String, (@Sendable (String) -> Void)?)?
        if fd >= 0 && firstWriteError == nil {
            let line = Array((LogCodec.encode(e) + "\n").utf8)
            if let problem = writeAll(line) {
                failed = (problem, onWriteFailure)
                stopWriting(problem)
            } else {
                bytesWritten += off_t(line.count)
            }
        }
        let current = observers
        lock.unlock()
        if let (problem, handler) = failed { handler?(problem) }
        for o in current { o.body(e) }
        return e
    }

    /// Calls `handler` once, on the thread whose write failed, when a write to the file fails (or at once, when one
    /// already has).
    public func whenWriteFails(_ handler: @escaping @Sendable (String) -> Void) {
        lock.lock()
        onWriteFailure = handler
        let already = firstWriteError
        lock.unlock()
        if let already { handler(already) }
    }

    /// Makes everything written so far durable (`fsync`); a failure counts as a failed write. Returns the first
    /// write failure, if any.
    @discardableResult
    public func sync() -> String? {
        // fsync runs outside `lock`: it can take seconds on a busy disk, and the records running beside this one (and
        // the sandbox answering them) must go on appending meanwhile. `syncLock` keeps `close` from closing the
        // descriptor under it.
        syncLock.lock()
        defer { syncLock.unlock() }
        lock.lock()
        let descriptor = firstWriteError == nil ? fd : -1
        lock.unlock()
        var failed: (String, (@Sendable (String) -> Void)?)?
        if descriptor >= 0 && fsync(descriptor) != 0 && errno != EINVAL {
            let problem = "\(path ?? "event log"): fsync failed: \(String(cString: strerror(errno)))"
            lock.lock()
            if firstWriteError == nil {
                failed = (problem, onWriteFailure)
                stopWriting(problem)
            }
            lock.unlock()
        }
        lock.lock()
        let error = firstWriteError
        lock.unlock()
        if let (problem, handler) = failed { handler?(problem) }
        return error
    }

    /// Records the first failure, cuts a torn line back off the file, and writes nothing more. Caller holds `lock`.
    private func stopWriting(_ problem: String) {
        firstWriteError = problem
        _ = ftruncate(fd, bytesWritten)
    }

    /// Teaches the redactor a secret (an issued token) before the entry that holds it is appended: from then on it
    /// is replaced wherever it appears, by its salted hash.
    public func learnSecret(_ value: String) { redaction.learn(value) }

    /// Everything appended so far, in order.
    public var entries: [LogEntry] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// The entries appended after the first `count`, in order.
    public func entries(after count: Int) -> [LogEntry] {
        lock.lock()
        defer { lock.unlock() }
        return count < stored.count ? Array(stored[count...]) : []
    }

    /// The first failed write to the file (disk full …), when one failed; the entries are still kept in memory, and
    /// nothing more is written to the file.
    public var writeError: String? {
        lock.lock()
        defer { lock.unlock() }
        return firstWriteError
    }

    /// Calls `body` after each append, on the appending thread, until the token is cancelled.
    public func observe(_ body: @escaping @Sendable (LogEntry) -> Void) -> ObservationToken {
        lock.lock()
        defer { lock.unlock() }
        let id = nextObserverID
        nextObserverID += 1
        observers.append((id, body))
        return ObservationToken(log: self, id: id)
    }

    /// Syncs and closes the file; later appends are kept in memory only. Idempotent.
    public func close() {
        sync()
        syncLock.lock()
        defer { syncLock.unlock() }
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    private func removeObserver(_ id: Int) {
        lock.lock()
        defer { lock.unlock() }
        observers.removeAll { $0.id == id }
    }

    /// Writes every byte (looping over short writes and EINTR); returns a message on failure. Caller holds `lock`.
    private func writeAll(_ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            let why = n < 0 ? String(cString: strerror(errno)) : "no progress"
            return "\(path ?? "event log"): write failed: \(why)"
        }
        return nil
    }
}
