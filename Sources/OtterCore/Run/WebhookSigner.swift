import Foundation
import OtterCrypto

/// How the harness authenticates the webhooks it sends, as Otter does.
public enum WebhookAuth: Sendable, Equatable {
    /// `X-HMAC-SHA256`: HMAC-SHA256 of the exact body bytes with the webhook secret (Otter's default).
    case hmac(encoding: SignatureEncoding)
    /// `Authorization: Basic base64(user:password)`, the password being the webhook secret.
    case basic(user: String)
    /// `Authorization: Bearer <webhook secret>`.
    case bearer
    /// The legacy HMAC-SHA1 the spec names beside HMAC-SHA256: `Authorization: MAC <base64 HMAC-SHA1 of the body>`,
    /// the form of the spec's own notification example (`--header 'Authorization: MAC <hash signature>'`).
    case hmacSHA1

    /// How the HMAC is written.
    public enum SignatureEncoding: String, Sendable { case base64, hex }
}

/// Signs webhook bodies.
public struct WebhookSigner: Sendable {
    /// The mode.
    public var auth: WebhookAuth
    private let secret: [UInt8]

    /// Creates a signer with the webhook secret.
    public init(auth: WebhookAuth, secret: String) { self.auth = auth; self.secret = Array(secret.utf8) }

    /// The HMAC-SHA256 signature of a body in the configured encoding.
    public func signature(of body: [UInt8], secret override: [UInt8]? = nil) -> String {
        let mac = Digest.hmacSHA256(key: override ?? secret, message: body)
        if case .hmac(.hex) = auth { return Digest.hex(mac) }
        return Digest.base64(mac)
    }

    /// The headers that authenticate `body`. `valid: false` produces credentials that must be rejected.
    public func headers(for body: [UInt8], valid: Bool = true) -> [(name: String, value: String)] {
        let wrong = Array("not-the-webhook-secret".utf8) + secret.prefix(0)
        let key = valid ? secret : wrong
        switch auth {
        case .hmac:
            // Otter always sends the HMAC header; it is the only authentication in this mode.
            return [("X-HMAC-SHA256", signature(of: body, secret: key))]
        case .basic(let user):
            let cred = Array((user + ":").utf8) + key
            return [("Authorization", "Basic " + Digest.base64(cred)), ("X-HMAC-SHA256", signature(of: body, secret: key))]
        case .bearer:
            return [("Authorization", "Bearer " + String(decoding: key, as: UTF8.self)), ("X-HMAC-SHA256", signature(of: body, secret: key))]
        case .hmacSHA1:
            return [("Authorization", "MAC " + Digest.base64(Digest.hmacSHA1(key: key, message: body))), ("X-HMAC-SHA256", signature(of: body, secret: key))]
        }
    }
}
