import Foundation
import OtterCore

/// Deterministic multi-week, multi-location operational logs in the native JSONL format, for onboarding tests.
///
/// Every live day a location receives `ordersPerDay` `orders.new_order` webhooks (acknowledged 200 in 20 ms),
/// each answered 2 s later by `POST /manager/order/v1/orders/order-created` with its `X-Event-Id` and `X-Store-Id`.
/// Days are numbered from 1 (= `firstDate`); times are UTC, from 12:00 every 30 minutes.
public struct OnboardingLogGenerator {
    /// One location and what happens to it.
    public struct Location {
        /// Store id.
        public var storeId: String
        /// First day with traffic (1-based).
        public var firstDay: Int
        /// Last day with traffic.
        public var lastDay: Int
        /// Days on which one order is never injected (no order-created callback).
        public var incidentDays: Set<Int>
        /// Days with no traffic at all.
        public var silentDays: Set<Int>

        /// Creates a location.
        public init(_ storeId: String, days: ClosedRange<Int>, incidentDays: Set<Int> = [], silentDays: Set<Int> = []) {
            self.storeId = storeId; firstDay = days.lowerBound; lastDay = days.upperBound
            self.incidentDays = incidentDays; self.silentDays = silentDays
        }
    }

    /// The date of day 1.
    public var firstDate: String
    /// Orders per live day per location.
    public var ordersPerDay: Int
    /// The locations.
    public var locations: [Location]

    /// Creates a generator.
    public init(firstDate: String = "2026-03-02", ordersPerDay: Int = 4, locations: [Location]) {
        self.firstDate = firstDate; self.ordersPerDay = ordersPerDay; self.locations = locations
    }

    /// `YYYY-MM-DD` of a 1-based day.
    public func date(_ day: Int) -> String { DayCalendar.name(DayCalendar.parse(firstDate)! + day - 1) }

    /// Deterministic UUID-shaped id.
    static func id(_ parts: Int...) -> String {
        var h: UInt64 = 1469598103934665603
        for p in parts { h = (h ^ UInt64(bitPattern: Int64(p))) &* 1099511628211 }
        let hex = String(h, radix: 16).leftPadded(16)
        return "\(hex.prefix(8))-\(hex.dropFirst(8).prefix(4))-4\(hex.dropFirst(12).prefix(3))-8\(hex.suffix(3))-\(hex)".lowercased()
    }

    /// The entries of one location, in time order.
    public func entries(_ index: Int) -> [LogEntry] {
        let loc = locations[index]
        var out: [LogEntry] = []
        var seq = 0
        let base = Double(DayCalendar.parse(firstDate)! * 86400)
        for day in loc.firstDay...loc.lastDay where !loc.silentDays.contains(day) {
            for k in 0..<ordersPerDay {
                let t = base + Double(day - 1) * 86400 + 12 * 3600 + Double(k) * 1800
                let eventId = Self.id(index, day, k)
                seq += 1
                out.append(Self.newOrder(seq: seq, storeId: loc.storeId, eventId: eventId, at: t))
                if loc.incidentDays.contains(day) && k == 0 { continue }
                seq += 1
                out.append(Self.orderCreated(seq: seq, storeId: loc.storeId, eventId: eventId, at: t + 2))
            }
        }
        return out
    }

    /// An `orders.new_order` webhook acknowledged with 200.
    public static func newOrder(seq: Int, storeId: String, eventId: String, at t: Double, status: Int = 200) -> LogEntry {
        let body: JSONValue = ["eventId": .string(eventId), "eventTime": .string(Timestamp.format(t)), "eventType": "orders.new_order",
                               "metadata": ["storeId": .string(storeId), "applicationId": "app-1", "resourceId": .string(eventId),
                                            "payload": ["status": "NEW_ORDER"]]]
        return LogEntry(seq: seq, direction: .otterToPartner, kind: .webhook, startedAt: t, durationMs: 20,
                        request: Message(method: "POST", url: "https://partner.example/webhook",
                                         headers: [("Content-Type", "application/json"), ("X-HMAC-SHA256", "c2lnbmF0dXJl")], body: body.serialized()),
                        response: Message(status: status))
    }

    /// A `POST /manager/order/v1/orders/order-created` callback answered 200.
    public static func orderCreated(seq: Int, storeId: String, eventId: String, at t: Double, status: Int = 200) -> LogEntry {
        LogEntry(seq: seq, direction: .partnerToOtter, kind: .callback, startedAt: t, durationMs: 35,
                 request: Message(method: "POST", url: "https://api.example/manager/order/v1/orders/order-created",
                                  headers: [("Authorization", "Bearer <redacted:0123456789ab>"), ("X-Store-Id", storeId), ("X-Event-Id", eventId)],
                                  body: #"{"orderId":"o-1"}"#),
                 response: Message(status: status))
    }

    /// The JSONL text of one location.
    public func jsonl(_ index: Int) -> String { entries(index).map(LogCodec.encode).joined(separator: "\n") + "\n" }

    /// Writes one `<storeId>.jsonl` per location into `directory`; returns the paths.
    @discardableResult
    public func write(to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try locations.indices.map { i in
            let url = directory.appendingPathComponent(locations[i].storeId + ".jsonl")
            try jsonl(i).write(to: url, atomically: true, encoding: .utf8)
            return url
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
