import Foundation
import OtterCore
import OtterHTTP

/// A `POST /v1/auth/token` request, decoded as the spec's `requestToken` takes it: an
/// `application/x-www-form-urlencoded` body (`OAuthTokenGenerationRequest`: `grant_type` and `scope` required), with
/// the client credentials in the body or in an HTTP Basic header.
struct TokenRequest {
    /// Why the request cannot be read: an OAuth error code, its message and status.
    struct Failure: Error { let status: Int; let code: String; let message: String }

    var grantType: String
    var clientId: String
    var clientSecret: String
    /// Requested scopes (empty when the request names none, which the spec does not allow).
    var scopes: [String]
    /// Whether the credentials came in an `Authorization: Basic` header.
    var usedBasic: Bool

    /// Decodes the request, or says which OAuth error it deserves.
    init(_ request: HTTPRequest) throws(Failure) {
        let text = String(decoding: request.body, as: UTF8.self)
        let contentType = request.headers["Content-Type"]?.lowercased() ?? ""
        var fields: [String: String] = [:]
        let looksJSON = contentType.contains("json") || text.drop { $0.isWhitespace }.first == "{"
        if looksJSON {
            throw Failure(status: 400, code: "invalid_request",
                          message: "the token request must be a form (Content-Type: application/x-www-form-urlencoded, as the spec's requestToken says), not JSON")
        } else {
            for pair in text.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = TokenRequest.formDecode(kv[0])
                let value = kv.count > 1 ? TokenRequest.formDecode(kv[1]) : ""
                if fields[key] != nil {
                    throw Failure(status: 400, code: "invalid_request", message: "parameter '\(key)' is repeated")
                }
                fields[key] = value
            }
        }
        guard let grant = fields["grant_type"], !grant.isEmpty else {
            throw Failure(status: 400, code: "invalid_request", message: "missing grant_type (expected client_credentials)")
        }
        guard grant == "client_credentials" else {
            throw Failure(status: 400, code: "unsupported_grant_type", message: "grant_type '\(grant)' is not supported; use client_credentials")
        }
        grantType = grant
        var basic: (String, String)?
        if let auth = request.headers["Authorization"] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "basic" {
                guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                      let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":") else {
                    throw Failure(status: 401, code: "invalid_client", message: "the Basic credentials are not base64 of client_id:client_secret")
                }
                basic = (TokenRequest.formDecode(decoded[..<colon]), TokenRequest.formDecode(decoded[decoded.index(after: colon)...]))
            }
        }
        let bodyCreds = fields["client_id"] != nil || fields["client_secret"] != nil
        if let basic {
            if bodyCreds {
                throw Failure(status: 400, code: "invalid_request",
                              message: "client credentials sent both with HTTP Basic and in the body; use one method (RFC 6749 2.3)")
            }
            (clientId, clientSecret) = basic
            usedBasic = true
        } else {
            guard let id = fields["client_id"], let secret = fields["client_secret"] else {
                throw Failure(status: 401, code: "invalid_client",
                              message: "no client credentials: send client_id and client_secret in the body or with HTTP Basic")
            }
            (clientId, clientSecret) = (id, secret)
            usedBasic = false
        }
        scopes = (fields["scope"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, then percent-decoding.
    static func formDecode<S: StringProtocol>(_ s: S) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
