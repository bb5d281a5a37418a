import Foundation
import OtterCore

/// `otter-cert proxy --inject`: which partner calls the proxy answers itself with a named record's fault.
///
/// The proxy does not run records, so it cannot say "the record that is running now". A call is keyed by what ties
/// it to a webhook (its `X-Event-Id`, else its method and path). A fault is given to the first call it matches whose
/// webhook is either bound to the fault's record already, or not bound to any record yet (the correlation engine then
/// binds that exchange by its content: only a record that injects such an answer takes a group that met one). Each
/// key meets at most one record's faults, for `times` attempts; its retries after that go through unchanged, so a 503
/// and a 429 on the same path go to two different webhooks, never to one call and its retry. Pure: the proxy keeps
/// it under its lock.
struct ProxyInjections {
    /// Where the correlation engine has put a call's webhook.
    enum Binding: Equatable { case unknown, record(String) }

    private struct Planned {
        let record: String
        let fault: Fault
        var used = 0
        var owner: String?
    }

    private var planned: [Planned]

    /// The faults of `records`, in the order given.
    init(records: [Record]) {
        planned = records.flatMap { r in r.faults.map { Planned(record: r.id, fault: $0) } }
    }

    /// Whether some fault still owing answers could match the call (before asking where its webhook is bound).
    func mightTake(method: String, path: String) -> Bool {
        planned.contains { $0.used < $0.fault.times && $0.fault.pattern.matches(method: method, path: path) != nil }
    }

    /// The key that ties a call to its webhook.
    static func key(eventId: String?, method: String, path: String) -> String {
        if let e = eventId, !e.isEmpty { return "event " + e }
        return method + " " + path
    }

    /// The fault to answer this call with, counting the answer; nil to forward it.
    mutating func take(method: String, path: String, key: String, binding: Binding) -> FaultPlan.Hit? {
        if let first = planned.firstIndex(where: { $0.owner == key }) {
            // This webhook has met a fault already: only its record's faults, and each only `times` times.
            let record = planned[first].record
            for i in planned.indices where planned[i].record == record && planned[i].fault.pattern.matches(method: method, path: path) != nil {
                if planned[i].owner == key, planned[i].used < planned[i].fault.times { return give(i) }
                if planned[i].owner == nil, planned[i].used == 0 { planned[i].owner = key; return give(i) }
            }
            return nil
        }
        for i in planned.indices where planned[i].owner == nil && planned[i].used == 0 {
            if case .record(let r) = binding, r != planned[i].record { continue }
            guard planned[i].fault.pattern.matches(method: method, path: path) != nil else { continue }
            planned[i].owner = key
            return give(i)
        }
        return nil
    }

    private mutating func give(_ i: Int) -> FaultPlan.Hit {
        planned[i].used += 1
        return FaultPlan.Hit(fault: planned[i].fault, n: planned[i].used)
    }
}
