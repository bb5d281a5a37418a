import Foundation
import OtterCrypto

/// Why a request could not be parsed. Each case maps to the status code the server answers with;
/// after any of them the connection is closed.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Malformed message (framing, syntax, ambiguous length). 400.
    case badRequest(String)
    /// Request line + headers (or trailers) too large, or too many header fields. 431.
    case headersTooLarge(String)
    /// Request line (method, target, version) longer than `maxRequestLineBytes`. 414.
    case uriTooLong(String)
    /// An `Expect` other than `100-continue`. 417.
    case expectationFailed(String)
    /// A method the server does not implement at all (`CONNECT`: this is not a proxy). 501.
    case methodNotImplemented(String)
    /// Declared or received body larger than `maxBodyBytes`. 413.
    case bodyTooLarge(String)
    /// Transfer-Encoding other than `chunked`. 501.
    case unsupportedTransferEncoding(String)
    /// Well-formed HTTP version other than 1.0 / 1.1. 505.
    case unsupportedVersion(String)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .headersTooLarge: return 431
        case .uriTooLong: return 414
        case .expectationFailed: return 417
        case .methodNotImplemented: return 501
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .unsupportedVersion: return 505
        }
    }

    /// Short machine-readable code used as `"error"` in the JSON error body.
    public var code: String {
        switch self {
        case .badRequest: return "bad_request"
        case .headersTooLarge: return "request_header_fields_too_large"
        case .uriTooLong: return "uri_too_long"
        case .expectationFailed: return "expectation_failed"
        case .methodNotImplemented: return "not_implemented"
        case .bodyTooLarge: return "content_too_large"
        case .unsupportedTransferEncoding: return "not_implemented"
        case .unsupportedVersion: return "http_version_not_supported"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .headersTooLarge(let m), .bodyTooLarge(let m), .uriTooLong(let m),
             .expectationFailed(let m), .methodNotImplemented(let m),
             .unsupportedTransferEncoding(let m), .unsupportedVersion(let m):
            return m
        }
    }

    public var description: String { "\(status) \(code): \(message)" }
}

/// Incremental HTTP/1.x request parser. Pure: no I/O, no clocks (SHA-256 of a body not kept whole is computed here).
///
/// Feed it bytes as they arrive and call `next()` until it returns nil (needs more bytes).
/// Memory is bounded by the limits: unterminated head lines are rejected once the head would
/// exceed `maxHeaderBytes`, the body never grows past `maxBodyBytes` (nor past what `bodyRetention`
/// asks to keep), and bytes are consumed as they are parsed. Bytes after a complete request stay
/// buffered (pipelining); the caller decides how much it feeds while it is busy.
///
/// ## What is accepted (RFC 9112 / 9110)
/// - Request line: `token SP request-target SP HTTP/1.x`, single spaces. `HTTP/1.0` and `HTTP/1.1`; a higher
///   1.x minor version is treated as 1.1 (RFC 9112 §2.3); any other major version is 505. A request line longer
///   than `maxRequestLineBytes` is 414. Empty lines before it are skipped (§2.2).
/// - Request target: origin-form (`/path?query`, printable ASCII, no `#`, every `%` followed by two hex digits);
///   absolute-form (`http://host:port/path?query`, also `https`; no userinfo), which `target` turns into its
///   origin-form and whose authority wins over `Host` (§3.2.2); asterisk-form only for `OPTIONS`. `CONNECT` is
///   501 (this is not a proxy). Anything else is 400. Dot segments and percent-escapes are passed on as sent.
/// - Line endings: CRLF, or a bare LF (§2.2 allows it); a CR anywhere else is 400.
/// - Header fields: a token name directly followed by `:` (whitespace before the colon is 400), a value without
///   control characters (obs-text is kept as sent); obsolete line folding is 400.
/// - `Host`: an HTTP/1.1 request without one, any request with two, or with an invalid value is 400 (§3.2).
/// - Framing: `Transfer-Encoding` with `Content-Length` is 400 (smuggling); `chunked` must be the last coding
///   and appear once (else 400); other codings are 501; `Transfer-Encoding` in an HTTP/1.0 request is 400.
///   Several `Content-Length` values are accepted only when they are all equal (RFC 9110 §8.6).
/// - Chunks: hex size (overflow 400), optional extensions `;name[=token|"quoted"]` (syntax checked, then ignored),
///   no whitespace after the size unless an extension follows, CRLF after the data; trailer fields are checked
///   for syntax and dropped.
/// - `Expect: 100-continue` (HTTP/1.1) makes `takeContinueRequest()` true; any other expectation is 417.
///
/// After an error the parser stays failed: every later `next()` throws the same error.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int
        public var maxBodyBytes: Int
        /// Longest accepted chunk-size line (size + extensions).
        public var maxChunkLineBytes: Int
        /// Longest accepted request line (method, target and version); over → 414.
        public var maxRequestLineBytes: Int
        public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20,
                    maxChunkLineBytes: Int = 4096, maxRequestLineBytes: Int = 8 * 1024) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.maxChunkLineBytes = maxChunkLineBytes
            self.maxRequestLineBytes = maxRequestLineBytes
        }
    }

    /// Where the parser is in the current request.
    public enum Phase: Sendable, Equatable {
        /// Between requests, nothing of the next one buffered.
        case idle
        /// Some of the request line / headers have arrived.
        case head
        /// The head is complete; body (or chunk trailers) still to come.
        case body
    }

    private enum State: Sendable {
        case requestLine, headers, fixedBody, chunkSize, chunkData, chunkDataEnd, trailers
    }

    /// A SHA-256 hasher owned by one parser (which is used from one thread at a time).
    private struct BodyHasher: @unchecked Sendable {
        var hasher = SHA256Hasher()
    }

    public let limits: Limits

    /// Called once per request when its head is complete (the request passed has an empty body): how many body
    /// bytes to keep. The rest of the body is still received, checked against `maxBodyBytes`, counted in
    /// `bodySize` and hashed into `bodySHA256`, but not kept. nil keeps every body whole.
    public var bodyRetention: (@Sendable (HTTPRequest) -> Int)?

    private var buf: [UInt8] = []
    private var pos = 0      // first unconsumed byte
    private var scan = 0     // LF search resumes here (>= pos)
    private var state: State = .requestLine
    private var failure: HTTPParseError?

    private var headBytes = 0
    private var method = ""
    private var target = ""
    private var version = ""
    private var absoluteAuthority: String?
    private var authority: String?
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var bodyTotal = 0
    private var keepLimit = Int.max
    private var hasher: BodyHasher?
    private var remaining = 0
    private var trailerBytes = 0
    private var continuePending = false

    public init(limits: Limits = Limits(), bodyRetention: (@Sendable (HTTPRequest) -> Int)? = nil) {
        self.limits = limits
        self.bodyRetention = bodyRetention
    }

    // MARK: - Input

    public mutating func feed(_ bytes: [UInt8]) {
        compact()
        buf.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buf.append(contentsOf: bytes)
    }

    /// Feeds `bytes` and returns every request now complete. Throws on the first error
    /// (requests completed before the error are lost; use `next()` to keep them).
    public mutating func parse(_ bytes: [UInt8]) throws(HTTPParseError) -> [HTTPRequest] {
        feed(bytes)
        var out: [HTTPRequest] = []
        while let r = try next() { out.append(r) }
        return out
    }

    // MARK: - State

    public var phase: Phase {
        switch state {
        case .requestLine: return (headBytes == 0 && pos == buf.count) ? .idle : .head
        case .headers: return .head
        default: return .body
        }
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { buf.count - pos }

    public var error: HTTPParseError? { failure }

    /// True exactly once per request whose head asked for `Expect: 100-continue` (HTTP/1.1)
    /// and whose body has not arrived yet: the server should send `100 Continue` now.
    public mutating func takeContinueRequest() -> Bool {
        guard continuePending, state != .requestLine, state != .headers else { return false }
        continuePending = false
        return true
    }

    // MARK: - Parsing

    /// The next complete request, nil if more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            buf = []
            pos = 0
            scan = 0
            body = []
            hasher = nil
            throw error
        }
    }

    private mutating func compact() {
        if pos == 0 { return }
        if pos == buf.count {
            buf.removeAll(keepingCapacity: buf.capacity <= 64 * 1024)
            pos = 0
            scan = 0
        } else if pos >= 4096 && pos * 2 >= buf.count {
            buf.removeSubrange(0..<pos)
            scan -= pos
            pos = 0
        }
    }

    /// A line ending in LF (CR before it stripped) as a range into `buf`, plus how many bytes it used.
    /// nil when no LF has arrived yet.
    private mutating func takeLine() throws(HTTPParseError) -> (range: Range<Int>, consumed: Int)? {
        let from = max(scan, pos)
        var i = from
        let n = buf.count
        while i < n && buf[i] != 0x0A { i += 1 }
        if i == n {
            scan = n
            return nil
        }
        var end = i
        if end > pos && buf[end - 1] == 0x0D { end -= 1 }
        // A CR anywhere else in a line is not allowed (covers CR in names and values).
        var j = pos
        while j < end {
            if buf[j] == 0x0D { throw .badRequest("bare CR in line") }
            j += 1
        }
        let consumed = i + 1 - pos
        let range = pos..<end
        pos = i + 1
        scan = pos
        return (range, consumed)
    }

    private var pendingLineBytes: Int { buf.count - pos }

    private mutating func step() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .requestLine:
                guard let (range, consumed) = try takeLine() else {
                    // Blank lines before the request line count towards the head, not the request line.
                    var start = pos
                    while start < buf.count && (buf[start] == 0x0D || buf[start] == 0x0A) { start += 1 }
                    if buf.count - start > limits.maxRequestLineBytes { throw .uriTooLong("request line longer than \(limits.maxRequestLineBytes) bytes") }
                    if headBytes + pendingLineBytes > limits.maxHeaderBytes {
                        throw .headersTooLarge("request head too large")
                    }
                    return nil
                }
                headBytes += consumed
                if range.count > limits.maxRequestLineBytes { throw .uriTooLong("request line longer than \(limits.maxRequestLineBytes) bytes") }
                if headBytes > limits.maxHeaderBytes { throw .headersTooLarge("request head too large") }
                if range.isEmpty { continue }  // blank lines before the request line are ignored
                try parseRequestLine(range)
                state = .headers

            case .headers:
                guard let (range, consumed) = try takeLine() else {
                    if headBytes + pendingLineBytes > limits.maxHeaderBytes {
                        throw .headersTooLarge("request head too large")
                    }
                    return nil
                }
                headBytes += consumed
                if headBytes > limits.maxHeaderBytes { throw .headersTooLarge("request head too large") }
                if range.isEmpty {
                    if let done = try finishHead() { return done }
                    continue
                }
                try parseHeaderLine(range)
                if headers.count > limits.maxHeaderCount {
                    throw .headersTooLarge("more than \(limits.maxHeaderCount) header fields")
                }

            case .fixedBody:
                copyBody()
                if remaining > 0 { return nil }
                return emit()

            case .chunkSize:
                guard let (range, _) = try takeLine() else {
                    if pendingLineBytes > limits.maxChunkLineBytes { throw .badRequest("chunk size line too long") }
                    return nil
                }
                if range.count > limits.maxChunkLineBytes { throw .badRequest("chunk size line too long") }
                let size = try parseChunkSize(range)
                if size == 0 {
                    state = .trailers
                    trailerBytes = 0
                } else {
                    if size > limits.maxBodyBytes - bodyTotal {
                        throw .bodyTooLarge("chunked body exceeds \(limits.maxBodyBytes) bytes")
                    }
                    remaining = size
                    state = .chunkData
                }

            case .chunkData:
                copyBody()
                if remaining > 0 { return nil }
                state = .chunkDataEnd

            case .chunkDataEnd:
                guard let (range, _) = try takeLine() else {
                    if pendingLineBytes >= 2 { throw .badRequest("missing CRLF after chunk data") }
                    return nil
                }
                if !range.isEmpty { throw .badRequest("missing CRLF after chunk data") }
                state = .chunkSize

            case .trailers:
                guard let (range, consumed) = try takeLine() else {
                    if trailerBytes + pendingLineBytes > limits.maxHeaderBytes {
                        throw .headersTooLarge("trailer section too large")
                    }
                    return nil
                }
                trailerBytes += consumed
                if trailerBytes > limits.maxHeaderBytes { throw .headersTooLarge("trailer section too large") }
                if range.isEmpty { return emit() }
                // Trailer fields are checked for syntax and dropped.
                if buf[range.lowerBound] == 0x20 || buf[range.lowerBound] == 0x09 {
                    throw .badRequest("obsolete line folding in trailer")
                }
                _ = try splitField(range)
            }
        }
    }

    /// Moves up to `remaining` buffered bytes into the body: kept up to `keepLimit`, hashed once any is dropped.
    private mutating func copyBody() {
        let n = min(remaining, buf.count - pos)
        guard n > 0 else { return }
        let keep = min(n, max(0, keepLimit - body.count))
        if keep > 0 { body.append(contentsOf: buf[pos..<(pos + keep)]) }
        if keep < n {
            if hasher == nil {
                var h = BodyHasher()
                h.hasher.update(body)  // everything kept so far: the body's first bytes
                hasher = h
            }
            hasher!.hasher.update(buf[(pos + keep)..<(pos + n)])
        }
        bodyTotal += n
        pos += n
        scan = pos
        remaining -= n
    }

    private func head() -> HTTPRequest {
        var req = HTTPRequest(method: method, target: target, version: version,
                              headers: HTTPHeaders(headers.map { ($0.name, $0.value) }))
        req.authority = authority
        return req
    }

    private mutating func emit() -> HTTPRequest {
        var req = head()
        req.body = body
        req.bodySize = bodyTotal
        if var h = hasher { req.bodySHA256 = h.hasher.finalize() }
        method = ""
        target = ""
        version = ""
        absoluteAuthority = nil
        authority = nil
        headers = []
        body = []
        bodyTotal = 0
        keepLimit = .max
        hasher = nil
        remaining = 0
        headBytes = 0
        trailerBytes = 0
        continuePending = false
        state = .requestLine
        return req
    }

    // MARK: Request line and fields

    private mutating func parseRequestLine(_ r: Range<Int>) throws(HTTPParseError) {
        var sp1 = r.lowerBound
        while sp1 < r.upperBound && buf[sp1] != 0x20 { sp1 += 1 }
        guard sp1 < r.upperBound, sp1 > r.lowerBound else { throw .badRequest("malformed request line") }
        var sp2 = sp1 + 1
        while sp2 < r.upperBound && buf[sp2] != 0x20 { sp2 += 1 }
        guard sp2 < r.upperBound, sp2 > sp1 + 1 else { throw .badRequest("malformed request line") }
        for i in r.lowerBound..<sp1 where !isTChar(buf[i]) { throw .badRequest("invalid method") }
        for i in (sp1 + 1)..<sp2 {
            let b = buf[i]
            if b <= 0x20 || b >= 0x7F { throw .badRequest("invalid character in request target") }
        }
        let v = buf[(sp2 + 1)..<r.upperBound]
        // HTTP-version = "HTTP/" DIGIT "." DIGIT
        guard v.count == 8, v.starts(with: Array("HTTP/".utf8)),
              isDigit(v[v.startIndex + 5]), v[v.startIndex + 6] == 0x2E, isDigit(v[v.startIndex + 7])
        else { throw .badRequest("malformed HTTP version") }
        let major = v[v.startIndex + 5] - 0x30, minor = v[v.startIndex + 7] - 0x30
        guard major == 1 else {
            throw .unsupportedVersion("HTTP/\(major).\(minor) is not supported")
        }
        method = String(decoding: buf[r.lowerBound..<sp1], as: UTF8.self)
        // A later 1.x minor version is answered as 1.1 (RFC 9112 §2.3).
        version = minor == 0 ? "HTTP/1.0" : "HTTP/1.1"
        if method == "CONNECT" { throw .methodNotImplemented("CONNECT is not supported: this server is not a proxy") }
        let raw = String(decoding: buf[(sp1 + 1)..<sp2], as: UTF8.self)
        (target, absoluteAuthority) = try Self.requestTarget(raw, method: method)
    }

    /// The origin-form of a request target, and the authority of an absolute-form one.
    static func requestTarget(_ raw: String, method: String) throws(HTTPParseError) -> (String, String?) {
        let bytes = Array(raw.utf8)
        if bytes.first == 0x2F {  // "/": origin-form
            try checkOriginForm(bytes[...])
            return (raw, nil)
        }
        if raw == "*" {
            guard method == "OPTIONS" else { throw .badRequest("the asterisk-form request target is only for OPTIONS") }
            return (raw, nil)
        }
        // absolute-form: scheme "://" authority path-abempty [ "?" query ]
        guard let sep = raw.range(of: "://") else { throw .badRequest("invalid request target (expected /path or http://host/path)") }
        let scheme = raw[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .badRequest("unsupported scheme '\(scheme.prefix(20))' in the request target")
        }
        let rest = Array(raw[sep.upperBound...].utf8)
        let authEnd = rest.firstIndex { $0 == 0x2F || $0 == 0x3F } ?? rest.count
        let authorityBytes = rest[0..<authEnd]
        if authorityBytes.contains(0x40) { throw .badRequest("userinfo (user@) in the request target") }
        let authority = String(decoding: authorityBytes, as: UTF8.self)
        guard !authority.isEmpty, isValidAuthority(authority) else { throw .badRequest("invalid host in the request target") }
        var origin = Array(rest[authEnd...])
        if origin.first != 0x2F { origin.insert(0x2F, at: 0) }  // "http://h" and "http://h?q" mean "/" and "/?q"
        try checkOriginForm(origin[...])
        return (String(decoding: origin, as: UTF8.self), authority)
    }

    /// absolute-path [ "?" query ] in printable ASCII (checked by the caller): no fragment, well-formed escapes.
    private static func checkOriginForm(_ b: ArraySlice<UInt8>) throws(HTTPParseError) {
        var i = b.startIndex
        while i < b.endIndex {
            switch b[i] {
            case 0x23: throw .badRequest("fragment (#) in the request target")
            case 0x25:
                guard i + 2 < b.endIndex, hexValue(b[i + 1]) != nil, hexValue(b[i + 2]) != nil else {
                    throw .badRequest("invalid percent-encoding in the request target")
                }
                i += 3
                continue
            default: break
            }
            i += 1
        }
    }

    /// `uri-host [ ":" port ]` (RFC 9110 §7.2): a reg-name or IPv4 address, or an IP literal in brackets.
    /// Empty is valid (RFC 9112 §3.2: an empty authority is sent as an empty Host).
    static func isValidAuthority(_ s: String) -> Bool {
        var b = Array(s.utf8)[...]
        if b.first == 0x5B {  // "[" IP-literal "]"
            guard let close = b.firstIndex(of: 0x5D) else { return false }
            let inner = b[(b.startIndex + 1)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ hexValue($0) != nil || $0 == 0x3A || $0 == 0x2E }) else { return false }
            b = b[(close + 1)...]
        } else {
            let hostEnd = b.firstIndex(of: 0x3A) ?? b.endIndex
            for c in b[..<hostEnd] {
                let ok: Bool
                switch c {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: ok = true
                case 0x2D, 0x2E, 0x5F, 0x7E: ok = true                                   // - . _ ~
                case 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D: ok = true  // sub-delims
                case 0x25: ok = true                                                     // pct-encoded
                default: ok = false
                }
                if !ok { return false }
            }
            b = b[hostEnd...]
        }
        if b.isEmpty { return true }
        guard b.first == 0x3A else { return false }
        let port = b.dropFirst()
        return port.count <= 5 && port.allSatisfy(isDigit)
    }

    private func splitField(_ r: Range<Int>) throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        var colon = r.lowerBound
        while colon < r.upperBound && buf[colon] != 0x3A { colon += 1 }
        guard colon < r.upperBound else { throw .badRequest("header line without colon") }
        guard colon > r.lowerBound else { throw .badRequest("empty header name") }
        if buf[colon - 1] == 0x20 || buf[colon - 1] == 0x09 { throw .badRequest("whitespace between header name and colon") }
        for i in r.lowerBound..<colon where !isTChar(buf[i]) {
            throw .badRequest("invalid character in header name")
        }
        var vs = colon + 1, ve = r.upperBound
        while vs < ve && (buf[vs] == 0x20 || buf[vs] == 0x09) { vs += 1 }
        while ve > vs && (buf[ve - 1] == 0x20 || buf[ve - 1] == 0x09) { ve -= 1 }
        for i in vs..<ve {
            let b = buf[i]
            if (b < 0x20 && b != 0x09) || b == 0x7F { throw .badRequest("invalid character in header value") }
        }
        return (r.lowerBound..<colon, vs..<ve)
    }

    private mutating func parseHeaderLine(_ r: Range<Int>) throws(HTTPParseError) {
        if buf[r.lowerBound] == 0x20 || buf[r.lowerBound] == 0x09 {
            throw .badRequest("obsolete line folding is not accepted")
        }
        let (n, v) = try splitField(r)
        headers.append((name: String(decoding: buf[n], as: UTF8.self),
                        value: String(decoding: buf[v], as: UTF8.self)))
    }

    /// Checks `Host` and `Expect`, decides the body framing once the empty line ending the head has arrived,
    /// and asks `bodyRetention` how much of the body to keep. Returns the request when it has no body.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequest? {
        var teValues: [String] = []
        var clValues: [String] = []
        var hosts: [String] = []
        var expectContinue = false
        for h in headers {
            if asciiCaseInsensitiveEquals(h.name, "transfer-encoding") { teValues.append(h.value) }
            else if asciiCaseInsensitiveEquals(h.name, "content-length") { clValues.append(h.value) }
            else if asciiCaseInsensitiveEquals(h.name, "host") { hosts.append(h.value) }
            else if asciiCaseInsensitiveEquals(h.name, "expect") {
                for part in h.value.split(separator: ",") {
                    let t = part.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                    if t.isEmpty { continue }
                    guard asciiCaseInsensitiveEquals(t, "100-continue") else {
                        throw .expectationFailed("unsupported expectation '\(t.prefix(40))' (only 100-continue)")
                    }
                    expectContinue = true
                }
            }
        }
        // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1, at most one in HTTP/1.0.
        if hosts.count > 1 { throw .badRequest("more than one Host header") }
        if hosts.isEmpty && version == "HTTP/1.1" { throw .badRequest("an HTTP/1.1 request needs a Host header") }
        if let host = hosts.first, !Self.isValidAuthority(host) { throw .badRequest("invalid Host header") }
        authority = absoluteAuthority ?? hosts.first
        let keep = bodyRetention.map { max(0, $0(head())) } ?? .max
        if !teValues.isEmpty {
            if !clValues.isEmpty { throw .badRequest("both Content-Length and Transfer-Encoding") }
            if version == "HTTP/1.0" { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            var codings: [String] = []
            for v in teValues {
                for part in v.split(separator: ",", omittingEmptySubsequences: false) {
                    let t = part.trimmingCharacters(in: CharacterSet(charactersIn: " \t")).lowercased()
                    if !t.isEmpty { codings.append(t) }
                }
            }
            guard let last = codings.last else { throw .badRequest("empty Transfer-Encoding") }
            let chunkedCount = codings.filter { $0 == "chunked" }.count
            if chunkedCount > 1 { throw .badRequest("chunked applied more than once") }
            if chunkedCount == 1 && last != "chunked" { throw .badRequest("chunked is not the final transfer coding") }
            if let other = codings.first(where: { $0 != "chunked" }) {
                throw .unsupportedTransferEncoding("transfer coding '\(other.prefix(40))' is not supported")
            }
            state = .chunkSize
            keepLimit = keep
            continuePending = expectContinue && version == "HTTP/1.1"
            return nil
        }
        if !clValues.isEmpty {
            var length: Int?
            for v in clValues {
                for part in v.split(separator: ",", omittingEmptySubsequences: false) {
                    let t = part.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                    let n = try parseDecimal(t)
                    if let l = length, l != n { throw .badRequest("conflicting Content-Length values") }
                    length = n
                }
            }
            let n = length ?? 0
            if n > limits.maxBodyBytes { throw .bodyTooLarge("Content-Length \(n) exceeds \(limits.maxBodyBytes) bytes") }
            if n == 0 { return emit() }
            keepLimit = keep
            body.reserveCapacity(min(n, keep, 64 * 1024))
            remaining = n
            state = .fixedBody
            continuePending = expectContinue && version == "HTTP/1.1"
            return nil
        }
        return emit()
    }

    private func parseDecimal(_ s: String) throws(HTTPParseError) -> Int {
        guard !s.isEmpty else { throw .badRequest("empty Content-Length") }
        var n = 0
        for b in s.utf8 {
            guard isDigit(b) else { throw .badRequest("invalid Content-Length") }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(b - 0x30))
            if o1 || o2 { throw .badRequest("Content-Length overflows") }
            n = a
        }
        return n
    }

    /// `chunk-size [ chunk-ext ]` with chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
    private func parseChunkSize(_ r: Range<Int>) throws(HTTPParseError) -> Int {
        var i = r.lowerBound
        var n = 0
        var digits = 0
        while i < r.upperBound, let d = hexValue(buf[i]) {
            let (m, o1) = n.multipliedReportingOverflow(by: 16)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { throw .badRequest("chunk size overflows") }
            n = a
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw .badRequest("invalid chunk size") }
        func skipWS() { while i < r.upperBound && (buf[i] == 0x20 || buf[i] == 0x09) { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < r.upperBound && isTChar(buf[i]) { i += 1 }
            return i > start
        }
        while i < r.upperBound {
            skipWS()
            guard i < r.upperBound, buf[i] == 0x3B else { throw .badRequest("invalid chunk size") }
            i += 1
            skipWS()
            guard token() else { throw .badRequest("invalid chunk extension") }
            let save = i
            skipWS()
            guard i < r.upperBound, buf[i] == 0x3D else { i = save; continue }
            i += 1
            skipWS()
            if i < r.upperBound && buf[i] == 0x22 {  // quoted-string
                i += 1
                var closed = false
                while i < r.upperBound {
                    let c = buf[i]
                    if c == 0x22 { closed = true; i += 1; break }
                    if c == 0x5C { i += 2; continue }
                    if (c < 0x20 && c != 0x09) || c == 0x7F { break }
                    i += 1
                }
                guard closed, i <= r.upperBound else { throw .badRequest("invalid chunk extension") }
            } else if !token() {
                throw .badRequest("invalid chunk extension")
            }
        }
        return n
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

@inline(__always) func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 0x30...0x39: return Int(b - 0x30)
    case 0x41...0x46: return Int(b - 0x41 + 10)
    case 0x61...0x66: return Int(b - 0x61 + 10)
    default: return nil
    }
}

/// token characters (RFC 9110 tchar).
@inline(__always) func isTChar(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
    default: return false
    }
}
