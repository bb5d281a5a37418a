import Foundation
import OtterCore

extension Record {
    /// The longest any expectation of the record stays open after the step it counts from: its deadline, and for a
    /// request the window in which extra calls are still counted. Every step a run carries out comes before the run
    /// waits for the verdict, so by then plus this (and a little slack) nothing the partner does can change it.
    var longestWindowSeconds: Double {
        expect.map(\.longestWindowSeconds).max() ?? 0
    }
}

extension Expectation {
    /// How long after its step this expectation may still change.
    var longestWindowSeconds: Double {
        switch self {
        case .ack(let a): return a.withinMs / 1000
        case .request(let r): return r.withinSeconds + r.countWindowSeconds + (r.retry?.minDelaySeconds ?? 0)
        case .sequence(let s): return s.withinSeconds
        case .absent(let a): return a.windowSeconds
        case .anyOf(let a): return a.of.map(\.longestWindowSeconds).max() ?? 0
        case .token: return 0
        }
    }
}
