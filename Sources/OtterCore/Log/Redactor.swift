import Foundation
import OtterCrypto

/// Replaces secrets with markers: unreadable, yet comparable within one log ("the same token").
///
/// Two ways, both applied to every string an entry holds (URL, header names and values, body, error and action
/// messages, the run's facts):
/// - **by value**: every secret the redactor was told (`learn`) is found wherever it is, in any header, query,
///   body or key, as is and in its common encodings (JSON-escaped, percent-encoded, base64 standard and URL-safe
///   with and without padding, hex; see `SecretForms`). A configured secret is replaced by its label
///   (`<redacted:webhook-secret>`); a token by its salted hash (`<redacted:3f2a9c1b7d4e>`), in every encoding the
///   same marker, so a token echoed in a body is recognisably the token of an `Authorization` header.
/// - **by name**: the values of credential headers (`Authorization`, `X-Api-Key`, `X-Auth-Token` …, the auth scheme
///   kept readable: `Bearer <redacted:…>`), of secret-named JSON keys (strings, numbers, booleans), form fields
///   and query parameters (`SecretNames`: `client_secret`, `webhookSecret`, `token`, `authorization` …), and a URL's
///   `user:password@`, whether or not the value is known: an unknown value gets its salted hash.
///
/// The salt is per log, written in its `run` line, so equal secrets compare equal inside a log and nothing can be
/// compared across logs.
///
/// Short secrets: a value of 8 bytes or more (each of its encodings likewise) is replaced wherever it appears; one of
/// 4 to 7 bytes only as a whole word (not inside a longer run of letters and digits), so that it does not eat
/// random text; one under 4 bytes is masked by name only.
public struct Redactor: Sendable {
    /// The salt mixed into every hash.
    public let salt: String
    private var long = SecretScanner(anchor: 8)
    private var short = SecretScanner(anchor: 4)
    /// Values never masked by value: the ids checks compare (store id, application id).
    private var spared: Set<String> = []

    /// Needles at least this long match anywhere; shorter ones (down to `wholeWordLength`) only as whole words.
    public static let anywhereLength = 8
    /// Needles shorter than this are never matched by value.
    public static let wholeWordLength = 4

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

    /// The marker of a labelled secret: `<redacted:webhook-secret>`.
    public static func labelMarker(_ label: String) -> String { "<redacted:" + label + ">" }

    // MARK: - Known values

    /// Teaches the redactor a secret value, to be replaced wherever it appears, in each of its encodings: by
    /// `<redacted:LABEL>` when a label is given (a configured secret), else by its salted hash (a token).
    /// Values under 4 bytes, and values `spare`d, are not learnt.
    public mutating func learn(_ value: String, label: String? = nil) {
        guard value.utf8.count >= Redactor.wholeWordLength, !spared.contains(value), !Redactor.isMasked(value) else { return }
        let marker = label.map(Redactor.labelMarker) ?? mask(value)
        let forms = SecretForms.all(value)
        long.add(forms.filter { $0.count >= Redactor.anywhereLength }, marker: marker)
        short.add(forms.filter { $0.count < Redactor.anywhereLength && $0.count >= Redactor.wholeWordLength }, marker: marker, wholeWord: true)
    }

    /// Teaches the redactor a credential pair, as HTTP Basic sends it: `user:secret` and its encodings (the secret
    /// alone is learnt separately).
    public mutating func learnPair(user: String, secret: String, label: String) {
        guard !user.isEmpty, !secret.isEmpty else { return }
        learn(user + ":" + secret, label: label)
    }

    /// Values that are never masked by value, even when a secret equals them: the store and application ids the
    /// checks compare. (A secret equal to one of them would make the log unreadable for the evaluator.)
    public mutating func spare(_ values: [String]) { spared.formUnion(values.filter { !$0.isEmpty }) }

    /// Whether any value is known.
    public var knowsValues: Bool { !long.isEmpty || !short.isEmpty }

    /// How many encoded forms are indexed (for diagnostics and tests).
    public var knownForms: Int { long.count + short.count }

    /// `text` with every known value replaced. In a JSON text (`json`), a value found outside a string (a number)
    /// is replaced with its whole number by the marker in quotes, so the text stays JSON.
    public func values(_ text: String, json: Bool = false) -> String {
        guard knowsValues, !text.isEmpty else { return text }
        var copy = text
        return copy.withUTF8 { buf -> String in
            var found = long.matches(in: buf)
            if !short.isEmpty {
                found = Redactor.merge(found, short.matches(in: buf))
            }
            guard !found.isEmpty else { return text }
            return Redactor.replace(found, in: buf, json: json)
        }
    }

    /// Matches of two scanners merged: in order, not overlapping, the earlier (then the longer) kept.
    private static func merge(_ a: [SecretScanner.Match], _ b: [SecretScanner.Match]) -> [SecretScanner.Match] {
        guard !a.isEmpty else { return b }
        guard !b.isEmpty else { return a }
        let all = (a + b).sorted { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
        var out: [SecretScanner.Match] = []
        for m in all where out.last.map({ m.start >= $0.end }) ?? true { out.append(m) }
        return out
    }

    private static func isNumberByte(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45 }

    private static func replace(_ found: [SecretScanner.Match], in buf: UnsafeBufferPointer<UInt8>, json: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(buf.count)
        var copied = 0
        // JSON: whether each match starts inside a string, by one pass of a string/escape state machine.
        var inString = false, escaped = false, scanned = 0
        for m in found {
            var start = m.start, end = m.end
            var quote = false
            if json {
                while scanned < m.start {
                    let c = buf[scanned]
                    if escaped { escaped = false } else if inString && c == 0x5C { escaped = true } else if c == 0x22 { inString.toggle() }
                    scanned += 1
                }
                if !inString {
                    // A number (or another bare token) holding a secret: the whole token becomes a string.
                    while start > copied, isNumberByte(buf[start - 1]) { start -= 1 }
                    while end < buf.count, isNumberByte(buf[end]) { end += 1 }
                    quote = true
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<start]))
            if quote { out.append(0x22) }
            out.append(contentsOf: m.marker.utf8)
            if quote { out.append(0x22) }
            copied = end
            if json && end > scanned {
                // Skip the replaced bytes in the string state machine (a secret holds no unescaped quote in JSON).
                scanned = end
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied...]))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - By name

    /// Auth schemes kept readable in front of a masked credential.
    static let schemes: Set<String> = ["bearer", "basic", "token", "digest", "mac", "hmac", "negotiate", "otp"]

    /// Headers whose whole value (after the scheme) is a secret (see also `SecretNames.isSecretHeader`).
    public static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie",
                                                    "x-auth-token", "x-access-token", "x-otter-client-secret", "x-webhook-secret"]

    /// Whether a header's value is a credential.
    public static func isSecretHeader(_ name: String) -> Bool {
        secretHeaders.contains(name.lowercased()) || SecretNames.isSecretHeader(name)
    }

    /// A credential's value masked, the auth scheme kept readable (`Bearer <redacted:…>`); empty stays empty.
    public func headerValue(_ value: String) -> String {
        guard !value.isEmpty else { return value }
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, Redactor.schemes.contains(parts[0].lowercased()) {
            return parts[0] + " " + mask(String(parts[1]))
        }
        return mask(value)
    }

    /// Redacts headers: known values in names and values, then the whole value of credential headers.
    public func headers(_ hs: [(name: String, value: String)]) -> [(name: String, value: String)] {
        hs.map { h in
            let name = values(h.name), value = values(h.value)
            guard Redactor.isSecretHeader(name) else { return (name, value) }
            return (name, headerValue(value))
        }
    }

    /// Keys whose values are secrets wherever they appear in a form or JSON body (see `SecretNames` for every
    /// spelling that counts).
    public static let secretKeys: Set<String> = ["client_secret", "access_token", "refresh_token", "id_token", "password", "secret",
                                                 "webhook_secret", "token", "authorization", "api_key"]

    /// Redacts a body: known values anywhere, then the values of secret-named fields of a form (`client_secret=…`),
    /// a JSON body (`"access_token": …`, any scalar) or any other text.
    public func body(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        let json = Redactor.looksJSON(text)
        // Names are looked for in the text as given: the markers that replace values hold no secret names (though
        // their labels, `webhook-secret`, look like ones).
        let mayHold = text.utf8.withContiguousStorageIfAvailable(SecretNames.mayHoldSecretName) ?? true
        let text = values(text, json: json)
        guard mayHold else { return text }
        if json {
            guard let v = try? JSONValue.parse(text) else { return maskText(text) }
            let (r, changed) = redactJSON(v)
            return changed ? r.serialized() : text
        }
        return maskText(text)
    }

    static func looksJSON(_ text: String) -> Bool {
        let trimmed = text.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        return trimmed.first == UInt8(ascii: "{") || trimmed.first == UInt8(ascii: "[")
    }

    /// `key=value` and `"key": value` of secret names masked with salted hashes; a form value is hashed decoded,
    /// so it compares equal to the same secret sent in JSON.
    private func maskText(_ text: String) -> String {
        SecretText.maskNamed(text) { v, context in
            context == .form ? mask(SecretText.formDecoded(v)) : mask(Redactor.unescaped(v))
        }
    }

    /// The text of a JSON string's inside (`a\"b` is `a"b`); as is when it is not one.
    static func unescaped(_ inside: Substring) -> String {
        guard inside.contains("\\") else { return String(inside) }
        return (try? JSONValue.parse("\"" + inside + "\""))?.stringValue ?? String(inside)
    }

    private func redactJSON(_ v: JSONValue) -> (JSONValue, Bool) {
        switch v {
        case .object(let o):
            var out = JSONObject()
            var changed = false
            for (k, x) in o {
                if SecretNames.isSecret(k) {
                    switch x {
                    case .string(let s):
                        let m = headerValue(s); out[k] = .string(m); changed = changed || m != s
                    case .number, .bool:
                        out[k] = .string(mask(x.serialized())); changed = true
                    default:
                        let (r, c) = redactJSON(x); out[k] = r; changed = changed || c
                    }
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

    /// A URL with known values, its `user:password@` and its secret-named query parameters masked.
    public func url(_ s: String) -> String {
        guard !s.isEmpty else { return s }
        return SecretText.maskURL(values(s)) { v, _ in mask(SecretText.formDecoded(v)) }
    }

    /// Free text (a terminal line, a hook's message, a transport error) with known values and secret-named
    /// `key=value` / `"key": value` masked.
    public func text(_ s: String) -> String {
        guard !s.isEmpty else { return s }
        return maskText(values(s))
    }

    /// The tag a webhook entry gets when redaction changed its body: its signature can no longer be checked.
    public static let bodyRedactedTag = "body-redacted"

    /// A copy of the entry with every secret in its requests, responses, messages and run facts redacted. A webhook
    /// whose body had to change is tagged `body-redacted`.
    public func entry(_ e: LogEntry) -> LogEntry {
        var e = e
        for keyPath in [\LogEntry.request, \LogEntry.response] {
            if var m = e[keyPath: keyPath] {
                m.url = url(m.url)
                m.headers = headers(m.headers)
                let before = m.body
                m.body = body(m.body)
                if keyPath == \LogEntry.request, e.kind == .webhook, m.body != before, !e.tags.contains(Redactor.bodyRedactedTag) {
                    e.tags.append(Redactor.bodyRedactedTag)
                }
                e[keyPath: keyPath] = m
            }
        }
        if var f = e.error { f.message = text(f.message); e.error = f }
        if var a = e.action { a.message = a.message.map(text); e.action = a }
        if var r = e.run {
            r.partnerURL = r.partnerURL.map(url)
            r.extra = redactStrings(.object(r.extra)).objectValue ?? r.extra
            e.run = r
        }
        return e
    }

    /// Every string of a JSON value (keys too) through `text`.
    private func redactStrings(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(text(s))
        case .array(let a): return .array(a.map(redactStrings))
        case .object(let o):
            var out = JSONObject()
            for (k, x) in o { out[k] = redactStrings(x) }
            return .object(out)
        default: return v
        }
    }
}

/// A redactor shared by the threads of a run (the event log, the sandbox that issues tokens, the terminal): it
/// learns the tokens issued while the run goes on, and every caller sees them at once.
public final class LiveRedactor: @unchecked Sendable {
    private let lock = NSLock()
    private var redactor: Redactor

    /// Shares a redactor.
    public init(_ redactor: Redactor) { self.redactor = redactor }

    /// The salt of its hashes.
    public var salt: String { lock.withLock { redactor.salt } }

    /// Learns a value (see `Redactor.learn`); every later redaction replaces it.
    public func learn(_ value: String, label: String? = nil) { lock.withLock { redactor.learn(value, label: label) } }

    /// A redacted copy of an entry (see `Redactor.entry`).
    public func entry(_ e: LogEntry) -> LogEntry { lock.withLock { redactor.entry(e) } }

    /// Redacted free text (see `Redactor.text`).
    public func text(_ s: String) -> String { lock.withLock { redactor.text(s) } }

    /// A redacted URL (see `Redactor.url`).
    public func url(_ s: String) -> String { lock.withLock { redactor.url(s) } }

    /// The redactor as it is now.
    public var current: Redactor { lock.withLock { redactor } }
}
