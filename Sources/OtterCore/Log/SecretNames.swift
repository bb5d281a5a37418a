import Foundation

/// Which header, JSON key, form field or query parameter names hold secrets, whatever their spelling.
///
/// A name is compared normalised: lower-cased, with `_`, `-`, `.` and spaces dropped, so `client_secret`,
/// `clientSecret`, `Client-Secret` and `CLIENTSECRET` are one name. It is a secret when the normalised name is in
/// `exact`, or ends with one of `suffixes` (`webhookSecret`, `X-Partner-Password`, `stripeApiKey`). Pagination
/// tokens (`nextToken`, `pageToken`, `offsetToken` in Otter's API) are not secrets: a bare `token` suffix is not a rule
/// for keys, only for header names (`X-Auth-Token`, `X-Echo-Token`).
public enum SecretNames {
    /// Normalised names that are secrets.
    public static let exact: Set<String> = [
        "authorization", "proxyauthorization", "auth", "cookie", "setcookie",
        "password", "passwd", "pwd", "passphrase", "secret", "token", "credential",
        "apikey", "apisecret", "apitoken", "accesskey", "secretkey", "privatekey",
        "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearertoken", "sessiontoken", "oauthtoken",
        "clientsecret", "webhooksecret", "signingsecret", "sharedsecret",
    ]

    /// Normalised endings that make a name a secret.
    public static let suffixes: [String] = [
        "secret", "password", "passwd", "passphrase", "apikey", "privatekey", "secretkey", "authorization",
        "accesstoken", "refreshtoken", "authtoken", "bearertoken", "sessiontoken", "apitoken", "idtoken",
    ]

    /// A name lower-cased without `_`, `-`, `.` and spaces.
    public static func normalized<S: StringProtocol>(_ name: S) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        for u in name.unicodeScalars {
            switch u {
            case "_", "-", ".", " ": continue
            case "A"..."Z": out.unicodeScalars.append(Unicode.Scalar(u.value + 32)!)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Whether a JSON key, form field or query parameter of this name holds a secret.
    public static func isSecret<S: StringProtocol>(_ name: S) -> Bool {
        let n = normalized(name)
        guard !n.isEmpty else { return false }
        return exact.contains(n) || suffixes.contains { n.hasSuffix($0) }
    }

    /// Whether a header of this name carries a credential: a secret name, or one ending in `token` or `key` of an
    /// API (`X-Auth-Token`, `X-Api-Key`, `X-Otter-Client-Secret`).
    public static func isSecretHeader<S: StringProtocol>(_ name: S) -> Bool {
        let n = normalized(name)
        return isSecret(name) || n.hasSuffix("token")
    }

    /// Quick test before a body is parsed for its keys: whether its text holds any stem of a secret name
    /// (`secr`, `toke`, `pass`, `auth`, `apik`, `api_`, `api-`, `cook`, `cred`, `pwd`), in any case. One pass over the bytes.
    public static func mayHoldSecretName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var w: UInt32 = 0
        guard let p = bytes.baseAddress else { return false }
        for i in 0..<bytes.count {
            let b = p[i]
            let l = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
            w = (w << 8) | UInt32(l)
            if i >= 2, w & 0xFFFFFF == 0x707764 { return true }  // "pwd"
            guard i >= 3 else { continue }
            switch w {
            case 0x7365_6372, 0x746F_6B65, 0x7061_7373, 0x6175_7468, 0x6170_696B, 0x6170_695F, 0x6170_692D, 0x636F_6F6B, 0x6372_6564:
                return true
            default: continue
            }
        }
        return false
    }
}
