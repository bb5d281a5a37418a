import Foundation

/// RFC 3339 timestamps in UTC with milliseconds, the format of every Otter date-time field.
enum Timestamp {
    static func now(plus seconds: TimeInterval = 0) -> String {
        // ISO8601DateFormatter is not Sendable; one per call is cheap enough for a few callbacks.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date().addingTimeInterval(seconds))
    }
}
