import Foundation
import OtterCrypto

/// Replaces secrets with a salted hash prefix: unreadable, yet comparable within one log ("the same token").
///
/// `Bearer eyJ…` becomes `Bearer <redacted:3f2a9c1b7d4e>`. The salt is per log, written in its `run` line,
/// so equal secrets compare equal inside a log and nothing can be compared across logs.
public struct Redactor: Sendable {
    /// The salt mixed into every hash.
    public let salt: String

    /// Creates a redactor with a salt.
    public init(salt: String) { self.salt = salt }

    /// The marker that stands for a secret value.
    public func mask(_ secret: String) -> String {
        if Redactor.isMasked(secret) { return secret }
        let digest = Digest.sha256(Array((salt + ":" + secret).utf8))
        return "<redacted:" + String(Digest.hex(digest).prefix(12)) + ">"
    }

    /// Whether a value already is a redaction marker.
    public static func isMasked(_ value: String) -> Bool { value.hasPrefix("<redacted:") && value.hasSuffix(">") }

    /// Headers whose whole value (after the scheme) is a secret.
    public static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"]

    /// Redacts credential headers, keeping the auth scheme readable (`Bearer <redacted:…>`).
    public func headers(_ hs: [(name: String, value: String)]) -> [(name: String, value: String)] {
        hs.map { h in
            guard Redactor.secretHeaders.contains(h.name.lowercased()) else { return h }
            let parts = h.value.split(separator: " ", maxSplits: 1)
            if parts.count == 2, ["bearer", "basic", "token"].contains(parts[0].lowercased()) {
                return (h.name, parts[0] + " " + mask(String(parts[1])))
            }
            return (h.name, mask(h.value))
        }
    }

    /// Keys whose values are secrets wherever they appear in a form or JSON body.
    public static let secretKeys: Set<String> = ["client_secret", "access_token", "refresh_token", "id_token", "password", "secret", "webhook_secret"]

    /// Redacts secret fields of a body: form-encoded (`client_secret=…`) or JSON (`"access_token": …`).
    public func body(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        if trimmed.first == "{" || trimmed.first == "[" {
            guard let v = try? JSONValue.parse(text) else { return text }
            let (r, changed) = redactJSON(v)
            return changed ? r.serialized() : text
        }
        guard text.contains("=") else { return text }
        var changed = false
        let parts = text.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let key = String(pair[..<eq]).removingPercentEncoding ?? String(pair[..<eq])
            guard Redactor.secretKeys.contains(key.lowercased()) else { return String(pair) }
            changed = true
            let raw = String(pair[pair.index(after: eq)...])
            let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
            return String(pair[..<eq]) + "=" + mask(value)
        }
        return changed ? parts.joined(separator: "&") : text
    }

    private func redactJSON(_ v: JSONValue) -> (JSONValue, Bool) {
        switch v {
        case .object(let o):
            var out = JSONObject()
            var changed = false
            for (k, x) in o {
                if Redactor.secretKeys.contains(k.lowercased()), case .string(let s) = x {
                    let m = mask(s); out[k] = .string(m); changed = changed || m != s
                } else {
                    let (r, c) = redactJSON(x); out[k] = r; changed = changed || c
                }
            }
            return (.object(out), changed)
        case .array(let a):
            var changed = false
            let r = a.map { x -> JSONValue in let (y, c) = redactJSON(x); changed = changed || c; return y }
            return (.array(r), changed)
        default: return (v, false)
        }
    }

    /// A copy of the entry with every secret in its requests and responses redacted.
    public func entry(_ e: LogEntry) -> LogEntry {
        var e = e
        for keyPath in [\LogEntry.request, \LogEntry.response] {
            if var m = e[keyPath: keyPath] {
                m.headers = headers(m.headers)
                m.body = body(m.body)
                e[keyPath: keyPath] = m
            }
        }
        return e
    }
}
