import Foundation
import OtterCore
import OtterHTTP

extension OtterSandbox {
    /// Any call but the token grant: route, auth, scope, headers, fault, rate limit, body, success.
    func answerCallback(_ request: HTTPRequest, tags: inout [String]) -> HTTPResponse {
        let path = request.path
        guard let endpoint = endpoints.endpoint(method: request.method, path: path) else {
            let allowed = Set(endpoints.endpoints.filter { $0.path.match(path, bound: [:]) != nil }.map(\.method)).sorted()
            if allowed.isEmpty {
                return .error(404, code: "not_found", message: "no Otter Public API endpoint at \(path)")
            }
            var r = HTTPResponse.error(405, code: "method_not_allowed",
                                       message: "\(request.method) is not allowed on \(path); use \(allowed.joined(separator: ", "))")
            r.headers.add("Allow", allowed.joined(separator: ", "))
            return r
        }
        let label = "\(endpoint.method) \(endpoint.path.text)"

        // Authorization.
        func unauthorized(_ code: String, _ message: String) -> HTTPResponse {
            var r = HTTPResponse.error(401, code: code, message: message)
            r.headers.add("WWW-Authenticate", "Bearer realm=\"otter-sandbox\"" + (code == "invalid_token" ? ", error=\"invalid_token\"" : ""))
            return r
        }
        let parts = (request.headers["Authorization"] ?? "").split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return unauthorized("unauthorized", "\(label) needs Authorization: Bearer <access token from POST /v1/auth/token>")
        }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        switch withState({ s in s.tokens.lookup(presented, now: OtterSandbox.now()) }) {
        case .unknown:
            return unauthorized("invalid_token", "the bearer token was not issued by this sandbox; get one from POST /v1/auth/token")
        case .expired:
            return unauthorized("invalid_token", "the bearer token has expired; get a new one from POST /v1/auth/token")
        case .valid(let scopes):
            if let need = endpoint.scope, !scopes.contains(need) {
                return .error(403, code: "insufficient_scope",
                              message: "\(label) needs scope '\(need)'; the token has: \(scopes.isEmpty ? "(none)" : scopes.sorted().joined(separator: " "))")
            }
        }

        // Required headers.
        for name in endpoint.requiredHeaders {
            guard let value = request.headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                return .error(400, code: "missing_header", message: "\(label) needs the header \(name)")
            }
            switch name.lowercased() {
            case "x-store-id" where value != configuration.storeId:
                return .error(404, code: "unknown_store", message: "unknown store '\(value)' (X-Store-Id)")
            case "x-event-id" where withState({ $0.events[value] == nil }):
                return .error(404, code: "unknown_event", message: "unknown event '\(value)' (X-Event-Id): no webhook with this eventId was sent")
            case "x-application-id" where value != configuration.applicationId:
                return .error(404, code: "unknown_application", message: "unknown application '\(value)' (X-Application-Id)")
            default: break
            }
        }

        // Required query parameters (`limit` on the order feed).
        let query = OtterSandbox.queryParameters(request.query)
        for name in endpoint.requiredQuery where (query[name] ?? "").isEmpty {
            return .error(400, code: "missing_parameter", message: "\(label) needs the query parameter \(name) (the spec's \(endpoint.operationId))")
        }

        // Injected fault, then the rate limit.
        let limit = configuration.rateLimits.limit(documented: endpoint.ratePerMinute)
        // Counted per store and per resource: two deliveries advancing at once each have their own 8 a minute.
        let key = request.method + " " + path + " " + (request.headers["X-Store-Id"] ?? "")
        enum Gate { case fault(FaultPlan.Hit), limited(Int), open }
        let gate: Gate = withState { s in
            if let owner = OtterSandbox.attribution(of: request, in: s)?.record,
               let hit = s.running[owner]?.faults.take(method: request.method, path: path) { return .fault(hit) }
            if let limit, let wait = s.limiter.admit(key: key, limit: limit, now: OtterSandbox.now()) { return .limited(wait) }
            return .open
        }
        switch gate {
        case .fault(let hit):
            tags.append("injected-fault")
            return hit.response
        case .limited(let wait):
            var r = HTTPResponse.error(429, code: "rate_limited",
                                       message: "rate limit of \(limit ?? 0) calls per minute for \(label) exceeded; retry after \(wait) s")
            r.headers.add("Retry-After", String(wait))
            return r
        case .open: break
        }

        // Body.
        var body: JSONValue?
        if let schema = endpoint.bodySchema {
            // The server kept only the first bytes (the token was not valid yet when the head arrived): not judged.
            if request.isBodyTruncated {
                return .error(413, code: "content_too_large",
                              message: "\(label): only the first \(request.body.count) of the body's \(request.bodySize) bytes were read; send the call again")
            }
            let parsed: JSONValue
            do { parsed = try JSONValue.parse(request.body) } catch {
                let what = request.body.isEmpty ? "the body is empty" : "the body is not JSON (\(error.description))"
                return .error(400, code: "invalid_json", message: "\(label) needs a JSON \(schema) body; \(what)")
            }
            let violations = schemas.validate(parsed, against: schema)
            if !violations.isEmpty {
                let shown = violations.prefix(5).map(\.description).joined(separator: "; ")
                let more = violations.count > 5 ? " (and \(violations.count - 5) more)" : ""
                return .error(422, code: "validation_failed", message: "the body is not a valid \(schema): \(shown)\(more)")
            }
            body = parsed
        }
        let captures = endpoint.path.match(path, bound: [:]) ?? [:]
        switch answerFromState(endpoint, captures: captures, body: body, query: query) {
        case .json(let status, let value)?: return .json(status, value.serialized())
        case .error(let status, let message)?:
            let code = status == 404 ? "not_found" : status == 422 ? "invalid_state" : "invalid_request"
            return .error(status, code: code, message: message)
        case nil: return success(endpoint, path: path, body: body)
        }
    }

    /// `a=1&b=x%20y` → `[a: 1, b: x y]` (the first value of a repeated name).
    static func queryParameters(_ query: String?) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = TokenRequest.formDecode(kv[0])
            if out[key] == nil { out[key] = kv.count > 1 ? TokenRequest.formDecode(kv[1]) : "" }
        }
        return out
    }


    /// The endpoint's documented success, as the spec writes it: its first 2xx status; no body when the spec
    /// documents none (204, a bare 202); else the spec's example answer with this run's values in it
    /// (`SandboxAnswers.personalize`).
    func success(_ endpoint: EndpointTable.Endpoint, path: String, body: JSONValue?) -> HTTPResponse {
        guard let answer = endpoint.success else { return HTTPResponse(status: 200) }
        let status = answer.code ?? 200
        guard answer.schema != nil else { return HTTPResponse(status: status) }
        let captures = endpoint.path.match(path, bound: [:]) ?? [:]
        let filled = SandboxAnswers.personalize(answer.example ?? .object(JSONObject()), storeId: configuration.storeId,
                                                pathValues: captures, request: body)
        return .json(status, filled.serialized())
    }
}
