import Foundation

/// Why a request could not be parsed. Each case maps to the status code the server answers with;
/// after any of them the connection is closed.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Malformed message (framing, syntax, ambiguous length). 400.
    case badRequest(String)
    /// Request line + headers (or trailers) too large, or too many header fields. 431.
    case headersTooLarge(String)
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
        case .bodyTooLarge: return "content_too_large"
        case .unsupportedTransferEncoding: return "not_implemented"
        case .unsupportedVersion: return "http_version_not_supported"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .headersTooLarge(let m), .bodyTooLarge(let m),
             .unsupportedTransferEncoding(let m), .unsupportedVersion(let m):
            return m
        }
    }

    public var description: String { "\(status) \(code): \(message)" }
}

/// Incremental HTTP/1.x request parser. Pure: no I/O, no clocks.
///
/// Feed it bytes as they arrive and call `next()` until it returns nil (needs more bytes).
/// Memory is bounded by the limits: unterminated head lines are rejected once the head would
/// exceed `maxHeaderBytes`, the body never grows past `maxBodyBytes`, and bytes are consumed
/// as they are parsed. Bytes after a complete request stay buffered (pipelining); the caller
/// decides how much it feeds while it is busy.
///
/// After an error the parser stays failed: every later `next()` throws the same error.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int
        public var maxBodyBytes: Int
        /// Longest accepted chunk-size line (size + extensions).
        public var maxChunkLineBytes: Int
        public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20,
                    maxChunkLineBytes: Int = 4096) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.maxChunkLineBytes = maxChunkLineBytes
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

    public let limits: Limits

    private var buf: [UInt8] = []
    private var pos = 0      // first unconsumed byte
    private var scan = 0     // LF search resumes here (>= pos)
    private var state: State = .requestLine
    private var failure: HTTPParseError?

    private var headBytes = 0
    private var method = ""
    private var target = ""
    private var version = ""
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var remaining = 0
    private var trailerBytes = 0
    private var continuePending = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
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
                    if headBytes + pendingLineBytes > limits.maxHeaderBytes {
                        throw .headersTooLarge("request line too long")
                    }
                    return nil
                }
                headBytes += consumed
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
                    if size > limits.maxBodyBytes - body.count {
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

    private mutating func copyBody() {
        let n = min(remaining, buf.count - pos)
        if n > 0 {
            body.append(contentsOf: buf[pos..<(pos + n)])
            pos += n
            scan = pos
            remaining -= n
        }
    }

    private mutating func emit() -> HTTPRequest {
        let req = HTTPRequest(method: method, target: target, version: version,
                              headers: HTTPHeaders(headers.map { ($0.name, $0.value) }), body: body)
        method = ""
        target = ""
        version = ""
        headers = []
        body = []
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
        guard major == 1, minor <= 1 else {
            throw .unsupportedVersion("HTTP/\(major).\(minor) is not supported")
        }
        method = String(decoding: buf[r.lowerBound..<sp1], as: UTF8.self)
        target = String(decoding: buf[(sp1 + 1)..<sp2], as: UTF8.self)
        version = minor == 0 ? "HTTP/1.0" : "HTTP/1.1"
    }

    private func splitField(_ r: Range<Int>) throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        var colon = r.lowerBound
        while colon < r.upperBound && buf[colon] != 0x3A { colon += 1 }
        guard colon < r.upperBound else { throw .badRequest("header line without colon") }
        guard colon > r.lowerBound else { throw .badRequest("empty header name") }
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

    /// Decides the body framing once the empty line ending the head has arrived.
    /// Returns the request when it has no body.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequest? {
        var teValues: [String] = []
        var clValues: [String] = []
        var expectContinue = false
        for h in headers {
            if asciiCaseInsensitiveEquals(h.name, "transfer-encoding") { teValues.append(h.value) }
            else if asciiCaseInsensitiveEquals(h.name, "content-length") { clValues.append(h.value) }
            else if asciiCaseInsensitiveEquals(h.name, "expect") {
                expectContinue = asciiCaseInsensitiveEquals(h.value, "100-continue")
            }
        }
        if !teValues.isEmpty {
            if !clValues.isEmpty { throw .badRequest("both Content-Length and Transfer-Encoding") }
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
            body.reserveCapacity(min(n, 64 * 1024))
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
        // Optional whitespace, then either the end or chunk extensions (ignored).
        while i < r.upperBound && (buf[i] == 0x20 || buf[i] == 0x09) { i += 1 }
        if i < r.upperBound && buf[i] != 0x3B { throw .badRequest("invalid chunk size") }
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
