import Foundation

/// RFC 3339 timestamps with millisecond precision, parsed and formatted without locale or calendar machinery.
public enum Timestamp {
    /// Formats seconds since 1970 as `2026-11-29T10:00:00.123Z`.
    public static func format(_ t: Double) -> String {
        var ms = Int64((t * 1000).rounded())
        let msPart = Int((ms % 1000 + 1000) % 1000)
        ms = (ms - Int64(msPart)) / 1000
        var days = ms >= 0 ? ms / 86400 : (ms - 86399) / 86400
        let secs = Int(ms - days * 86400)
        // Civil date from days since epoch (Howard Hinnant's algorithm).
        days += 719468
        let era = (days >= 0 ? days : days - 146096) / 146097
        let doe = days - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func p(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(Int64(secs / 3600), 2)):\(p(Int64(secs / 60 % 60), 2)):\(p(Int64(secs % 60), 2)).\(p(Int64(msPart), 3))Z"
    }

    /// Days since 1970-01-01 of a civil date.
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` (a space instead of `T` is accepted). Nil when malformed.
    public static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { parse(utf8: $0) }
    }

    /// `parse` of the UTF-8 bytes of a time.
    static func parse(utf8 u: UnsafeBufferPointer<UInt8>) -> Double? {
        guard u.count >= 19 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int? {
            var v = 0
            for i in a..<(a + n) { let c = u[i]; guard c >= 48 && c <= 57 else { return nil }; v = v * 10 + Int(c - 48) }
            return v
        }
        guard u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 116 || u[10] == 32, u[13] == 58, u[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var i = 19
        var frac = 0.0
        if i < u.count, u[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < u.count, u[i] >= 48 && u[i] <= 57 { frac += Double(u[i] - 48) * scale; scale /= 10; i += 1 }
            if i == start { return nil }
        }
        var offset = 0
        guard i < u.count else { return nil }
        if u[i] == 90 || u[i] == 122 { i += 1 } else if u[i] == 43 || u[i] == 45 {
            guard i + 6 == u.count, u[i + 3] == 58, let oh = num(i + 1, 2), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == u.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        return Double(days * 86400 + h * 3600 + mi * 60 + se - offset) + frac
    }
}
