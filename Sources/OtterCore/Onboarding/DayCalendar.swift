import Foundation

/// Calendar days in one time zone, numbered as days since 1970-01-01 (local), and their `YYYY-MM-DD` names.
public struct DayCalendar: Sendable {
    /// The zone days are counted in.
    public let timeZone: TimeZone
    private let fixedOffset: Int?

    /// Creates a calendar for a zone.
    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        // UTC needs no per-instant lookup; every other zone may have changed its offset at some point.
        fixedOffset = ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"].contains(timeZone.identifier) ? 0 : nil
    }

    /// A calendar for an IANA zone name (`Europe/Madrid`, `UTC`); nil when Foundation does not know it.
    public init?(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.init(timeZone: tz)
    }

    /// The zone's offset from UTC at an instant, in seconds.
    public func offset(at t: Double) -> Int { fixedOffset ?? timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: t)) }

    /// The local day of an instant (seconds since 1970).
    public func day(_ t: Double) -> Int { day(t, offset: offset(at: t)) }

    /// The local day of an instant whose zone offset is already known.
    public func day(_ t: Double, offset: Int) -> Int { Int(((t + Double(offset)) / 86400).rounded(.down)) }

    /// `YYYY-MM-DD` of a day number.
    public static func name(_ day: Int) -> String { String(Timestamp.format(Double(day) * 86400).prefix(10)) }

    /// The day number of `YYYY-MM-DD`, or nil when malformed.
    public static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        let n = Timestamp.daysFromCivil(y, m, d)
        return name(n) == text ? n : nil
    }
}
