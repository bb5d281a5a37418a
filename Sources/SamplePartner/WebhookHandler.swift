import Foundation
import OtterCore

/// The work behind each webhook, done after the webhook was acknowledged.
///
/// Each webhook is answered by exactly one callback: the success callback of its event type,
/// or, when it cannot be served, an error callback (`/v1/delivery/callback/error` for delivery,
/// `/v1/callback/error` otherwise). Both carry `X-Event-Id: <eventId>` so Otter can match the
/// answer to the question.
struct WebhookHandler: Sendable {
    let type: IntegrationType
    let api: OtterAPI
    let state: PartnerState
    let fault: Fault?

    func handle(_ event: WebhookEvent) {
        let p = event.payload
        switch event.eventType {
        case "ping.ping":
            break  // Reachability check: the acknowledgement is the whole answer.

        // MARK: Delivery (DSP)
        case "delivery.request_quote":
            guard let ref = p["deliveryReferenceId"]?.stringValue else { return invalid(event, "deliveryReferenceId is missing") }
            // Without a dropoff address there is nothing to quote. Say so: silence would leave the
            // order waiting for a courier that never comes.
            guard p["dropoffAddress"]?.objectValue != nil else {
                return fail(event, "INVALID_ARGUMENT", "dropoffAddress is required to quote")
            }
            state.access {
                $0.deliveries[ref] = .init(referenceId: ref, storeId: event.storeId, status: .quoted,
                                           providerDeliveryId: "dsp-" + ref.prefix(8),
                                           currencyCode: p["currencyCode"]?.stringValue ?? "USD")
            }
            succeed(event, "POST", "/v1/delivery/\(Callback.segment(ref))/quotes", CallbackBodies.quote(p))

        case "delivery.accept":
            guard let ref = p["deliveryReferenceId"]?.stringValue else { return invalid(event, "deliveryReferenceId is missing") }
            let providerId = state.access { s -> String? in
                if s.deliveries[ref]?.status == .cancelled { return nil }
                var d = s.deliveries[ref] ?? .init(referenceId: ref, storeId: event.storeId, status: .quoted,
                                                   providerDeliveryId: "dsp-" + ref.prefix(8), currencyCode: "USD")
                d.status = .accepted
                s.deliveries[ref] = d
                return d.providerDeliveryId
            }
            guard let providerId else { return fail(event, "FAILED_PRECONDITION", "delivery \(ref) was cancelled") }
            succeed(event, "POST", "/v1/delivery/\(Callback.segment(ref))/accept",
                    CallbackBodies.accept(p, providerDeliveryId: providerId))

        case "delivery.update_request":
            guard let ref = p["deliveryReferenceId"]?.stringValue else { return invalid(event, "deliveryReferenceId is missing") }
            succeed(event, "POST", "/v1/delivery/\(Callback.segment(ref))/update", CallbackBodies.deliveryUpdate(p))

        case "delivery.cancel":
            guard let ref = p["deliveryReferenceId"]?.stringValue else { return invalid(event, "deliveryReferenceId is missing") }
            // Mark it first: from now on the courier loop sends nothing more for this delivery.
            state.access { $0.deliveries[ref]?.status = .cancelled }
            succeed(event, "POST", "/v1/delivery/\(Callback.segment(ref))/cancel", CallbackBodies.deliveryCancel())

        case "delivery.delivery_status_update":
            // The progress of the delivery of one of the platform's orders (metadata.resourceId): shown to the
            // customer. Informational; the acknowledgement is the whole answer.
            Log.info("delivery of \(event.resourceId ?? "?") is \(p["deliveryStatus"]?.stringValue ?? p["status"]?.stringValue ?? "?")")

        // MARK: Orders into a POS
        case "orders.new_order":
            guard let id = p["externalIdentifiers"]?["id"]?.stringValue else { return invalid(event, "externalIdentifiers.id is missing") }
            // Nothing to cook: the kitchen cannot take it. Say so, and do not report it as created.
            guard let items = p["items"]?.arrayValue, !items.isEmpty else {
                return fail(event, "INVALID_ARGUMENT", "order \(id) has no items: nothing to prepare")
            }
            let ids = p["externalIdentifiers"]
            state.access {
                $0.orders[id] = .init(id: id, source: ids?["source"]?.stringValue ?? "", storeId: event.storeId,
                                      friendlyId: ids?["friendlyId"]?.stringValue ?? id, status: .received)
            }
            // The ticket is in the kitchen: tell Otter the order arrived.
            succeed(event, "POST", "/manager/order/v1/orders/order-created", [:])

        case "orders.cancel_order":
            // Void the ticket (POS) or stop the order (ordering platform). Nothing to call back:
            // the acknowledgement is the answer, and no confirm/ready/fulfil may follow.
            if let id = p["externalIdentifiers"]?["id"]?.stringValue {
                state.access { $0.orders[id]?.status = .cancelled }
            }

        case "orders.confirm", "orders.order_ready", "orders.order_handed_off", "orders.order_fulfilled":
            // The order moved on elsewhere (the tablet, the courier): update the ticket. Never echo it back with
            // the POS's own confirm/ready/fulfil call; the acknowledgement is the whole answer.
            let moved: [String: PartnerState.OrderStatus] = ["orders.confirm": .confirmed, "orders.order_ready": .ready,
                                                             "orders.order_handed_off": .handedOff, "orders.order_fulfilled": .fulfilled]
            if let id = p["orderId"]?.stringValue, let status = moved[event.eventType] {
                state.access { s in
                    if s.orders[id].map({ $0.status != .cancelled }) == true { s.orders[id]?.status = status }
                }
            }

        case "orders.update", "orders.order_status_update", "orders.pos_injection_state_update":
            break  // Recorded by a real partner; the acknowledgement is the whole answer.

        // MARK: Menus
        case "menus.send_menu":
            succeed(event, "POST", "/v1/menus/current", SampleMenu.sendMenuCallback)

        case "menus.menu_publish":
            let menuData = p["menuData"] ?? .null
            guard let menus = menuData["menus"]?.objectValue, !menus.isEmpty else {
                return fail(event, "INVALID_ARGUMENT", "menuData.menus is empty: nothing to publish")
            }
            succeed(event, "POST", "/v1/menus/publish", CallbackBodies.menuPublished(menuData))

        case "menus.update_menu_entities_availabilities":
            guard let updates = p["updates"]?.arrayValue else { return invalid(event, "updates is missing") }
            succeed(event, "POST", "/v1/menus/entity/availability/bulk", ["updates": .array(updates)])

        case "menus.upsert_hours":
            guard let hours = p["menuHoursData"], hours.objectValue != nil else { return invalid(event, "menuHoursData is missing") }
            succeed(event, "POST", "/v1/menus/hours", ["menuHoursData": hours])

        // MARK: Storefront
        case "storefront.pause_store":
            state.access { _ = $0.pausedStores.insert(event.storeId) }
            succeed(event, "POST", "/v1/storefront/pause",
                    ["closureId": .string(UUID().uuidString.lowercased()), "eventResultMetadata": CallbackBodies.succeeded()])

        case "storefront.unpause_store":
            state.access { _ = $0.pausedStores.remove(event.storeId) }
            succeed(event, "POST", "/v1/storefront/unpause", ["eventResultMetadata": CallbackBodies.succeeded()])

        case "storefront.get_store_availability":
            let paused = state.access { $0.pausedStores.contains(event.storeId) }
            // This endpoint takes no X-Event-Id.
            succeed(event, "POST", "/v1/storefront/availability",
                    ["storeState": paused ? "OPERATOR_PAUSED" : "OPEN", "statusChangedAt": .string(Timestamp.now()),
                     "eventResultMetadata": CallbackBodies.succeeded()], withEventId: false)

        case "storefront.get_store_hours":
            succeed(event, "POST", "/v1/storefront/hours", CallbackBodies.storeHours(), withEventId: false)

        // MARK: Account pairing
        case "stores.upsert":
            let credentials = p["credentials"]?.arrayValue ?? []
            let internalStoreId = p["storeInfo"]?["internalStoreId"]?.stringValue ?? ""
            // "If metadata contains a Store ID, it means a request to update an existent store, otherwise, it's a
            // creation operation": a new store gets an id of ours. (An onboarding store id, `onboarding:<uuid>`, is
            // Otter's placeholder, not ours: that is a creation too.)
            let creating = event.storeId.isEmpty || event.storeId.hasPrefix("onboarding:")
            let storeId = creating ? "sp-store-" + (internalStoreId.isEmpty ? UUID().uuidString.lowercased() : internalStoreId) : event.storeId
            // A real partner checks the credentials against its own accounts here.
            let ok = !credentials.isEmpty && credentials.allSatisfy { ($0["value"]?.stringValue ?? "").isEmpty == false }
            if ok {
                let saved = credentials.compactMap { c in c["key"]?.stringValue.map { (key: $0, value: c["value"]?.stringValue ?? "") } }
                state.access { $0.stores[storeId] = .init(storeId: storeId, internalStoreId: internalStoreId, credentials: saved) }
            }
            let body: JSONValue = ok ? ["success": true, "storeId": .string(storeId)]
                                     : ["success": false, "errorMessage": ["message": "credentials are missing"]]
            succeed(event, "POST", "/v1/stores", body, applicationId: event.applicationId ?? "")

        case "stores.remove":
            // Off-boarding: forget the store's credentials. metadata.storeId is the last known store id, or empty,
            // and then storeInfo.internalStoreId names it. The acknowledgement is the whole answer.
            let internalStoreId = p["storeInfo"]?["internalStoreId"]?.stringValue
            state.access { s in
                if !event.storeId.isEmpty { s.stores[event.storeId] = nil }
                if let internalStoreId { s.stores = s.stores.filter { $0.value.internalStoreId != internalStoreId } }
            }

        // MARK: Reports
        case "reports.report_generated":
            // The report asked for with POST /v1/reports/generate is ready: a real partner downloads reportUrl now.
            Log.info("report \(p["jobId"]?.stringValue ?? "?") is ready")

        default:
            Log.info("no handler for \(event.eventType); acknowledged only")
        }
    }

    /// Sends the success callback of `event`.
    private func succeed(_ event: WebhookEvent, _ method: String, _ path: String, _ body: JSONValue,
                         withEventId: Bool = true, applicationId: String? = nil) {
        var callback = Callback(method: method, path: path, body: body, storeId: event.storeId,
                                eventId: withEventId ? event.eventId : nil, applicationId: applicationId)
        callback.isWebhookSuccess = true
        let outcome = api.send(callback)
        if !outcome.succeeded { Log.info("\(event.eventType) \(event.eventId): callback \(outcome.text)") }
    }

    /// Reports that `event` cannot be served.
    private func fail(_ event: WebhookEvent, _ code: String, _ message: String) {
        guard fault != .noErrorCallback else {
            Log.info("[fault no-error-callback] staying silent about \(event.eventId): \(message)")
            return
        }
        Log.info("\(event.eventType) \(event.eventId): \(code): \(message)")
        api.send(Callback(method: "POST", path: type.errorCallbackPath, body: CallbackBodies.error(code, message),
                          storeId: event.storeId, eventId: event.eventId))
    }

    private func invalid(_ event: WebhookEvent, _ message: String) {
        fail(event, "INVALID_ARGUMENT", message)
    }
}
