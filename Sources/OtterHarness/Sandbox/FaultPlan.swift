import Foundation
import OtterCore
import OtterHTTP

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

extension FaultPlan.Hit {
    /// The injected answer: the fault's status and headers, and a JSON error body (none for 204/304).
    var response: HTTPResponse {
        let f = fault
        var r: HTTPResponse
        if f.status == 204 || f.status == 304 || f.status < 200 {
            r = HTTPResponse(status: f.status)
        } else {
            let code: String
            switch f.status {
            case 429: code = "rate_limited"
            case 500: code = "internal"
            case 502, 503, 504: code = "unavailable"
            default: code = f.status >= 500 ? "internal" : "error"
            }
            r = .error(f.status, code: code, message: "injected by otter-cert (\(n) of \(f.times)); retry the same request")
        }
        for h in f.headers { r.headers.set(h.name, h.value) }
        return r
    }
}
