import Foundation
import OtterClient
import OtterCore

/// OAuth 2 client-credentials tokens for the Public API, fetched once and cached.
///
/// `POST /v1/auth/token` (form-encoded) with every scope the integration needs. The token is
/// reused until 60 s before `expires_in` runs out, so a call never goes out with a token that
/// expires in flight. Fetching happens under a lock: concurrent callbacks wait for one fetch
/// instead of each asking for a token.
final class AccessTokenProvider: @unchecked Sendable {
    private let client: HTTPClient
    private let tokenURL: String
    private let form: [UInt8]
    private let lock = NSLock()
    private var cached: (token: String, refreshAt: Date)?

    /// How long before expiry the token is considered stale.
    private static let safetyMargin: TimeInterval = 60

    init(client: HTTPClient, otterURL: String, clientId: String, clientSecret: String, scopes: [String]) {
        self.client = client
        self.tokenURL = otterURL + "/v1/auth/token"
        let fields = [("grant_type", "client_credentials"), ("client_id", clientId),
                      ("client_secret", clientSecret), ("scope", scopes.joined(separator: " "))]
        self.form = Array(fields.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&").utf8)
    }

    enum Failure: Error, CustomStringConvertible {
        case http(Int)
        case transport(String)
        case badAnswer

        var description: String {
            switch self {
            case .http(let status): return "token endpoint answered HTTP \(status)"
            case .transport(let message): return "token endpoint unreachable: \(message)"
            case .badAnswer: return "token endpoint answered without access_token"
            }
        }
    }

    /// A valid token, from the cache or freshly fetched.
    func token() throws(Failure) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let cached, Date() < cached.refreshAt { return cached.token }
        cached = nil
        let fresh = try fetch()
        cached = fresh
        return fresh.token
    }

    /// Forgets `token` after the API answered 401 with it (revoked or expired early).
    /// A token fetched meanwhile by another thread is kept.
    func invalidate(_ token: String) {
        lock.lock()
        defer { lock.unlock() }
        if cached?.token == token { cached = nil }
    }

    private func fetch() throws(Failure) -> (token: String, refreshAt: Date) {
        // The token endpoint is part of the same API: transient failures are retried briefly.
        var lastError = Failure.badAnswer
        for attempt in 1...3 {
            let request = ClientRequest(method: "POST", url: tokenURL,
                                        headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                  ("Accept", "application/json")],
                                        body: form, timeout: 10)
            switch client.send(request) {
            case .failure(let error):
                lastError = .transport(error.description)
            case .success(let response) where response.status >= 500 || response.status == 429:
                lastError = .http(response.status)
            case .success(let response) where response.status != 200:
                throw .http(response.status)  // 4xx: wrong credentials or scope; retrying will not help
            case .success(let response):
                guard let json = try? JSONValue.parse(response.body),
                      let token = json["access_token"]?.stringValue, !token.isEmpty else { throw .badAnswer }
                let lifetime = json["expires_in"]?.doubleValue ?? 3600
                Log.info("got an access token (expires in \(Int(lifetime)) s)")
                return (token, Date().addingTimeInterval(lifetime - Self.safetyMargin))
            }
            if attempt < 3 { Thread.sleep(forTimeInterval: 0.2 * Double(attempt)) }
        }
        throw lastError
    }

    /// application/x-www-form-urlencoded: unreserved characters as-is, space as '+', the rest %XX.
    static func formEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
