import Foundation
import OtterCore

/// The partner's own moves: what staff, couriers or customers do on the partner's side, each
/// reported to Otter with a call of its own. The harness asks for them through
/// `POST /_control/action`; in production they would come from the partner's UI or apps.
///
/// An action is refused (409) when the partner's own state forbids it, as a real POS or DSP
/// would: a cancelled order is never confirmed or fulfilled, an order is fulfilled only after
/// it was ready, a cancelled delivery's courier does not move.
struct ActionHandler: Sendable {
    enum Result: Sendable {
        /// Done; `vars` are new ids the harness should remember (e.g. `orderId`).
        case done(vars: JSONObject)
        case refused(status: Int, message: String)
    }

    let type: IntegrationType
    let api: OtterAPI
    let state: PartnerState
    let fault: Fault?

    /// Gap between courier status updates: real couriers take minutes, the harness has seconds.
    static let courierStepInterval: TimeInterval = 0.02

    func perform(_ action: String, storeId: String, vars: JSONValue) -> Result {
        // Store-wide moves have no order or delivery to take the store from.
        let storeWide: Set = ["pos.upsert_menu", "pos.pause_store", "pos.unpause_store", "orders.create_order"]
        if storeWide.contains(action) && storeId.isEmpty {
            return .refused(status: 422, message: "\(action) needs a storeId")
        }
        switch action {
        case "delivery.advance_courier": return advanceCourier(storeId: storeId, vars: vars)
        case "pos.confirm_order": return moveOrder(vars, storeId: storeId, to: .confirmed)
        case "pos.mark_ready": return moveOrder(vars, storeId: storeId, to: .ready)
        case "pos.fulfill_order": return moveOrder(vars, storeId: storeId, to: .fulfilled)
        case "pos.upsert_menu":
            return finish(Callback(method: "POST", path: "/v1/menus", body: SampleMenu.upsertRequest, storeId: storeId))
        case "pos.pause_store":
            state.access { _ = $0.pausedStores.insert(storeId) }
            return finish(Callback(method: "POST", path: "/manager/storefront/v1/storefront/pause",
                                   body: CallbackBodies.managerPause(), storeId: storeId))
        case "pos.unpause_store":
            state.access { _ = $0.pausedStores.remove(storeId) }
            return finish(Callback(method: "POST", path: "/manager/storefront/v1/storefront/unpause",
                                   body: ["comment": "Resumed from the sample POS"], storeId: storeId))
        case "orders.create_order": return createOrder(storeId: storeId)
        case "orders.update_order": return updateOrder(vars, storeId: storeId)
        case "orders.cancel_order": return cancelOrder(vars, storeId: storeId)
        default:
            return .refused(status: 422, message: "unknown action '\(action)'")
        }
    }

    // MARK: Delivery

    private func advanceCourier(storeId: String, vars: JSONValue) -> Result {
        guard let ref = vars["deliveryReferenceId"]?.stringValue else {
            return .refused(status: 422, message: "vars.deliveryReferenceId is missing")
        }
        guard let delivery = state.access({ $0.deliveries[ref] }) else {
            return .refused(status: 409, message: "delivery \(ref) is unknown: it was never quoted or accepted")
        }
        guard delivery.status == .accepted else {
            return .refused(status: 409, message: "delivery \(ref) is \(delivery.status.rawValue), not accepted: the courier does not move")
        }
        var steps = ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]
        if fault == .statusesOutOfOrder {
            Log.info("[fault statuses-out-of-order] picking up before arriving at pickup")
            steps = ["ALLOCATED", "PICKED_UP", "ARRIVED_AT_PICKUP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]
        }
        let store = storeId.isEmpty ? delivery.storeId : storeId
        for (i, status) in steps.enumerated() {
            if i > 0 { Thread.sleep(forTimeInterval: Self.courierStepInterval) }
            // Checked before every step: once Otter cancelled, no status but CANCELED may follow.
            if state.access({ $0.deliveries[ref]?.status }) == .cancelled {
                return .refused(status: 409, message: "delivery \(ref) was cancelled; the courier stopped before \(status)")
            }
            let outcome = api.send(Callback(method: "PUT", path: "/v1/delivery/\(Callback.segment(ref))/status",
                                            body: CallbackBodies.deliveryStatus(status, providerDeliveryId: delivery.providerDeliveryId),
                                            storeId: store))
            guard outcome.succeeded else { return upstream(outcome, "PUT /v1/delivery/\(ref)/status \(status)") }
        }
        state.access { $0.deliveries[ref]?.status = .completed }
        return .done(vars: [:])
    }

    // MARK: POS

    /// confirm → ready-to-pickup → fulfill, each allowed only from the step before it.
    private func moveOrder(_ vars: JSONValue, storeId: String, to target: PartnerState.OrderStatus) -> Result {
        guard let orderId = vars["orderId"]?.stringValue else { return .refused(status: 422, message: "vars.orderId is missing") }
        guard let order = state.access({ $0.orders[orderId] }) else {
            return .refused(status: 409, message: "order \(orderId) is not in the POS (no orders.new_order for it)")
        }
        let required: PartnerState.OrderStatus
        let endpoint: String
        var body: JSONValue = [:]
        switch target {
        case .confirmed: required = .received; endpoint = "confirm"; body = ["estimatedPrepTimeMinutes": 15]
        case .ready: required = .confirmed; endpoint = "ready-to-pickup"
        default: required = .ready; endpoint = "fulfill"
        }
        if order.status == .cancelled {
            return .refused(status: 409, message: "order \(orderId) was cancelled; it cannot be \(target.rawValue)")
        }
        guard order.status == required else {
            return .refused(status: 409, message: "order \(orderId) is \(order.status.rawValue); it must be \(required.rawValue) before it can be \(target.rawValue)")
        }
        let source = vars["source"]?.stringValue ?? order.source
        let path = "/manager/order/v1/sources/\(Callback.segment(source))/orders/\(Callback.segment(orderId))/\(endpoint)"
        let result = finish(Callback(method: "POST", path: path, body: body, storeId: storeId.isEmpty ? order.storeId : storeId))
        if case .done = result { state.access { $0.orders[orderId]?.status = target } }
        return result
    }

    // MARK: Ordering platform

    private func createOrder(storeId: String) -> Result {
        // A fresh id for every order: Otter treats externalIdentifiers.id as the order's identity.
        let id = UUID().uuidString.lowercased()
        let friendlyId = "SP-" + id.prefix(6).uppercased()
        let body = CallbackBodies.order(id: id, friendlyId: friendlyId, withDrink: false,
                                        note: "Extra napkins, please", badTotals: fault == .badTotals)
        let result = finish(Callback(method: "POST", path: "/v1/orders", body: body, storeId: storeId))
        guard case .done = result else { return result }
        state.access {
            $0.orders[id] = .init(id: id, source: "sample-partner", storeId: storeId, friendlyId: friendlyId, status: .received)
        }
        return .done(vars: ["orderId": .string(id), "friendlyId": .string(friendlyId)])
    }

    private func updateOrder(_ vars: JSONValue, storeId: String) -> Result {
        guard let id = vars["orderId"]?.stringValue else { return .refused(status: 422, message: "vars.orderId is missing") }
        guard let order = state.access({ $0.orders[id] }) else {
            return .refused(status: 409, message: "order \(id) was not placed by this platform")
        }
        guard order.status != .cancelled else { return .refused(status: 409, message: "order \(id) was cancelled; it cannot change") }
        // The whole updated order, same externalIdentifiers.id: the customer added a drink.
        let body = CallbackBodies.order(id: id, friendlyId: order.friendlyId, withDrink: true,
                                        note: "Extra napkins and no onions, please", badTotals: fault == .badTotals)
        return finish(Callback(method: "PUT", path: "/v1/orders/\(Callback.segment(id))", body: body,
                               storeId: storeId.isEmpty ? order.storeId : storeId))
    }

    private func cancelOrder(_ vars: JSONValue, storeId: String) -> Result {
        guard let id = vars["orderId"]?.stringValue else { return .refused(status: 422, message: "vars.orderId is missing") }
        guard let order = state.access({ $0.orders[id] }) else {
            return .refused(status: 409, message: "order \(id) was not placed by this platform")
        }
        guard order.status != .cancelled else { return .refused(status: 409, message: "order \(id) is already cancelled") }
        let result = finish(Callback(method: "POST", path: "/v1/orders/\(Callback.segment(id))/status",
                                     body: ["orderStatus": "CANCELED"], storeId: storeId.isEmpty ? order.storeId : storeId))
        if case .done = result { state.access { $0.orders[id]?.status = .cancelled } }
        return result
    }

    // MARK: Helpers

    private func finish(_ callback: Callback) -> Result {
        let outcome = api.send(callback)
        return outcome.succeeded ? .done(vars: [:]) : upstream(outcome, "\(callback.method) \(callback.path)")
    }

    /// Otter did not take the call: the action failed, and the harness should hear why.
    private func upstream(_ outcome: OtterAPI.Outcome, _ what: String) -> Result {
        .refused(status: 502, message: "\(what): Otter \(outcome.text)")
    }
}
