import Foundation

/// Framing of Server-Sent Events (the `text/event-stream` format of the HTML standard, §9.2), for a streaming
/// response (`HTTPResponse.streaming`).
public enum ServerSentEvents {
    /// The content type of an event stream.
    public static let contentType = "text/event-stream; charset=utf-8"

    /// One event: `event:` and `id:` when given, then each line of `data` as its own `data:` line (a client joins them
    /// with "\n" again), then the blank line that dispatches it. CR, LF and CRLF in `data` all end a line; CR and LF
    /// are taken out of `event` and `id` (they would end the field early, and a NUL in an id makes a client ignore it).
    public static func frame(event: String? = nil, id: String? = nil, data: String) -> String {
        var out = ""
        if let event { out += "event: " + field(event) + "\n" }
        if let id { out += "id: " + field(id).replacingOccurrences(of: "\u{0}", with: "") + "\n" }
        for line in lines(data) { out += "data: " + line + "\n" }
        return out + "\n"
    }

    /// A comment line (`: text`), which a client ignores: keeps a quiet stream from looking dead to proxies.
    public static func comment(_ text: String) -> String { ": " + field(text) + "\n\n" }

    /// How long a client waits before reconnecting (`retry:`), in milliseconds.
    public static func retry(milliseconds: Int) -> String { "retry: \(max(0, milliseconds))\n\n" }

    static func field(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
    }

    /// `s` cut at CRLF, LF and CR; "" is one empty line.
    static func lines(_ s: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        var lastCR = false
        for u in s.unicodeScalars {
            if u == "\n" {
                if lastCR { lastCR = false; continue }
                out.append(String(cur)); cur = String.UnicodeScalarView()
            } else if u == "\r" {
                out.append(String(cur)); cur = String.UnicodeScalarView()
                lastCR = true
                continue
            } else {
                cur.append(u)
            }
            lastCR = false
        }
        out.append(String(cur))
        return out
    }
}
