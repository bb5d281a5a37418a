import Foundation
import OtterCore

/// What the partner remembers between webhooks and actions: the orders it holds, the
/// deliveries it runs and which stores are paused. A real partner keeps this in its database.
///
/// All access goes through `access`, under one lock, so a webhook and an action never see a
/// half-made change (for example a cancel landing while the courier is being moved).
final class PartnerState: @unchecked Sendable {
    enum OrderStatus: String, Sendable {
        case received, confirmed, ready, handedOff = "handed off", fulfilled, cancelled
    }

    /// An order: a kitchen ticket for a POS, a placed order for an ordering platform.
    struct Order: Sendable {
        var id: String
        var source: String
        var storeId: String
        var friendlyId: String
        var status: OrderStatus
    }

    enum DeliveryStatus: String, Sendable {
        case quoted, accepted, cancelled, completed
    }

    struct Delivery: Sendable {
        var referenceId: String
        var storeId: String
        var status: DeliveryStatus
        /// The partner's own id for the delivery, reported in accept and status callbacks.
        var providerDeliveryId: String
        var currencyCode: String
    }

    /// A store linked through account pairing (`stores.upsert`): the credentials its owner gave.
    struct StoreLink: Sendable {
        var storeId: String
        var internalStoreId: String
        var credentials: [(key: String, value: String)]
    }

    struct Storage {
        var orders: [String: Order] = [:]
        var deliveries: [String: Delivery] = [:]
        var pausedStores: Set<String> = []
        /// Partner store id → its link.
        var stores: [String: StoreLink] = [:]
    }

    private let lock = NSLock()
    private var storage = Storage()

    func access<T>(_ body: (inout Storage) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}
