import Foundation  // links libm (rounding) on Linux

/// Deterministic JSON text output: compact or 2-space pretty, optionally with keys sorted by UTF-8 bytes.
struct JSONSerializer {
    private var out: [UInt8] = []
    private let pretty: Bool
    private let sortedKeys: Bool

    init(pretty: Bool, sortedKeys: Bool) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        out.reserveCapacity(256)
    }

    /// Serializes `value` to UTF-8 bytes.
    static func bytes(_ value: JSONValue, pretty: Bool, sortedKeys: Bool) -> [UInt8] {
        var s = JSONSerializer(pretty: pretty, sortedKeys: sortedKeys)
        s.write(value, indent: 0)
        return s.out
    }

    private mutating func newline(_ indent: Int) {
        out.append(0x0A)
        for _ in 0..<indent { out.append(0x20); out.append(0x20) }
    }

    private mutating func write(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d): out.append(contentsOf: JSONSerializer.format(d).utf8)
        case .string(let s): writeString(s)
        case .array(let a):
            if a.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (k, e) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 1) }
                write(e, indent: indent + 1)
            }
            if pretty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            var members = o.entries
            if sortedKeys {
                members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            }
            for (k, m) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 1) }
                writeString(m.key)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                write(m.value, indent: indent + 1)
            }
            if pretty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ s: String) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(Self.hexDigits[Int(c >> 4)])
                out.append(Self.hexDigits[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }

    /// Formats a number: integral values below 1e15 without a fraction, others shortest round-trip;
    /// non-finite values (not representable in JSON) as `null`.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(.towardZero) && abs(d) < 1e15 {
            return String(Int64(d))  // -0 becomes "0"
        }
        let s = d.description  // shortest round-trip, e.g. "1e-05", "1.5e+20", "0.1", "1000000000000000.0"
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
        }
        var mantissa = String(s[..<e])
        if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
        var exp = s[s.index(after: e)...]
        var negative = false
        if exp.first == "+" || exp.first == "-" {
            negative = exp.first == "-"
            exp = exp.dropFirst()
        }
        while exp.count > 1 && exp.first == "0" { exp = exp.dropFirst() }
        return mantissa + "e" + (negative ? "-" : "") + exp
    }
}

extension JSONValue {
    /// The JSON text: compact (`{"a":1}`) or pretty (2-space indent, `"key": value`); keys optionally sorted by UTF-8 bytes.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> String {
        String(decoding: JSONSerializer.bytes(self, pretty: pretty, sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// The JSON text as UTF-8 bytes; same format as `serialized(pretty:sortedKeys:)`.
    public func serializedBytes(pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        JSONSerializer.bytes(self, pretty: pretty, sortedKeys: sortedKeys)
    }
}
