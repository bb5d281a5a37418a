import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns an `HTTPResponse` into wire bytes. Thread-safe (pure apart from reading the clock).
enum HTTPResponseWriter {
    /// - Parameters:
    ///   - headRequest: the request was HEAD: headers as for GET, no body bytes.
    ///   - close: add `Connection: close`.
    ///   - keepAlive10: HTTP/1.0 client asked for keep-alive and gets it: add `Connection: keep-alive`.
    ///   - streamChunked: set for the head of a streaming response: true adds `Transfer-Encoding: chunked`, false (an
    ///     HTTP/1.0 client) no framing (the body ends when the connection closes); no `Content-Length`, no body.
    static func serialize(_ response: HTTPResponse, headRequest: Bool, close: Bool, keepAlive10: Bool,
                          streamChunked: Bool? = nil) -> [UInt8] {
        var status = response.status
        if status < 100 || status > 999 { status = 500 }
        let bodyless = status < 200 || status == 204 || status == 304 || streamChunked != nil
        var out: [UInt8] = []
        out.reserveCapacity(256 + (headRequest || bodyless ? 0 : response.body.count))
        out.append(contentsOf: "HTTP/1.1 \(status) \(httpReasonPhrase(status))\r\n".utf8)
        var hasDate = false
        for (name, value) in response.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTChar) else { continue }  // drop unsendable names
            if asciiCaseInsensitiveEquals(name, "content-length")
                || asciiCaseInsensitiveEquals(name, "transfer-encoding")
                || asciiCaseInsensitiveEquals(name, "connection") { continue }  // framing is ours
            if asciiCaseInsensitiveEquals(name, "date") { hasDate = true }
            out.append(contentsOf: name.utf8)
            out.append(0x3A)
            out.append(0x20)
            // No response splitting: control characters in values become spaces.
            for b in value.utf8 { out.append((b < 0x20 && b != 0x09) || b == 0x7F ? 0x20 : b) }
            out.append(0x0D)
            out.append(0x0A)
        }
        if !hasDate { out.append(contentsOf: "Date: \(httpDate())\r\n".utf8) }
        if !bodyless { out.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8) }
        if streamChunked == true { out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8) }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAlive10 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(0x0D)
        out.append(0x0A)
        if !headRequest && !bodyless { out.append(contentsOf: response.body) }
        return out
    }

    static func errorResponse(_ error: HTTPParseError) -> [UInt8] {
        serialize(.error(error.status, code: error.code, message: error.message),
                  headRequest: false, close: true, keepAlive10: false)
    }

    static func simpleError(_ status: Int, code: String, message: String) -> [UInt8] {
        serialize(.error(status, code: code, message: message), headRequest: false, close: true, keepAlive10: false)
    }

    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

private let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
private let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
func httpDate(_ date: Date = Date()) -> String {
    var t = time_t(date.timeIntervalSince1970)
    var tm = tm()
    gmtime_r(&t, &tm)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let wday = dayNames[Int(tm.tm_wday) % 7]
    let mon = monthNames[Int(tm.tm_mon) % 12]
    return "\(wday), \(two(tm.tm_mday)) \(mon) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
}
