import Foundation

/// How the sandbox enforces the documented per-minute rate limits.
public enum RateLimitMode: Sendable, Equatable {
    /// The documented limits.
    case otter
    /// No limits.
    case off
    /// Every documented limit multiplied by a factor (rounded down, at least 1 call per minute).
    case scaled(Double)

    /// Parses `otter`, `off`, or `x<factor>` (`x2`, `x0.5`); nil for anything else.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "otter": self = .otter
        case "off": self = .off
        default:
            guard argument.lowercased().hasPrefix("x"), let f = Double(argument.dropFirst()), f.isFinite, f > 0 else { return nil }
            self = .scaled(f)
        }
    }

    /// The calls per minute allowed for an endpoint documented at `documented` (nil: unlimited).
    public func limit(documented: Int?) -> Int? {
        guard let documented else { return nil }
        switch self {
        case .otter: return documented
        case .off: return nil
        case .scaled(let f): return max(1, Int((Double(documented) * f).rounded(.down)))
        }
    }
}
