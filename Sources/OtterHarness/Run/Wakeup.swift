import Foundation

/// Wakes a waiting run when the log grows or the operator interrupts: waiting is event-driven, never a fixed sleep.
public final class Wakeup: @unchecked Sendable {
    private let condition = NSCondition()
    private var generation = 0
    private var interruptedFlag = false

    /// Creates a wake-up.
    public init() {}

    /// Something happened (a log entry was appended).
    public func poke() {
        condition.lock(); generation += 1; condition.broadcast(); condition.unlock()
    }

    /// The operator pressed Ctrl-C.
    public func interrupt() {
        condition.lock(); interruptedFlag = true; generation += 1; condition.broadcast(); condition.unlock()
    }

    /// Whether the run was interrupted.
    public var interrupted: Bool { condition.lock(); defer { condition.unlock() }; return interruptedFlag }

    /// The current generation; pass it to `wait` to not miss a poke that came in between.
    public var current: Int { condition.lock(); defer { condition.unlock() }; return generation }

    /// Waits until something happens after `since`, or until `deadline`.
    public func wait(since: Int, until deadline: Date) {
        condition.lock()
        while generation == since && !interruptedFlag {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }
}
