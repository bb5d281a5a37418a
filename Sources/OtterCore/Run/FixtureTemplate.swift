import Foundation

/// Fills a webhook fixture's `{{name}}` placeholders with a record's values.
///
/// Values are inserted as JSON string content (escaped), so a fixture stays valid JSON whatever they hold.
/// `{{now}}` and `{{now+15m}}` / `{{now+30s}}` / `{{now+2h}}` are times relative to `now`.
public enum FixtureTemplate {
    /// The filled text; unknown placeholders are reported in `missing`.
    public static func fill(_ text: String, vars: [String: String], now: Double) -> (text: String, missing: [String]) {
        // Searched as UTF-8 bytes: the braces are ASCII, so a cut beside them never splits a character.
        let b = Array(text.utf8)
        func find(_ c: UInt8, from start: Int) -> Int? {
            var i = start
            while i + 1 < b.count {
                if b[i] == c && b[i + 1] == c { return i }
                i += 1
            }
            return nil
        }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var missing: [String] = []
        var copied = 0
        while let open = find(UInt8(ascii: "{"), from: copied), let close = find(UInt8(ascii: "}"), from: open + 2) {
            out += b[copied..<open]
            let name = String(decoding: b[(open + 2)..<close], as: UTF8.self)
            if let v = value(name, vars: vars, now: now) {
                out += escape(v).utf8
            } else {
                missing.append(name)
                out += b[open..<(close + 2)]
            }
            copied = close + 2
        }
        guard copied > 0 else { return (text, missing) }
        out += b[copied...]
        return (String(decoding: out, as: UTF8.self), missing)
    }

    /// The names of the variable placeholders in a template (not the times, `{{now}}` …), in order of first
    /// appearance: what `fill` would need from a record.
    public static func placeholders(in text: String) -> [String] {
        var out: [String] = []
        for name in fill(text, vars: [:], now: 0).missing where !out.contains(name) { out.append(name) }
        return out
    }

    /// The placeholders that fill a whole string value (`"{{orderId}}"`), with the object keys leading to each.
    public static func wholeValuePlaceholders(in doc: JSONValue) -> [(name: String, keys: [String])] {
        var out: [(name: String, keys: [String])] = []
        var keys: [String] = []  // the keys leading to the value walked, one stack for the whole walk
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s) where s.hasPrefix("{{") && s.hasSuffix("}}") && s.count > 4:
                let name = String(s.dropFirst(2).dropLast(2))
                if !name.contains("{") && !name.contains("}") { out.append((name, keys)) }
            case .object(let o):
                for (k, x) in o {
                    keys.append(k)
                    walk(x)
                    keys.removeLast()
                }
            default: break
            }
        }
        walk(doc)
        return out
    }

    static func value(_ name: String, vars: [String: String], now: Double) -> String? {
        if let v = vars[name] { return v }
        if name == "now" || name == "eventTime" { return Timestamp.format(now) }
        if name.hasPrefix("now+"), let unit = name.last, let n = Double(name.dropFirst(4).dropLast()) {
            let mult: Double = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0
            if mult > 0 { return Timestamp.format(now + n * mult) }
        }
        return nil
    }

    /// The value as JSON string content: the serializer's own escaping, without the quotes.
    static func escape(_ s: String) -> String {
        String(JSONValue.string(s).serialized().dropFirst().dropLast())
    }
}
