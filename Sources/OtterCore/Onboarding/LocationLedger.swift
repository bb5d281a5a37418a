import Foundation

/// What one location did, day by day: exchanges counted and incidents grouped by cause.
///
/// Memory grows with days × causes, never with the number of exchanges.
public struct LocationLedger: Sendable {
    /// One day of one location.
    public struct Day: Sendable {
        /// Exchanges (webhooks and Public API calls) attributed to the location that day.
        public var exchanges: Int = 0
        /// Incidents, one entry per cause, in order of first occurrence.
        public var incidents: [Incident] = []
    }

    /// The store id.
    public let storeId: String
    /// Days with traffic or incidents, by local day number.
    public private(set) var days: [Int: Day] = [:]

    /// Creates an empty ledger.
    public init(storeId: String) { self.storeId = storeId }

    /// Counts one exchange on a day.
    public mutating func countExchange(day: Int) { days[day, default: Day()].exchanges += 1 }

    /// Records an incident, grouping it with earlier ones of the same cause that day.
    public mutating func record(day: Int, cause: String, at: Double, evidence: String) {
        var d = days[day, default: Day()]
        if let i = d.incidents.firstIndex(where: { $0.cause == cause }) {
            d.incidents[i].count += 1
            if at < d.incidents[i].firstAt { d.incidents[i].firstAt = at; d.incidents[i].evidence = evidence }
        } else {
            d.incidents.append(Incident(storeId: storeId, day: day, cause: cause, firstAt: at, evidence: evidence))
        }
        days[day] = d
    }

    /// Exchanges on a day (0 when none).
    public func exchanges(on day: Int) -> Int { days[day]?.exchanges ?? 0 }

    /// Incidents on a day.
    public func incidents(on day: Int) -> [Incident] { days[day]?.incidents ?? [] }
}
