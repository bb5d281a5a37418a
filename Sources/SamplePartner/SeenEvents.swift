import Foundation

/// The eventIds already handled, for at-least-once delivery.
///
/// Otter may deliver the same webhook more than once (a lost acknowledgement, a retry on its
/// side). Acting twice would quote twice or inject an order twice, so the partner remembers
/// each eventId and acknowledges a repeat without doing the work again. A production partner
/// keeps this in its database; here the most recent `capacity` ids are kept in memory.
final class SeenEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: Set<String> = []
    private var order: [String] = []
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Records `eventId`; true if it is new, false if it was seen before.
    /// Check and insert are one step, so two concurrent deliveries cannot both win.
    func firstTime(_ eventId: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard ids.insert(eventId).inserted else { return false }
        order.append(eventId)
        if order.count > capacity {
            ids.remove(order.removeFirst())
        }
        return true
    }
}
