/// Checks for the `format` values the validator knows; unknown formats are not checked.
enum SchemaFormat: Sendable, Hashable {
    case dateTime, date, uuid, email, uri

    init?(_ name: String) {
        switch name {
        case "date-time": self = .dateTime
        case "date": self = .date
        case "uuid": self = .uuid
        case "email": self = .email
        case "uri": self = .uri
        default: return nil
        }
    }

    var label: String {
        switch self {
        case .dateTime: return "date-time (RFC 3339)"
        case .date: return "date (RFC 3339 full-date)"
        case .uuid: return "uuid"
        case .email: return "email address"
        case .uri: return "URI"
        }
    }

    func accepts(_ s: String) -> Bool {
        switch self {
        case .dateTime: return Self.isDateTime(Array(s.utf8))
        case .date: let b = Array(s.utf8); return b.count == 10 && Self.fullDate(b, 0)
        case .uuid: return Self.isUUID(Array(s.utf8))
        case .email: return Self.isEmail(s)
        case .uri: return Self.isURI(Array(s.utf8))
        }
    }

    private static func digits(_ b: [UInt8], _ at: Int, _ count: Int) -> Int? {
        guard at + count <= b.count else { return nil }
        var v = 0
        for k in at..<(at + count) {
            let d = b[k] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// YYYY-MM-DD at `at` with a real day of month.
    private static func fullDate(_ b: [UInt8], _ at: Int) -> Bool {
        guard let y = digits(b, at, 4), b.count > at + 9, b[at + 4] == 0x2D, let m = digits(b, at + 5, 2),
              b[at + 7] == 0x2D, let d = digits(b, at + 8, 2), (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }

    static func isDateTime(_ b: [UInt8]) -> Bool {
        guard b.count >= 20, fullDate(b, 0), b[10] | 0x20 == UInt8(ascii: "t"),
              let h = digits(b, 11, 2), b[13] == 0x3A, let mi = digits(b, 14, 2), b[16] == 0x3A,
              let s = digits(b, 17, 2), h <= 23, mi <= 59, s <= 60 else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count && b[i] &- 48 < 10 { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] | 0x20 == UInt8(ascii: "z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count,
              let oh = digits(b, i + 1, 2), b[i + 3] == 0x3A, let om = digits(b, i + 4, 2), oh <= 23, om <= 59
        else { return false }
        return true
    }

    static func isUUID(_ b: [UInt8]) -> Bool {
        guard b.count == 36 else { return false }
        for (k, c) in b.enumerated() {
            if k == 8 || k == 13 || k == 18 || k == 23 {
                if c != 0x2D { return false }
            } else if !((c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 102)) {
                return false
            }
        }
        return true
    }

    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
        return !s.unicodeScalars.contains { $0.value <= 0x20 || $0 == "(" || $0 == ")" || $0 == "," || $0 == ";" || $0 == "<" || $0 == ">" }
    }

    static func isURI(_ b: [UInt8]) -> Bool {
        guard let colon = b.firstIndex(of: 0x3A), colon > 0, colon + 1 < b.count else { return false }
        let c0 = b[0] | 0x20
        guard c0 >= 97 && c0 <= 122 else { return false }
        for c in b[..<colon] {
            let l = c | 0x20
            guard (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c == 0x2B || c == 0x2D || c == 0x2E else { return false }
        }
        for c in b where c <= 0x20 || c == 0x7F || c == 0x22 || c == 0x3C || c == 0x3E || c == 0x5C || c == 0x5E || c == 0x60 || c == 0x7B || c == 0x7C || c == 0x7D {
            return false
        }
        return true
    }
}
