import Foundation

/// Tokens issued by `POST /v1/auth/token`, and whether every call to the Public API used a valid one.
struct TokenAudit {
    struct Grant {
        var issuedAt: Double
        var expiresAt: Double
        var scopes: Set<String>
        var entry: LogEntry
    }

    /// Granted tokens by their (redacted) value.
    private(set) var grants: [String: Grant] = [:]
    /// Token calls seen (capped), for evidence.
    var exchanges: [LogEntry] = []
    /// Token calls that did not yield a client-credentials token, with why (capped).
    var refused: [(LogEntry, String)] = []
    /// The first call that did not carry a valid token, and why.
    var firstViolation: (LogEntry, String)?
    /// Calls checked.
    var checked = 0

    mutating func grant(_ x: Exchange) {
        if exchanges.count < 10 { exchanges.append(x.entry) }
        let body = x.entry.request?.body ?? ""
        let form = parseForm(body)
        let requestJSON = form.isEmpty ? x.requestJSON : nil
        let grantType = form["grant_type"] ?? requestJSON?["grant_type"]?.stringValue
        let requested = form["scope"] ?? requestJSON?["scope"]?.stringValue ?? ""
        func refuse(_ why: String) { if refused.count < 10 { refused.append((x.entry, why)) } }
        guard grantType == "client_credentials" else {
            refuse("grant_type was \(grantType.map { "'\($0)'" } ?? "missing"), expected 'client_credentials'"); return
        }
        guard let status = x.status else { refuse("the token call got no answer"); return }
        guard status == 200 else { refuse("the token call was answered \(status)"); return }
        guard let resp = x.responseJSON, let token = resp["access_token"]?.stringValue else {
            refuse("the token answer holds no access_token"); return
        }
        let expiresIn = resp["expires_in"]?.doubleValue ?? 3600
        let granted = resp["scope"]?.stringValue ?? requested
        grantsChanged += 1
        grants[token] = Grant(issuedAt: x.t, expiresAt: x.t + expiresIn,
                              scopes: Set(granted.split(separator: " ").map(String.init)), entry: x.entry)
    }

    /// What an Authorization header names: not a bearer token (why), or a token and its grant, if it was issued.
    private enum Lookup {
        case notBearer(String)
        case token(Grant?)
    }

    /// The last Authorization header looked up, with `grantsChanged` as it was then: a partner sends the same token
    /// on call after call, so splitting the header and hashing the token are done once per token, not once per call.
    private var lastLookup: (header: String, grantsChanged: Int, lookup: Lookup)?
    /// Counts changes to `grants`, so that a lookup made before one is not reused.
    private var grantsChanged = 0

    private func lookup(_ auth: String) -> Lookup {
        let parts = auth.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .notBearer("Authorization is not a Bearer token (scheme '\(parts.first.map(String.init) ?? "")')")
        }
        return .token(grants[String(parts[1])])
    }

    /// Why a call's Authorization is not a valid bearer token with `scope`, or nil when it is.
    mutating func problem(_ x: Exchange, scope: String?) -> String? {
        guard let auth = x.header("Authorization") else { return "no Authorization header" }
        let found: Lookup
        if let last = lastLookup, last.grantsChanged == grantsChanged, last.header == auth {
            found = last.lookup
        } else {
            found = lookup(auth)
            lastLookup = (auth, grantsChanged, found)
        }
        let g: Grant
        switch found {
        case .notBearer(let why): return why
        case .token(nil): return "the bearer token was never issued by POST /v1/auth/token in this log"
        case .token(let grant?): g = grant
        }
        if x.t > g.expiresAt {
            return "the bearer token expired \(seconds(x.t - g.expiresAt)) before this call (expires_in \(formatNumber(g.expiresAt - g.issuedAt)) s)"
        }
        if let s = scope, !g.scopes.contains(s) {
            return "the token's scope '\(g.scopes.sorted().joined(separator: " "))' lacks '\(s)'"
        }
        return nil
    }

    /// Bearer tokens the API refused with 401 because they were not issued in this log or had expired, with the
    /// call that was refused: the API asking for a new token, which the partner must then fetch.
    var staleRefused: [String: LogEntry] = [:]

    /// How long after a 401 another call with the same token is taken as already under way, not as a reuse: a partner
    /// that works on several resources at once (as Otter's own traffic makes it) may have read the token before the
    /// 401 came back. Otter's policy as certification applies it, not the spec's; the refused call itself, sent again
    /// with the same token, is a reuse at once.
    static let inFlightGrace = 0.5

    /// Audits a call to a Public API endpoint (a request to no endpoint, a probe or a stray `GET /favicon.ico`, is
    /// not the partner's API use and is not audited).
    ///
    /// A token from before this log (a partner that kept the token of an earlier run) or an expired one, answered 401,
    /// is not a violation: it is OAuth's way of asking for a new token (RFC 6750 §3.1, `invalid_token`), and the
    /// partner's retry with a fresh token is what is judged. Presenting that token again after the 401 is a violation.
    mutating func audit(_ x: Exchange, endpoint: EndpointTable.Endpoint) {
        checked += 1
        guard firstViolation == nil, let p = problem(x, scope: endpoint.scope) else { return }
        let presented = bearer(x)
        if let token = presented, let refused = staleRefused[token] {
            // Only a call that started once the partner could know counts: after the 401 was answered, and, for a call
            // other than that one again, after `inFlightGrace` more (another of its threads was already under way).
            let answeredAt = refused.startedAt + refused.durationMs / 1000
            let sameCall = x.entry.request?.method == refused.request?.method && x.entry.request?.url == refused.request?.url
            guard x.t > answeredAt + (sameCall ? 0 : Self.inFlightGrace) else { return }
            firstViolation = (x.entry, "\(x.label): the bearer token was used again after the API answered 401 to it "
                                      + "(line \(refused.seq)); after a 401 the partner must get a new token from POST /v1/auth/token")
            return
        }
        if let token = presented, x.status == 401, grants[token].map({ x.t > $0.expiresAt }) ?? true {
            staleRefused[token] = x.entry
            return
        }
        firstViolation = (x.entry, "\(x.label): \(p)")
    }

    /// The bearer token a call presented, when it presented one.
    private func bearer(_ x: Exchange) -> String? {
        guard let auth = x.header("Authorization") else { return nil }
        let parts = auth.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
    }

    /// The outcome of a token expectation; skipped once a token was obtained when `bearerUnavailable` says why its use cannot be judged.
    func result(_ t: TokenExpectation, bearerUnavailable: String? = nil) -> (CheckResult, [Evidence]) {
        let label = "token with scope \(t.scope)"
        let good = grants.values.filter { $0.scopes.contains(t.scope) }.sorted { $0.issuedAt < $1.issuedAt }
        if good.isEmpty {
            if let (e, why) = refused.first {
                return (CheckResult(label: label, status: .failed, reason: "no client-credentials token with scope \(t.scope) was obtained: \(why)"),
                        [Evidence(role: .closestMiss, entry: e, note: why)])
            }
            if let g = grants.values.sorted(by: { $0.issuedAt < $1.issuedAt }).first {
                let why = "the token's scope '\(g.scopes.sorted().joined(separator: " "))' lacks '\(t.scope)'"
                return (CheckResult(label: label, status: .failed, reason: "no token with scope \(t.scope) was obtained: \(why)",
                                    expected: t.scope, seen: g.scopes.sorted().joined(separator: " ")),
                        [Evidence(role: .closestMiss, entry: g.entry, note: why)])
            }
            return (CheckResult(label: label, status: .failed, reason: "no POST /v1/auth/token call obtained a token (client_credentials, scope \(t.scope))"), [])
        }
        var ev = [Evidence(role: .token, entry: good[0].entry, note: "client-credentials token with scope \(t.scope)")]
        if let why = bearerUnavailable {
            return (CheckResult(label: label, status: .skipped, reason: "token obtained with scope \(t.scope), but its use as a bearer token is not judged: \(why)"), ev)
        }
        if let (e, why) = firstViolation {
            ev.append(Evidence(role: .violation, entry: e, note: why))
            return (CheckResult(label: label, status: .failed, reason: why), ev)
        }
        var reason = "token obtained with scope \(t.scope) and a valid bearer token on all \(checked) call(s)"
        if !staleRefused.isEmpty {
            let n = staleRefused.count
            reason += "; \(n) token\(n == 1 ? "" : "s") from before this log or expired \(n == 1 ? "was" : "were") answered 401 and replaced by a new one"
            for e in staleRefused.values.sorted(by: { $0.seq < $1.seq }).prefix(3) {
                ev.append(Evidence(role: .token, entry: e, note: "a token not valid in this log, answered 401: the partner fetched a new one"))
            }
        }
        return (CheckResult(label: label, status: .passed, reason: reason), ev)
    }
}

/// Parses `a=1&b=two+words` (empty when the text is not a form).
func parseForm(_ s: String) -> [String: String] {
    guard s.contains("="), !s.hasPrefix("{") else { return [:] }
    var out: [String: String] = [:]
    for pair in s.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard kv.count == 2 else { continue }
        func dec(_ x: Substring) -> String { String(x).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(x) }
        out[dec(kv[0])] = dec(kv[1])
    }
    return out
}
