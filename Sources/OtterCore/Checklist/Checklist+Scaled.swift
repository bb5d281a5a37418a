import Foundation

extension Checklist {
    /// The checklist with every deadline, window and count window multiplied by `factor` (`--timeout-scale`).
    public func scaled(by factor: Double) -> Checklist {
        guard factor != 1, factor > 0 else { return self }
        var c = self
        c.records = records.map { r in
            var r = r
            r.expect = r.expect.map { $0.scaled(by: factor) }
            return r
        }
        return c
    }
}

extension Expectation {
    func scaled(by f: Double) -> Expectation {
        switch self {
        case .ack(var a): a.withinMs *= f; return .ack(a)
        case .request(var r): r.withinSeconds *= f; r.countWindowSeconds *= f; return .request(r)
        case .sequence(var s): s.withinSeconds *= f; return .sequence(s)
        case .absent(var a): a.windowSeconds *= f; return .absent(a)
        case .anyOf(var a): a.of = a.of.map { $0.scaled(by: f) }; return .anyOf(a)
        case .token: return self
        }
    }
}
