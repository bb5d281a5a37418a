import Foundation

/// Fills a webhook fixture's `{{name}}` placeholders with a record's values.
///
/// Values are inserted as JSON string content (escaped), so a fixture stays valid JSON whatever they hold.
/// `{{now}}` and `{{now+15m}}` / `{{now+30s}}` / `{{now+2h}}` are times relative to `now`.
public enum FixtureTemplate {
    /// The filled text; unknown placeholders are reported in `missing`.
    public static func fill(_ text: String, vars: [String: String], now: Double) -> (text: String, missing: [String]) {
        var out = ""
        var missing: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { out += rest[open.lowerBound...]; rest = ""; break }
            let name = String(rest[open.upperBound..<close.lowerBound])
            if let v = value(name, vars: vars, now: now) {
                out += escape(v)
            } else {
                missing.append(name)
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return (out, missing)
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
        func walk(_ v: JSONValue, _ keys: [String]) {
            switch v {
            case .string(let s) where s.hasPrefix("{{") && s.hasSuffix("}}") && s.count > 4:
                let name = String(s.dropFirst(2).dropLast(2))
                if !name.contains("{") && !name.contains("}") { out.append((name, keys)) }
            case .object(let o): for (k, x) in o { walk(x, keys + [k]) }
            default: break
            }
        }
        walk(doc, [])
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
