import Foundation

/// Incidents of one cause at one location on one day: how many, and the evidence of the first.
public struct Incident: Sendable, Equatable {
    /// The location (store id).
    public var storeId: String
    /// Local day number (see `DayCalendar`).
    public var day: Int
    /// Cause (`order-not-injected`, `webhook-not-acknowledged` …, from the rules).
    public var cause: String
    /// How many times it happened that day.
    public var count: Int
    /// When the first one happened (seconds since 1970).
    public var firstAt: Double
    /// What the log shows for the first one (no secrets: methods, paths, statuses, event ids, error codes).
    public var evidence: String

    /// Creates an incident record.
    public init(storeId: String, day: Int, cause: String, count: Int = 1, firstAt: Double, evidence: String) {
        self.storeId = storeId; self.day = day; self.cause = cause; self.count = count; self.firstAt = firstAt; self.evidence = evidence
    }

    /// `YYYY-MM-DD` of the day.
    public var date: String { DayCalendar.name(day) }

    /// Masks anything that looks like a credential left in free text (`Bearer abc…`, `access_token=…`).
    public static func scrub(_ text: String) -> String {
        var s = text.count > 300 ? String(text.prefix(300)) + "…" : text
        for pattern in [#"(?i)(bearer|basic)\s+(?!<redacted)[^\s"',;]+"#, #"(?i)(access_token|client_secret|password)(["':=\s]+)(?!<redacted)[^\s"',;&]+"#] {
            guard let re = try? NSRegularExpression(pattern: pattern) else { continue }
            let template = pattern.contains("access_token") ? "$1$2<redacted>" : "$1 <redacted>"
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return s
    }
}
