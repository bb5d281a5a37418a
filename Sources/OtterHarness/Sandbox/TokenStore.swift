import Foundation
import OtterCrypto

/// The access tokens the sandbox issued, keyed by their SHA-256 (the clear token is never kept).
/// Not thread-safe: `OtterSandbox` mutates it under its lock.
struct TokenStore {
    /// What a presented bearer token turned out to be.
    enum Lookup: Equatable { case unknown, expired, valid(Set<String>) }

    private struct Grant { let scopes: Set<String>; let expiresAt: Double }
    private var grants: [[UInt8]: Grant] = [:]

    /// Issues a fresh random token valid for `ttl` seconds from `now` (monotonic seconds).
    mutating func issue(scopes: Set<String>, ttl: Int, now: Double) -> String {
        if grants.count > 10_000 { grants = grants.filter { $0.value.expiresAt > now } }
        let token = TokenStore.randomToken()
        grants[Digest.sha256(Array(token.utf8))] = Grant(scopes: scopes, expiresAt: now + Double(ttl))
        return token
    }

    /// Looks a presented token up.
    func lookup(_ token: String, now: Double) -> Lookup {
        guard let g = grants[Digest.sha256(Array(token.utf8))] else { return .unknown }
        return g.expiresAt > now ? .valid(g.scopes) : .expired
    }

    /// 32 random bytes from the system CSPRNG, base64url without padding (43 characters).
    static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in constant time (their SHA-256 digests, so not even the length leaks).
    static func secretsEqual(_ a: String, _ b: String) -> Bool {
        Digest.constantTimeEquals(Digest.sha256(Array(a.utf8)), Digest.sha256(Array(b.utf8)))
    }
}
