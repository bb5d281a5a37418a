import Foundation
import OtterCore
import OtterHTTP

extension OtterSandbox {
    /// `POST /v1/auth/token`: the OAuth client-credentials grant.
    func answerToken(_ request: HTTPRequest) -> HTTPResponse {
        if request.isBodyTruncated {
            return .error(413, code: "content_too_large",
                          message: "the token request's body is \(request.bodySize) bytes; a client-credentials form is a few hundred (at most \(request.body.count) are read)")
        }
        let token: TokenRequest
        do { token = try TokenRequest(request) } catch {
            var r = HTTPResponse.error(error.status, code: error.code, message: error.message)
            if error.status == 401 { r.headers.add("WWW-Authenticate", "Basic realm=\"otter-sandbox\"") }
            return r
        }
        // Evaluate both comparisons every time: the answer's timing must not tell which one failed.
        let idOK = TokenStore.secretsEqual(token.clientId, configuration.clientId)
        let secretOK = TokenStore.secretsEqual(token.clientSecret, configuration.clientSecret)
        guard idOK && secretOK else {
            var r = HTTPResponse.error(401, code: "invalid_client", message: "unknown client_id or wrong client_secret")
            if token.usedBasic { r.headers.add("WWW-Authenticate", "Basic realm=\"otter-sandbox\"") }
            return r
        }
        let requested = token.scopes
        guard !requested.isEmpty else {
            return .error(400, code: "invalid_scope",
                          message: "scope is required (the spec's OAuthTokenGenerationRequest); ask for the scopes the calls need, space-separated, e.g. scope=delivery.provider callback.error.write")
        }
        let unknown = requested.filter { !grantableScopes.contains($0) }
        guard unknown.isEmpty else {
            return .error(400, code: "invalid_scope",
                          message: "unknown scope\(unknown.count == 1 ? "" : "s"): \(unknown.joined(separator: " "))")
        }
        var seen = Set<String>()
        let granted = requested.filter { seen.insert($0).inserted }
        let ttl = max(1, configuration.tokenTTL)
        let issued = withState { s in s.tokens.issue(scopes: Set(granted), ttl: ttl, now: OtterSandbox.now()) }
        // Known to the redactor before this answer is logged: the token is masked wherever it shows up later too
        // (an echoed body, a query string, a custom header), always by the same marker.
        log.learnSecret(issued)
        let body = JSONValue.object(JSONObject([
            ("access_token", .string(issued)),
            ("expires_in", .number(Double(ttl))),
            ("scope", .string(granted.joined(separator: " "))),
            ("token_type", .string("bearer")),
        ]))
        var r = HTTPResponse.json(200, body.serialized())
        r.headers.add("Cache-Control", "no-store")
        return r
    }
}
