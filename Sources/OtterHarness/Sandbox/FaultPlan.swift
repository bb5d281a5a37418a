import Foundation
import OtterCore

/// The active record's injected faults and how many answers each still owes.
/// Not thread-safe: `OtterSandbox` mutates it under its lock.
struct FaultPlan {
    /// A fault chosen for a call: which one, and that this is its `n`th of `times` answers.
    struct Hit { let fault: Fault; let n: Int }

    private var pending: [(fault: Fault, used: Int)] = []
    private var vars: [String: String] = [:]

    /// Replaces the plan; `vars` fill the faults' path templates (unbound variables match any segment).
    /// The same faults set again (with more vars known) keep the answers they have already given.
    mutating func set(_ faults: [Fault], vars: [String: String]) {
        if pending.map({ Self.identity($0.fault) }) != faults.map(Self.identity) { pending = faults.map { ($0, 0) } }
        self.vars = vars
    }

    private static func identity(_ f: Fault) -> String { "\(f.method) \(f.path.text) \(f.status) \(f.times)" }

    /// The first fault still owing answers that matches the call, counting the answer.
    mutating func take(method: String, path: String) -> Hit? {
        for i in pending.indices where pending[i].used < pending[i].fault.times {
            let f = pending[i].fault
            guard f.pattern.matches(method: method, path: path, bound: vars) != nil else { continue }
            pending[i].used += 1
            return Hit(fault: f, n: pending[i].used)
        }
        return nil
    }
}
