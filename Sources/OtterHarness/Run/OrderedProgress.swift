import Foundation
import OtterCore

/// A value shared by threads, read and changed under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func read<T>(_ body: (Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(value)
    }

    @discardableResult
    func update<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// The progress of records that run side by side, told record by record in checklist order, as if they had run one
/// after another: the record told now (the earliest that has not ended) speaks at once; a later one's lines are kept
/// and told when its turn comes. Only an operator's instructions (`sayNow`) are told at once, whoever's they are.
///
/// Thread-safe: the records' threads call it at once; the wrapped `RunProgress` is called by one thread at a time.
final class OrderedProgress: @unchecked Sendable {
    fileprivate enum Event {
        case started(Record, index: Int, of: Int)
        case waiting(Record, String, Double)
        case finished(Verdict)
        case say(String)
    }

    private let lock = NSLock()
    private let target: RunProgress
    private var held: [[Event]]
    private var ended: [Bool]
    /// The record whose lines are told as they come.
    private var head = 0

    init(_ target: RunProgress, total: Int) {
        self.target = target
        held = Array(repeating: [], count: total)
        ended = Array(repeating: false, count: total)
    }

    /// The progress of the record at `index` (0-based, in checklist order).
    func record(_ index: Int) -> RecordProgress { RecordProgress(owner: self, index: index) }

    fileprivate func tell(_ e: Event, from index: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard index < held.count else { return }
        if index == head { deliver(e) } else if case .waiting = e, case .waiting? = held[index].last {
            held[index][held[index].count - 1] = e   // only the latest countdown of a record that waits its turn
        } else {
            held[index].append(e)
        }
    }

    fileprivate func sayNow(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        target.say(text)
    }

    fileprivate func end(_ index: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard index < ended.count else { return }
        ended[index] = true
        advance()
    }

    /// Tells everything still held (the run is over: records that never started have nothing to tell).
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        while head < held.count {
            for e in held[head] { deliver(e) }
            held[head] = []
            head += 1
        }
    }

    /// Caller holds the lock.
    private func advance() {
        while head < held.count, ended[head] {
            head += 1
            guard head < held.count else { return }
            for e in held[head] where !ended[head] || !isWaiting(e) { deliver(e) }
            held[head] = []
        }
    }

    private func isWaiting(_ e: Event) -> Bool {
        if case .waiting = e { return true }
        return false
    }

    private func deliver(_ e: Event) {
        switch e {
        case .started(let r, let i, let n): target.started(r, index: i, of: n)
        case .waiting(let r, let what, let left): target.waiting(r, for: what, secondsLeft: left)
        case .finished(let v): target.finished(v)
        case .say(let t): target.say(t)
        }
    }
}

/// One record's side of `OrderedProgress`.
struct RecordProgress {
    fileprivate let owner: OrderedProgress
    fileprivate let index: Int

    func started(_ record: Record, index i: Int, of total: Int) { owner.tell(.started(record, index: i, of: total), from: index) }
    func waiting(_ record: Record, for what: String, secondsLeft: Double) { owner.tell(.waiting(record, what, secondsLeft), from: index) }
    func finished(_ verdict: Verdict) { owner.tell(.finished(verdict), from: index) }
    func say(_ text: String) { owner.tell(.say(text), from: index) }
    /// An operator's instruction: told at once.
    func sayNow(_ text: String) { owner.sayNow(text) }
    /// The record is over: the next one's held lines are told.
    func ended() { owner.end(index) }
}
