import Foundation

/// Masks secrets by the name they are given in text: `key=value` (a form, a query, a command line) and
/// `"key": value` (JSON, a string, number or boolean), and the credentials in a URL. Used by the event log's
/// `Redactor` (with its salted-hash markers) and by the reports' `ReportMask` (with a plain marker), so both
/// recognise the same names (`SecretNames`).
public enum SecretText {
    /// Where a masked value was found.
    public enum Context: Sendable { case form, json }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// Whether a value already is a redaction marker (`<redacted…>`, or its percent-encoded form).
    public static func isMasked<S: StringProtocol>(_ v: S) -> Bool {
        (v.hasPrefix("<redacted") && v.hasSuffix(">")) || v.lowercased().hasPrefix("%3credacted")
    }

    /// `text` with the value of every secret-named `key=value` and `"key": value` replaced by `marker(value, context)`.
    /// A JSON number or boolean becomes a JSON string (the marker in quotes), so JSON stays JSON. One pass.
    public static func maskNamed(_ text: String, marker: (Substring, Context) -> String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBufferPointer(SecretNames.mayHoldSecretName) else { return text }
        var out: [UInt8] = []
        var copied = 0
        var i = 0
        let n = bytes.count
        func replace(_ from: Int, _ to: Int, with s: String) {
            out.append(contentsOf: bytes[copied..<from]); out.append(contentsOf: s.utf8); copied = to
        }
        while i < n {
            guard isNameByte(bytes[i]) else { i += 1; continue }
            let a = i
            while i < n, isNameByte(bytes[i]) { i += 1 }
            let b = i
            guard b < n else { break }
            let before: UInt8? = a == 0 ? nil : bytes[a - 1]
            if bytes[b] == UInt8(ascii: "="), before == nil || "&?; \n\t\r,\"'".utf8.contains(before!) {
                let vStart = b + 1
                var vEnd = vStart
                while vEnd < n, !"&; \n\t\r\"'".utf8.contains(bytes[vEnd]) { vEnd += 1 }
                let name = String(decoding: bytes[a..<b], as: UTF8.self)
                if vEnd > vStart, SecretNames.isSecret(name) {
                    let v = Substring(String(decoding: bytes[vStart..<vEnd], as: UTF8.self))
                    if !isMasked(v) { replace(vStart, vEnd, with: marker(v, .form)) }
                }
                i = max(vEnd, b + 1)
                continue
            }
            guard before == UInt8(ascii: "\""), bytes[b] == UInt8(ascii: "\"") else { continue }
            var j = b + 1
            while j < n, isSpace(bytes[j]) { j += 1 }
            guard j < n, bytes[j] == UInt8(ascii: ":") else { continue }
            j += 1
            while j < n, isSpace(bytes[j]) { j += 1 }
            guard j < n else { break }
            let name = String(decoding: bytes[a..<b], as: UTF8.self)
            if bytes[j] == UInt8(ascii: "\"") {
                let vStart = j + 1
                var k = vStart
                var escaped = false
                while k < n {
                    if escaped { escaped = false } else if bytes[k] == 0x5C { escaped = true } else if bytes[k] == 0x22 { break }
                    k += 1
                }
                if k > vStart, SecretNames.isSecret(name) {
                    let v = Substring(String(decoding: bytes[vStart..<k], as: UTF8.self))
                    if !isMasked(v) { replace(vStart, k, with: marker(v, .json)) }
                    i = min(n, k + 1)
                } else {
                    i = vStart  // a string value may itself hold `key=value` text (a form body, a command)
                }
            } else {
                var k = j
                while k < n, "-+.eE0123456789truefals".utf8.contains(bytes[k]) { k += 1 }
                if k > j, SecretNames.isSecret(name) {
                    let v = Substring(String(decoding: bytes[j..<k], as: UTF8.self))
                    replace(j, k, with: "\"" + marker(v, .json) + "\"")
                }
                i = max(k, j)
            }
        }
        guard copied > 0 else { return text }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    /// A URL with its user information (`user:password@`) and the values of its secret-named query and fragment
    /// parameters (`?token=`, `&access_token=`, `#client_secret=`) replaced by `marker`. Text that is no URL is
    /// masked as `maskNamed` does.
    public static func maskURL(_ url: String, marker: (Substring, Context) -> String) -> String {
        var s = url
        if let info = userInfo(s), !isMasked(s[info]) {
            s.replaceSubrange(info, with: marker(s[info], .form))
        }
        guard let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return s }
        var out = String(s[..<q])
        var rest = s[q...]
        while let sep = rest.first {
            out.append(sep)
            rest = rest.dropFirst()
            let end = rest.firstIndex(where: { $0 == "&" || $0 == "#" || $0 == ";" }) ?? rest.endIndex
            let pair = rest[..<end]
            if let eq = pair.firstIndex(of: "="), SecretNames.isSecret(pair[..<eq].removingPercentEncoding ?? String(pair[..<eq])) {
                let v = pair[pair.index(after: eq)...]
                out += pair[...eq]
                out += v.isEmpty || isMasked(v) ? String(v) : marker(v, .form)
            } else {
                out += pair
            }
            rest = rest[end...]
        }
        return out
    }

    /// Where a URL's user information (`user:password` before `@`) is: after `scheme://`, or from the start of a URL
    /// written without a scheme (`user:pw@host/path`).
    public static func userInfo(_ url: String) -> Range<String.Index>? {
        let authority = url.range(of: "://")?.upperBound ?? url.startIndex
        let rest = url[authority...]
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<hostEnd].lastIndex(of: "@") else { return nil }
        return authority..<at
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, then percent-decoding (the text as is when invalid).
    public static func formDecoded<S: StringProtocol>(_ s: S) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
