import Foundation
import OtterCore

/// What the partner and the run created in the sandbox, so it can answer as Otter would: from state, 404 for an id
/// nobody handed out, 422 for a move the resource can no longer make.
struct SandboxResources {
    /// An order the sandbox knows: sent in an orders webhook, or created with `POST /v1/orders`.
    struct Order {
        var body: JSONValue
        var source: String?
        var status: String
        var createdAt: Double
    }

    /// A menu or report job, and how many times its status was asked for.
    struct Job { var type: String; var polls = 0 }

    /// Ids the run handed to the partner (a record's vars, the ids in the webhooks it sent) or the partner created.
    var known = Set<String>()
    var orders: [String: Order] = [:]
    /// Delivery reference → the statuses reported, in order.
    var deliveries: [String: [String]] = [:]
    var jobs: [String: Job] = [:]
    /// Pause/unpause request id → `pause` or `unpause`.
    var storeRequests: [String: String] = [:]

    /// The path variables that name a resource the sandbox must know, with the word for it in a 404.
    static let identifying: [(variable: String, noun: String)] = [
        ("orderId", "order"), ("deliveryReferenceId", "delivery"), ("jobId", "job"), ("requestId", "request"),
    ]

    /// Statuses after which a delivery takes no other.
    static let finalDelivery: Set<String> = ["COMPLETED", "CANCELED"]
    /// Order statuses after which an order's status cannot change.
    static let finalOrder: Set<String> = ["CANCELED", "FULFILLED", "REJECTED"]

    /// Learns the ids and orders in a webhook Otter sent.
    mutating func learn(webhook: JSONValue, now: Double) {
        if let id = webhook["metadata"]?["resourceId"]?.stringValue { known.insert(id) }
        let payload = webhook["metadata"]?["payload"]
        if let ref = payload?["deliveryReferenceId"]?.stringValue { known.insert(ref) }
        let type = webhook["eventType"]?.stringValue ?? ""
        if type == "orders.new_order" || type == "orders.update_order", let order = payload,
           let id = order["externalIdentifiers"]?["id"]?.stringValue {
            store(order: order, id: id, now: now)
        }
    }

    mutating func store(order: JSONValue, id: String, now: Double) {
        known.insert(id)
        let previous = orders[id]
        orders[id] = Order(body: order, source: order["externalIdentifiers"]?["source"]?.stringValue ?? previous?.source,
                           status: order["status"]?.stringValue ?? previous?.status ?? "NEW_ORDER",
                           createdAt: previous?.createdAt ?? now)
    }
}

extension SandboxResources {
    /// The answer state decides for a call (nil: the endpoint's documented success), updating the state in place.
    mutating func answer(_ endpoint: EndpointTable.Endpoint, captures: [String: String], body: JSONValue?,
                         query: [String: String], now: Double) -> HTTPResponseBox? {
        for (variable, noun) in SandboxResources.identifying {
            guard let id = captures[variable] else { continue }
            let isKnown = known.contains(id) || orders[id] != nil || jobs[id] != nil || storeRequests[id] != nil
            if !isKnown {
                return .error(404, "unknown \(noun) '\(id)' (\(variable)): nothing in this run created it or was sent with it")
            }
        }
        switch endpoint.operationId {
        case "createOrder", "updateOrder":
            if let body, let id = body["externalIdentifiers"]?["id"]?.stringValue ?? captures["orderId"] {
                store(order: body, id: id, now: now)
            }
        case "updateOrderStatus":
            guard let id = captures["orderId"], let next = body?["orderStatus"]?.stringValue else { return nil }
            if let current = orders[id]?.status, SandboxResources.finalOrder.contains(current), current != next {
                return .error(422, "order '\(id)' is \(current); its status can no longer change to \(next)")
            }
            orders[id]?.status = next
        case "updateDeliveryStatus":
            guard let id = captures["deliveryReferenceId"], let next = body?["deliveryStatus"]?.stringValue else { return nil }
            if let last = deliveries[id]?.last, SandboxResources.finalDelivery.contains(last), last != next {
                return .error(422, "delivery '\(id)' is \(last); it takes no other status (\(next))")
            }
            deliveries[id, default: []].append(next)
        case "getManagerOrder":
            guard let id = captures["orderId"], let order = orders[id] else { return nil }
            if let source = captures["source"], let own = order.source, own != source {
                return .error(404, "order '\(id)' is not an order of source '\(source)' (it is \(own)'s)")
            }
            return .json(200, ["order": order.body])
        case "managerGetOrderFeed":
            guard let limit = Int(query["limit"] ?? ""), limit >= 1 else {
                return .error(400, "limit must be a whole number of orders, at least 1, got '\(query["limit"] ?? "")'")
            }
            let offset: Int
            if let token = query["token"], !token.isEmpty {
                guard let n = OtterSandbox.offset(fromPageToken: token) else {
                    return .error(400, "token '\(token)' is not a page token this sandbox gave")
                }
                offset = n
            } else { offset = 0 }
            let all = orders.values.sorted { $0.createdAt < $1.createdAt }
            let page = all.dropFirst(offset).prefix(limit)
            var o = JSONObject()
            o["orders"] = .array(page.map(\.body))
            if offset + page.count < all.count { o["offsetToken"] = .string(OtterSandbox.pageToken(offset: offset + page.count)) }
            return .json(200, .object(o))
        case "upsertMenu", "managerSuspendMenuEntities", "managerUnsuspendMenuEntities", "managerBootstrap":
            let id = UUID().uuidString.lowercased()
            let type = endpoint.success?.example?["jobType"]?.stringValue ?? "PUBLISH"
            jobs[id] = SandboxResources.Job(type: type)
            return .json(202, ["jobReference": ["id": .string(id), "status": "PENDING"], "jobType": .string(type)])
        case "getAsyncJobStatus":
            guard let id = captures["jobId"], var job = jobs[id] else { return nil }
            job.polls += 1
            jobs[id] = job
            // A job advances: pending when first asked about, done from then on.
            let status = job.polls == 1 ? "PENDING" : "SUCCESS"
            return .json(200, ["jobReference": ["id": .string(id), "status": .string(status)], "jobType": .string(job.type)])
        case "pauseStorefronts", "unpauseStorefronts":
            let id = UUID().uuidString.lowercased()
            storeRequests[id] = endpoint.operationId == "pauseStorefronts" ? "pause" : "unpause"
            return .json(200, ["requestId": .string(id)])
        case "getPauseRequestStatus", "getUnpauseRequestStatus":
            guard let id = captures["requestId"], let kind = storeRequests[id] else { return nil }
            let wanted = endpoint.operationId == "getPauseRequestStatus" ? "pause" : "unpause"
            if kind != wanted { return .error(404, "request '\(id)' is a \(kind) request, not a \(wanted) request") }
            return nil
        default:
            break
        }
        return nil
    }
}

extension OtterSandbox {
    /// Answers what state decides, or nil for the endpoint's documented success. Runs after the body is valid.
    func answerFromState(_ endpoint: EndpointTable.Endpoint, captures: [String: String], body: JSONValue?,
                         query: [String: String]) -> HTTPResponseBox? {
        let now = Date().timeIntervalSince1970
        return withState { $0.resources.answer(endpoint, captures: captures, body: body, query: query, now: now) }
    }

    /// An opaque page token for an offset into the order feed.
    static func pageToken(offset: Int) -> String { Data("offset:\(offset)".utf8).base64EncodedString() }

    static func offset(fromPageToken token: String) -> Int? {
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), text.hasPrefix("offset:") else { return nil }
        return Int(text.dropFirst("offset:".count)).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// An answer decided from state: a JSON body, or an error in the spec's `ErrorMessage` shape.
enum HTTPResponseBox {
    case json(Int, JSONValue)
    case error(Int, String)
}
