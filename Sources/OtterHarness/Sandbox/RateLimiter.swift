import Foundation

/// Sliding one-minute windows of admitted calls, one per key (endpoint and store).
/// Not thread-safe: `OtterSandbox` mutates it under its lock.
struct RateLimiter {
    /// The window length, in seconds.
    static let window = 60.0
    private var admitted: [String: [Double]] = [:]

    /// Admits a call at `now` (monotonic seconds) if fewer than `limit` were admitted in the last minute:
    /// returns nil when admitted, else the whole seconds until the oldest admitted call leaves the window (at least 1).
    mutating func admit(key: String, limit: Int, now: Double) -> Int? {
        var times = admitted[key, default: []]
        times.removeAll { $0 <= now - RateLimiter.window }
        if times.count < limit {
            times.append(now)
            admitted[key] = times
            return nil
        }
        admitted[key] = times
        let oldest = times[times.count - limit]
        return max(1, Int((oldest + RateLimiter.window - now).rounded(.up)))
    }
}
