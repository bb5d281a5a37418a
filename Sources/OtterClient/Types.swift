import Foundation

/// One HTTP request. The body is sent byte-for-byte as given.
public struct ClientRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in order, as given. A header with an empty value is sent as `Name:` with no value.
    /// Setting `Host`, `User-Agent`, `Content-Type`, etc. here replaces libcurl's own.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-transfer limit (connect + send + receive), in seconds. Always applied (`CURLOPT_TIMEOUT_MS`).
    public var timeout: TimeInterval
    /// Asked before the transfer starts and about every 50 ms while it runs (whether data moves or not); once it
    /// returns true the transfer is abandoned and `send` returns `.aborted`. For a caller that must stop at once
    /// (Ctrl-C) without waiting out `timeout`.
    public var isCancelled: (@Sendable () -> Bool)?
    /// Whether libcurl adds the headers it adds by default (`User-Agent` from the configuration, `Accept: */*`).
    /// False for a request forwarded as it came (a proxy): only `headers` are sent, with `Host`, `Content-Length`
    /// and `Expect:` that the transfer itself needs.
    public var addsDefaultHeaders: Bool

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeout: TimeInterval = 10, isCancelled: (@Sendable () -> Bool)? = nil, addsDefaultHeaders: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.isCancelled = isCancelled
        self.addsDefaultHeaders = addsDefaultHeaders
    }
}

/// Phase times of one transfer, in seconds, as libcurl reports them (`CURLINFO_*_TIME_T`, microsecond precision).
///
/// Like libcurl's, every value is measured from the start of the transfer, so they are cumulative:
/// `dns <= connect <= tls <= firstByte <= total` for a fresh connection. On a reused connection
/// `dns`, `connect` and `tls` are 0. For plain HTTP `tls` is 0.
public struct Timings: Sendable, Equatable {
    public var dns: TimeInterval
    public var connect: TimeInterval
    public var tls: TimeInterval
    public var firstByte: TimeInterval
    public var total: TimeInterval

    public init(dns: TimeInterval = 0, connect: TimeInterval = 0, tls: TimeInterval = 0,
                firstByte: TimeInterval = 0, total: TimeInterval = 0) {
        self.dns = dns
        self.connect = connect
        self.tls = tls
        self.firstByte = firstByte
        self.total = total
    }
}

/// HTTP version the response was received over (`CURLINFO_HTTP_VERSION`).
public enum HTTPVersion: String, Sendable, Equatable, CustomStringConvertible {
    case http1_0 = "HTTP/1.0"
    case http1_1 = "HTTP/1.1"
    case http2 = "HTTP/2"
    case http3 = "HTTP/3"
    case unknown = "unknown"

    public var description: String { rawValue }
}

/// A received response. Any status code, including 4xx and 5xx, is a response rather than an error.
public struct ClientResponse: Sendable {
    public var status: Int
    /// Headers of the final response only (those of 1xx interim responses and followed redirects are dropped),
    /// in the order received, names as sent by the server. Trailers of a chunked response are appended.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var timings: Timings
    /// The last URL used: differs from the request's only when redirects were followed.
    public var effectiveURL: String
    public var httpVersion: HTTPVersion
    /// Number of new connections libcurl opened for this request (`CURLINFO_NUM_CONNECTS`);
    /// 0 means an existing connection was reused.
    public var newConnections: Int

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                timings: Timings = .init(), effectiveURL: String = "", httpVersion: HTTPVersion = .http1_1,
                newConnections: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.timings = timings
        self.effectiveURL = effectiveURL
        self.httpVersion = httpVersion
        self.newConnections = newConnections
    }

    /// First value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// All values of the header `name`, compared case-insensitively, in order.
    public func headerValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}

/// Client-wide settings.
///
/// Proxies: the client never sets `CURLOPT_PROXY`, so libcurl's own environment handling applies:
/// `http_proxy`, `https_proxy` (or `HTTPS_PROXY`), `all_proxy` and `no_proxy` are honoured per request.
/// (libcurl ignores upper-case `HTTP_PROXY`, as a CGI safety measure.)
public struct ClientConfiguration: Sendable {
    /// PEM bundle of trusted CAs (`CURLOPT_CAINFO`). `nil` uses the system bundle.
    public var caFile: String?
    /// Disables TLS peer and host-name verification. For test servers with self-signed certificates only.
    public var insecure: Bool
    public var userAgent: String
    /// libcurl's `CURLOPT_VERBOSE` trace, written to standard error.
    public var verbose: Bool
    /// Follow 3xx responses (at most `maxRedirects`, http and https only).
    public var followRedirects: Bool
    public var maxRedirects: Int
    /// Larger response bodies fail with `.other(... "response body too large ...")`.
    public var maxResponseBodyBytes: Int

    public init(caFile: String? = nil, insecure: Bool = false, userAgent: String = "otter-cert",
                verbose: Bool = false, followRedirects: Bool = false, maxRedirects: Int = 10,
                maxResponseBodyBytes: Int = 8 * 1024 * 1024) {
        self.caFile = caFile
        self.insecure = insecure
        self.userAgent = userAgent
        self.verbose = verbose
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
        self.maxResponseBodyBytes = maxResponseBodyBytes
    }
}

/// A transfer that produced no HTTP response. Each message is libcurl's error-buffer text
/// (`CURLOPT_ERRORBUFFER`), or `curl_easy_strerror` when that is empty.
public enum ClientError: Error, CustomStringConvertible, Equatable {
    /// `CURLE_COULDNT_CONNECT`: nothing listening, connection refused or unreachable.
    case connectionRefused(String)
    /// `CURLE_COULDNT_RESOLVE_HOST` / `CURLE_COULDNT_RESOLVE_PROXY`.
    case dns(String)
    /// Any `CURLE_SSL_*` code, `CURLE_PEER_FAILED_VERIFICATION`, `CURLE_USE_SSL_FAILED`.
    case tls(String)
    /// `CURLE_OPERATION_TIMEDOUT`: the request's `timeout` elapsed.
    case timeout(String)
    /// `CURLE_ABORTED_BY_CALLBACK`: the request's `isCancelled` said so before an answer came.
    case aborted(String)
    /// Everything else; `code` is the `CURLcode`.
    case other(code: Int, message: String)

    public var message: String {
        switch self {
        case .connectionRefused(let m), .dns(let m), .tls(let m), .timeout(let m), .aborted(let m): return m
        case .other(_, let m): return m
        }
    }

    public var description: String {
        switch self {
        case .connectionRefused(let m): return "connection failed: \(m)"
        case .dns(let m): return "name resolution failed: \(m)"
        case .tls(let m): return "TLS error: \(m)"
        case .timeout(let m): return "timed out: \(m)"
        case .aborted(let m): return "aborted: \(m)"
        case .other(let code, let m): return "transfer failed (curl \(code)): \(m)"
        }
    }
}
