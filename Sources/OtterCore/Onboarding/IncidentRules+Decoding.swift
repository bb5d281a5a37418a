import Foundation

extension IncidentRules {
    /// Decodes and checks an incident-rules document; errors name the JSON path.
    public init(json: JSONValue) throws(DataError) {
        let root = JSONNode(json)
        _ = try root.object(allowed: ["version", "description", "liveDay", "reorderWindowSeconds", "ack", "callbacks",
                                      "errorCallbacks", "webhookFailures", "requestFailures", "storm"])
        version = try root.required("version").nonEmptyString()
        if let live = root.child("liveDay") {
            _ = try live.object(allowed: ["minExchanges"])
            minLiveExchanges = try live.required("minExchanges").int(min: 1)
        } else { minLiveExchanges = 1 }
        reorderWindowSeconds = try root.child("reorderWindowSeconds")?.number(min: 0) ?? 120
        let ackNode = try root.required("ack")
        _ = try ackNode.object(allowed: ["status", "withinMs", "cause"])
        ack = AckRule(status: try ackNode.child("status").map { n throws(DataError) in try n.statusSet() } ?? (try! StatusSet("2xx")),
                      withinMs: try ackNode.required("withinMs").number(min: 0),
                      cause: try ackNode.child("cause")?.nonEmptyString() ?? "webhook-not-acknowledged")
        var seenTypes = Set<String>()
        callbacks = try (root.child("callbacks")?.array() ?? []).map { n throws(DataError) in
            _ = try n.object(allowed: ["webhook", "request", "status", "withinSeconds", "cause"])
            let type = try n.required("webhook").nonEmptyString()
            if !seenTypes.insert(type).inserted { throw n.error("a second callback rule for webhook '\(type)'") }
            return CallbackRule(eventType: type, request: try RequestPattern(node: try n.required("request")),
                                status: try n.child("status").map { s throws(DataError) in try s.statusSet() } ?? (try! StatusSet("2xx")),
                                withinSeconds: try n.required("withinSeconds").number(min: 0),
                                cause: try n.required("cause").nonEmptyString())
        }
        if let ec = root.child("errorCallbacks") {
            _ = try ec.object(allowed: ["requests", "cause"])
            errorCallbacks = try ec.required("requests").array().map { n throws(DataError) in try RequestPattern(node: n) }
            errorCallbackCause = try ec.child("cause")?.nonEmptyString() ?? "error-callback"
        } else { errorCallbacks = []; errorCallbackCause = "error-callback" }
        webhookFailures = try (root.child("webhookFailures")?.array() ?? []).map { n throws(DataError) in
            _ = try n.object(allowed: ["webhook", "when", "cause"])
            let when = try n.required("when").array().map { a throws(DataError) in try FieldAssertion(node: a) }
            if when.isEmpty { throw n.error("'when' needs at least one field assertion") }
            return WebhookFailureRule(eventType: try n.required("webhook").nonEmptyString(), when: when,
                                      cause: try n.required("cause").nonEmptyString())
        }
        requestFailures = try (root.child("requestFailures")?.array() ?? []).map { n throws(DataError) in
            _ = try n.object(allowed: ["request", "status", "when", "cause"])
            let rule = RequestFailureRule(request: try RequestPattern(node: try n.required("request")),
                                          status: try n.child("status").map { s throws(DataError) in try s.statusSet() },
                                          when: try (n.child("when")?.array() ?? []).map { a throws(DataError) in try FieldAssertion(node: a) },
                                          cause: try n.required("cause").nonEmptyString())
            if rule.status == nil && rule.when.isEmpty { throw n.error("a request failure needs 'status' or 'when'") }
            return rule
        }
        storm = try root.child("storm").map { n throws(DataError) in
            _ = try n.object(allowed: ["status", "count", "windowSeconds", "cause"])
            return StormRule(status: try n.required("status").statusSet(), count: try n.required("count").int(min: 1),
                             windowSeconds: try n.required("windowSeconds").number(min: 0),
                             cause: try n.child("cause")?.nonEmptyString() ?? "error-storm")
        }
    }

    /// The built-in rules: the same as the bundled `checklists/incident-rules.json`.
    public static let defaults: IncidentRules = {
        do { return try IncidentRules(json: try JSONValue.parse(defaultDocument)) } catch {
            preconditionFailure("built-in incident rules are invalid: \(error)")
        }
    }()

    /// The built-in rules document (kept equal to `checklists/incident-rules.json` by a test).
    public static let defaultDocument = #"""
    {
      "version": "1.0.0",
      "liveDay": { "minExchanges": 1 },
      "reorderWindowSeconds": 120,
      "ack": { "status": "2xx", "withinMs": 3000, "cause": "webhook-not-acknowledged" },
      "callbacks": [
        { "webhook": "orders.new_order", "request": { "method": "POST", "path": "/manager/order/v1/orders/order-created" }, "withinSeconds": 60, "cause": "order-not-injected" },
        { "webhook": "menus.send_menu", "request": { "method": "POST", "path": "/v1/menus/current" }, "withinSeconds": 60, "cause": "menu-update-failed" },
        { "webhook": "menus.menu_publish", "request": { "method": "POST", "path": "/v1/menus/publish" }, "withinSeconds": 60, "cause": "menu-update-failed" },
        { "webhook": "menus.update_menu_entities_availabilities", "request": { "method": "POST", "path": "/v1/menus/entity/availability/bulk" }, "withinSeconds": 30, "cause": "menu-update-failed" },
        { "webhook": "menus.upsert_hours", "request": { "method": "POST", "path": "/v1/menus/hours" }, "withinSeconds": 30, "cause": "menu-update-failed" },
        { "webhook": "storefront.pause_store", "request": { "method": "POST", "path": "/v1/storefront/pause" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "storefront.unpause_store", "request": { "method": "POST", "path": "/v1/storefront/unpause" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "storefront.get_store_availability", "request": { "method": "POST", "path": "/v1/storefront/availability" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "storefront.get_store_hours", "request": { "method": "POST", "path": "/v1/storefront/hours" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "delivery.request_quote", "request": { "method": "POST", "path": "/v1/delivery/{deliveryReferenceId}/quotes" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "delivery.accept", "request": { "method": "POST", "path": "/v1/delivery/{deliveryReferenceId}/accept" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "delivery.cancel", "request": { "method": "POST", "path": "/v1/delivery/{deliveryReferenceId}/cancel" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "delivery.update_request", "request": { "method": "POST", "path": "/v1/delivery/{deliveryReferenceId}/update" }, "withinSeconds": 30, "cause": "callback-missing" },
        { "webhook": "stores.upsert", "request": { "method": "POST", "path": "/v1/stores" }, "withinSeconds": 60, "cause": "onboarding-failed" }
      ],
      "errorCallbacks": {
        "requests": [
          { "method": "POST", "path": "/v1/callback/error" },
          { "method": "POST", "path": "/v1/delivery/callback/error" }
        ],
        "cause": "error-callback"
      },
      "webhookFailures": [
        { "webhook": "orders.pos_injection_state_update", "when": [ { "path": "$.metadata.payload.injectionState", "oneOf": ["INJECTION_FAILED", "MANUAL_INJECTION_REQUIRED"] } ], "cause": "order-not-injected" }
      ],
      "requestFailures": [
        { "request": { "method": "POST", "path": "/v1/orders" }, "status": "400,401,403,404,409,422", "cause": "order-not-injected" },
        { "request": { "method": "POST", "path": "/v1/menus" }, "status": "400,401,403,404,409,422", "cause": "menu-update-failed" },
        { "request": { "method": "POST", "path": "/manager/menu/v1/menus/publish" }, "status": "400,401,403,404,409,422", "cause": "menu-update-failed" },
        { "request": { "method": "GET", "path": "/v1/menus/jobs/{jobId}" }, "when": [ { "path": "$.status", "equals": "FAILED" } ], "cause": "menu-update-failed" }
      ],
      "storm": { "status": "5xx,429", "count": 5, "windowSeconds": 600, "cause": "error-storm" }
    }
    """#
}

extension JSONNode {
    func statusSet() throws(DataError) -> StatusSet {
        let s = try string()
        do { return try StatusSet(s) } catch { throw self.error(error.message) }
    }
}
