import Foundation
import OtterCore

/// Feeds a live log to the correlation engine, each entry once, in time order: an entry is processed once no
/// exchange that started before it can still be in flight, on either side: a request being answered (`inFlight`, the
/// start of the oldest one), or a webhook or partner action of the harness's (`begin`/`ended`: its entry is logged
/// when it ends, with the time it started; records running side by side must not move the engine past it meanwhile).
final class LiveJudge: @unchecked Sendable {
    let evaluator: Evaluator
    private let log: EventLog
    private let inFlight: @Sendable () -> Double?
    private var fed = 0
    private let lock = NSLock()
    private let harnessInFlight = Locked((next: 0, started: [Int: Double]()))

    /// `inFlight` gives when the oldest request still being answered started, nil when none is; an exchange must be
    /// in the log before it stops counting as in flight.
    init(evaluator: Evaluator, log: EventLog, inFlight: @escaping @Sendable () -> Double?) {
        self.evaluator = evaluator; self.log = log; self.inFlight = inFlight
    }

    /// Catches up with the log, then asks the engine something: one record's thread at a time.
    func look<T>(_ question: (Evaluator) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        catchUp()
        return question(evaluator)
    }

    /// A webhook or action of the harness starts now: returns its start time (what its entry must say) and a ticket
    /// for `ended`, to be called once its entry is in the log.
    func begin() -> (startedAt: Double, ticket: Int) {
        harnessInFlight.update { s in
            let t = Date().timeIntervalSince1970
            s.next += 1
            s.started[s.next] = t
            return (t, s.next)
        }
    }

    /// The exchange of `ticket` has been logged.
    func ended(_ ticket: Int) {
        harnessInFlight.update { s in _ = s.started.removeValue(forKey: ticket) }
    }

    /// Takes in what was appended since the last call and processes everything that is safe to process.
    ///
    /// What is in flight is asked *before* the log is read: an exchange that ends in between is then either in what is
    /// read, or still counted as in flight, so the engine never moves past an entry it has not seen. (Read the other way
    /// round, a partner action that ended in between let the request it caused be judged without it, and a setup
    /// step waited 30 s for a request that had come.)
    private func catchUp() {
        let now = Date().timeIntervalSince1970
        let oldest = [now, inFlight() ?? now, harnessInFlight.read { $0.started.values.min() } ?? now].min() ?? now
        let new = log.entries(after: fed)
        fed += new.count
        for e in new { evaluator.consume(e) }
        evaluator.advance(before: oldest - 0.001)
    }
}
