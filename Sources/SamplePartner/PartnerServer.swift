import Foundation
import OtterCore
import OtterCrypto
import OtterHTTP

/// The partner's HTTP front door.
///
/// - `POST /webhook`: Otter's webhooks. Verify the signature, drop repeats, acknowledge at once
///   with 200 and an empty body, and do the work afterwards on a background queue. Otter treats
///   a slow or non-2xx acknowledgement as a failed delivery, so nothing slow happens before the ack.
///   The one exception is `stores.fetch_credentials`, a question answered in the acknowledgement
///   itself: 200 with the credentials schema (a ViewCredentialsArray).
/// - `POST /_control/action`: the harness asking for one of the partner's own moves
///   (see `ActionHandler`). Answered when the move and its calls are done.
/// - `GET /_control/health`: 200 while running.
final class PartnerServer: @unchecked Sendable {
    private let options: ServeOptions
    private let webhooks: WebhookHandler
    private let actions: ActionHandler
    private let seen = SeenEvents()
    /// One serial queue per resource (a delivery, an order; the store for store-wide events): the work on one
    /// resource is done in arrival order, so a cancel that arrives after an accept is also processed after it, while
    /// a retry waiting out a `Retry-After` on one delivery does not hold up another.
    private let work = ResourceQueues()
    private var server: HTTPServer?

    init(options: ServeOptions, api: OtterAPI) {
        self.options = options
        let state = PartnerState()
        webhooks = WebhookHandler(type: options.type, api: api, state: state, fault: options.fault)
        actions = ActionHandler(type: options.type, api: api, state: state, fault: options.fault)
    }

    /// Starts listening; returns the bound port.
    func start() throws -> Int {
        var configuration = HTTPServer.Configuration()
        configuration.host = options.host
        configuration.port = options.port
        let server = HTTPServer(configuration: configuration) { [self] request in route(request) }
        try server.start()
        self.server = server
        return server.port
    }

    func stop() { server?.stop() }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("POST", "/webhook"): return receiveWebhook(request)
        case ("POST", "/_control/action"): return performAction(request)
        case ("GET", "/_control/health"): return .json(200, #"{"ok":true}"#)
        case (_, "/webhook"), (_, "/_control/action"):
            return .error(405, code: "method_not_allowed", message: "use POST")
        default:
            return .error(404, code: "not_found", message: "no route for \(request.path)")
        }
    }

    // MARK: Webhooks

    private func receiveWebhook(_ request: HTTPRequest) -> HTTPResponse {
        // 1. Authenticity first: nothing about an unsigned or forged webhook is trusted or acted on.
        if options.fault == .acceptBadSignature {
            Log.info("[fault accept-bad-signature] not verifying X-HMAC-SHA256")
        } else if !WebhookSignature.isValid(request.headers["X-HMAC-SHA256"], body: request.body,
                                             secret: Array(options.webhookSecret.utf8)) {
            Log.info("rejected a webhook with a missing or wrong X-HMAC-SHA256")
            return .error(401, code: "invalid_signature", message: "X-HMAC-SHA256 does not match the body")
        }
        guard let event = WebhookEvent(body: request.body) else {
            return .error(400, code: "bad_event", message: "body is not an Otter event (eventId, eventType, metadata)")
        }

        // A question answered in the acknowledgement itself ("Fetch Credentials (synchronously)"): a repeat gets the
        // same answer, and there is no work to queue.
        if event.eventType == "stores.fetch_credentials" {
            return answerSynchronously(event)
        }

        // 2. At-least-once delivery: a repeated eventId is acknowledged but not acted on again.
        if options.fault == .duplicateSideEffects {
            Log.info("[fault duplicate-side-effects] not checking eventId \(event.eventId) for repeats")
        } else if !seen.firstTime(event.eventId) {
            Log.info("\(event.eventType) \(event.eventId): repeat delivery, acknowledged without acting")
            return HTTPResponse(status: 200)
        }

        // 3. Queue the work, then acknowledge.
        Log.info("\(event.eventType) \(event.eventId): accepted")
        let handler = webhooks
        work.queue(for: ResourceQueues.key(of: event)).async { handler.handle(event) }
        if let problem = ackProblem() { return problem }
        return HTTPResponse(status: 200)
    }

    /// The answer to `stores.fetch_credentials`: 200 with a ViewCredentialsArray.
    private func answerSynchronously(_ event: WebhookEvent) -> HTTPResponse {
        Log.info("\(event.eventType) \(event.eventId): answered with the credentials schema")
        if let problem = ackProblem() { return problem }
        if options.fault == .emptyAnswer {
            Log.info("[fault empty-answer] answering \(event.eventType) with an empty 200")
            return HTTPResponse(status: 200)
        }
        let saved = event.storeId.isEmpty ? nil : webhooks.state.access { $0.stores[event.storeId]?.credentials }
        return .json(200, CallbackBodies.credentialsSchema(saved: saved).serialized())
    }

    /// The acknowledgement faults: late (the answer still comes) or a 500 instead of the answer.
    private func ackProblem() -> HTTPResponse? {
        switch options.fault {
        case .slowAck:
            Log.info("[fault slow-ack] acknowledging after 4 s")
            Thread.sleep(forTimeInterval: 4)
        case .errorAck:
            Log.info("[fault error-ack] acknowledging with 500")
            return .error(500, code: "internal", message: "webhook handler failed")
        default:
            break
        }
        return nil
    }

    // MARK: Actions

    private func performAction(_ request: HTTPRequest) -> HTTPResponse {
        guard let json = try? JSONValue.parse(request.body), let action = json["action"]?.stringValue else {
            return refusal(400, "body must be {\"action\": ..., \"storeId\": ..., \"vars\": {...}}")
        }
        let storeId = json["storeId"]?.stringValue ?? ""
        let vars = json["vars"] ?? [:]
        Log.info("action \(action) requested")
        // Run on the work queue (in order with the webhooks) and wait: the harness expects the
        // action's calls to have been made when the answer comes.
        let handler = actions
        let result = work.queue(for: ResourceQueues.key(ofActionVars: vars, storeId: storeId)).sync {
            handler.perform(action, storeId: storeId, vars: vars)
        }
        switch result {
        case .done(let newVars):
            Log.info("action \(action) done")
            let body: JSONValue = ["ok": true, "vars": .object(newVars)]
            return .json(200, body.serialized())
        case .refused(let status, let message):
            Log.info("action \(action) refused: \(message)")
            return refusal(status, message)
        }
    }

    private func refusal(_ status: Int, _ message: String) -> HTTPResponse {
        let body: JSONValue = ["ok": false, "message": .string(message)]
        return .json(status, body.serialized())
    }
}

/// Serial work queues, one per resource, made on first use.
final class ResourceQueues: @unchecked Sendable {
    private let lock = NSLock()
    private var queues: [String: DispatchQueue] = [:]

    func queue(for key: String) -> DispatchQueue {
        lock.lock()
        defer { lock.unlock() }
        if let q = queues[key] { return q }
        let q = DispatchQueue(label: "sample-partner.work.\(queues.count)")
        queues[key] = q
        return q
    }

    /// What a webhook is about: its resource (`metadata.resourceId`), or the store when the event is about nothing but
    /// itself (a pause, a menu publish: their resourceId is their eventId).
    static func key(of event: WebhookEvent) -> String {
        if let r = event.resourceId, !r.isEmpty, r != event.eventId { return "resource:" + r }
        return "store:" + event.storeId
    }

    /// What an action is about: the delivery or order its vars name, else the store.
    static func key(ofActionVars vars: JSONValue, storeId: String) -> String {
        for name in ["deliveryReferenceId", "orderId"] {
            if let v = vars[name]?.stringValue, !v.isEmpty { return "resource:" + v }
        }
        return "store:" + storeId
    }
}
