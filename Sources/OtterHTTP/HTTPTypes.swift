import Foundation

/// Ordered header list. Names are kept exactly as sent; look-ups are ASCII case-insensitive.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    public var pairs: [(name: String, value: String)]

    public init(_ pairs: [(String, String)] = []) {
        self.pairs = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// First value for `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        for p in pairs where asciiCaseInsensitiveEquals(p.name, name) { return p.value }
        return nil
    }

    /// All values for `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        pairs.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        pairs.contains { asciiCaseInsensitiveEquals($0.name, name) }
    }

    public mutating func add(_ name: String, _ value: String) {
        pairs.append((name: name, value: value))
    }

    /// Replaces every header called `name` by a single one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        pairs.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// True when a comma-separated header (e.g. `Connection`) contains `token` (case-insensitive).
    public func containsToken(_ token: String, in name: String) -> Bool {
        for v in values(name) {
            for part in v.split(separator: ",") {
                if asciiCaseInsensitiveEquals(part.trimmingCharacters(in: .whitespaces), token) { return true }
            }
        }
        return false
    }

    public var count: Int { pairs.count }

    public func makeIterator() -> IndexingIterator<[Element]> { pairs.makeIterator() }
}

@inline(__always)
func asciiLower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

func asciiCaseInsensitiveEquals<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
    let au = a.utf8, bu = b.utf8
    guard au.count == bu.count else { return false }
    for (x, y) in zip(au, bu) where asciiLower(x) != asciiLower(y) { return false }
    return true
}

public struct HTTPRequest: Sendable {
    public var method: String
    /// The request-target in origin-form, e.g. "/v1/x?y=1" (an absolute-form target `http://host/v1/x?y=1` is
    /// turned into its origin-form; its host is in `authority`). "*" for `OPTIONS *`.
    public var target: String
    /// `target` before '?', percent-decoding NOT applied.
    public var path: String
    /// `target` after the first '?', or nil when there is none.
    public var query: String?
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    public var headers: HTTPHeaders
    /// The body, or only its first bytes when the server was told to keep no more (`bodySize` says how much came).
    public var body: [UInt8]
    /// How many body bytes were received (equal to `body.count` unless the body was kept only in part).
    public var bodySize: Int
    /// SHA-256 of the whole body as received, when `body` holds only its first bytes (nil otherwise).
    public var bodySHA256: [UInt8]?
    /// The authority the request was sent to: an absolute-form target's `host[:port]`, else the `Host` header
    /// (RFC 9112 §3.2.2). nil for an HTTP/1.0 request without `Host`.
    public var authority: String?
    /// "127.0.0.1:54321" or "[::1]:54321". Empty for requests that did not come from a socket.
    public var remoteAddress: String
    /// When the first byte of this request arrived.
    public var receivedAt: Date

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = [:],
                body: [UInt8] = [], remoteAddress: String = "", receivedAt: Date = Date()) {
        self.method = method
        self.target = target
        if let q = target.firstIndex(of: "?") {
            self.path = String(target[..<q])
            self.query = String(target[target.index(after: q)...])
        } else {
            self.path = target
            self.query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.bodySize = body.count
        self.remoteAddress = remoteAddress
        self.receivedAt = receivedAt
    }

    /// True when `body` holds only the first `body.count` of `bodySize` bytes.
    public var isBodyTruncated: Bool { bodySize > body.count }

    /// Whether the connection may stay open after answering this request
    /// (HTTP/1.1: unless `Connection: close`; HTTP/1.0: only with `Connection: keep-alive`).
    public var wantsKeepAlive: Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        if version == "HTTP/1.0" { return headers.containsToken("keep-alive", in: "Connection") }
        return true
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// For a streaming response (`HTTPResponse.streaming`): what writes the body; `body` is then not sent.
    public var stream: (@Sendable (HTTPStreamWriter) -> Void)?

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with `Content-Type: application/json` and `text` as its body.
    public static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
    }

    /// `{"error":"<code>","message":"<message>"}` with proper JSON string escaping.
    public static func error(_ status: Int, code: String, message: String) -> HTTPResponse {
        .json(status, "{\"error\":\(jsonString(code)),\"message\":\(jsonString(message))}")
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Standard reason phrases; unknown codes get a generic phrase by class.
public func httpReasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: return "Continue"
    case 101: return "Switching Protocols"
    case 200: return "OK"
    case 201: return "Created"
    case 202: return "Accepted"
    case 204: return "No Content"
    case 206: return "Partial Content"
    case 301: return "Moved Permanently"
    case 302: return "Found"
    case 303: return "See Other"
    case 304: return "Not Modified"
    case 307: return "Temporary Redirect"
    case 308: return "Permanent Redirect"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 406: return "Not Acceptable"
    case 408: return "Request Timeout"
    case 409: return "Conflict"
    case 410: return "Gone"
    case 411: return "Length Required"
    case 412: return "Precondition Failed"
    case 413: return "Content Too Large"
    case 415: return "Unsupported Media Type"
    case 422: return "Unprocessable Content"
    case 429: return "Too Many Requests"
    case 431: return "Request Header Fields Too Large"
    case 500: return "Internal Server Error"
    case 501: return "Not Implemented"
    case 502: return "Bad Gateway"
    case 503: return "Service Unavailable"
    case 504: return "Gateway Timeout"
    case 505: return "HTTP Version Not Supported"
    default:
        switch status / 100 {
        case 1: return "Informational"
        case 2: return "Success"
        case 3: return "Redirection"
        case 4: return "Client Error"
        default: return "Server Error"
        }
    }
}
