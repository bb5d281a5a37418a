import Foundation
import OtterCore
import OtterCrypto

/// Logs the sandbox's exchanges, keeping a count instead of every copy of a flood of identical unauthenticated
/// requests.
///
/// An exchange is *floodable* when the sandbox answered it before accepting any credential (a 401, a route that does
/// not exist, a token request too large to read). Floodable exchanges with the same key (kind, record, method,
/// target, body size and SHA-256, status and SHA-256 of the answer's body) are logged in full `fullCopies` times;
/// after that each one only raises a count, written as a `repeats` line that names the first line of the flood:
/// when a flood has been counted for `flushInterval` seconds (checked as its next copy arrives), and for every
/// flood when `flush()` is called (the sandbox does at each record and step change and when it stops). The log
/// stays append-only: earlier lines are never rewritten, a later `repeats` line adds to the count.
///
/// Memory: one small entry per key (no bodies), at most `maxFloods` keys; past that every count is written out
/// and the table starts over (so a new flood is again logged in full `fullCopies` times).
final class FloodLog: @unchecked Sendable {
    /// What makes two exchanges the same for flood counting.
    struct Key: Hashable {
        var kind: LogEntry.Kind
        var record: String?
        var method: String
        var target: String
        var bodySize: Int
        var bodySHA256: [UInt8]
        var status: Int
        var answerSHA256: [UInt8]
    }

    private struct Flood {
        var seen = 0
        var firstSeq: Int?
        var pending = 0
        var pendingFirstAt = 0.0
        var pendingLastAt = 0.0
        var pendingStep: String?
        var lastWrite: Double
    }

    /// Identical exchanges logged line by line before counting starts.
    static let fullCopies = 3
    /// Seconds of counting after which the next copy writes the count out.
    static let flushInterval = 10.0
    /// Distinct floods tracked at once.
    static let maxFloods = 1024

    private let log: EventLog
    private let lock = NSLock()
    private var floods: [Key: Flood] = [:]
    private var stopped = false

    init(log: EventLog) { self.log = log }

    /// Logs an exchange: `entry()` is built and appended unless `key` names a flood already logged `fullCopies` times,
    /// which then only counts it. `key` nil logs it as always.
    func append(key: Key?, startedAt: Double, step: String?, _ entry: () -> LogEntry) {
        guard let key else {
            log.append(entry())
            return
        }
        lock.lock()
        defer { lock.unlock() }
        let now = OtterSandbox.now()
        if floods[key] == nil && floods.count >= Self.maxFloods {
            flushLocked()
            floods.removeAll()
        }
        var f = floods[key] ?? Flood(lastWrite: now)
        if f.seen < Self.fullCopies {
            f.seen += 1
            let written = log.append(entry())
            if f.firstSeq == nil { f.firstSeq = written.seq }
            f.lastWrite = now
            floods[key] = f
            return
        }
        if f.pending == 0 {
            f.pendingFirstAt = startedAt
            f.pendingLastAt = startedAt
            f.pendingStep = step
            f.lastWrite = now  // the interval runs from the first copy counted
        }
        f.pending += 1
        f.pendingFirstAt = min(f.pendingFirstAt, startedAt)
        f.pendingLastAt = max(f.pendingLastAt, startedAt)
        if stopped || now - f.lastWrite >= Self.flushInterval {
            write(key, &f, now: now)
        }
        floods[key] = f
    }

    /// Writes every pending count as a `repeats` line.
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    /// Writes every pending count, and every later copy's count at once (the sandbox has stopped: no flush will come).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        stopped = true
        flushLocked()
    }

    /// The key of an exchange (the body's SHA-256 is computed unless the server already hashed a body it did not keep).
    static func key(kind: LogEntry.Kind, record: String?, method: String, target: String, body: [UInt8], bodySize: Int,
                    bodySHA256: [UInt8]?, status: Int, answer: [UInt8]) -> Key {
        Key(kind: kind, record: record, method: method, target: target, bodySize: bodySize,
            bodySHA256: bodySHA256 ?? Digest.sha256(body), status: status, answerSHA256: Digest.sha256(answer))
    }

    private func flushLocked() {
        let now = OtterSandbox.now()
        for (key, var f) in floods where f.pending > 0 {
            write(key, &f, now: now)
            floods[key] = f
        }
    }

    private func write(_ key: Key, _ f: inout Flood, now: Double) {
        guard f.pending > 0, let first = f.firstSeq else { return }
        log.append(LogEntry(seq: 0, record: key.record, step: f.pendingStep, direction: nil, kind: .repeats,
                            startedAt: f.pendingFirstAt,
                            repeats: Repeats(of: first, count: f.pending, lastAt: f.pendingLastAt)))
        f.pending = 0
        f.lastWrite = now
    }
}
