import CCurl
import Foundation

/// libcurl is loaded (`otter_curl_load`, see CCurl's shim.h) and `curl_global_init` runs, exactly once, lazily, the
/// first time any client is created (Swift initialises globals with `swift_once`, so this is thread-safe).
private let curlGlobalInitResult: CURLcode = otter_curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// A blocking HTTP/HTTPS client over libcurl (an easy handle driven through a multi handle of its own).
///
/// Thread safety: `send` may be called from any thread, concurrently. Each transfer runs on an easy
/// handle that no other thread touches meanwhile: handles live in a small pool; a call takes one
/// (or creates one), and gives it back afterwards. Handles are reset and reused, so their
/// connection cache, DNS cache and TLS session cache carry over: sequential requests to the same
/// host reuse the connection.
///
/// Proxies: `CURLOPT_PROXY` is never set, so libcurl reads `http_proxy`, `https_proxy`, `all_proxy`
/// and `no_proxy` from the environment as usual.
public final class HTTPClient: @unchecked Sendable {
    public let configuration: ClientConfiguration

    private let lock = NSLock()
    private var idle: [EasyHandle] = []   // guarded by `lock`
    private let maxIdleHandles = 4

    public init(configuration: ClientConfiguration = .init()) {
        _ = curlGlobalInitResult
        self.configuration = configuration
    }

    /// Sends the request and waits for the whole response (or `request.timeout`).
    /// HTTP 4xx and 5xx are returned as `.success` responses; only transport failures are errors.
    public func send(_ request: ClientRequest) -> Result<ClientResponse, ClientError> {
        if curlGlobalInitResult != CURLE_OK {
            let why = String(cString: otter_curl_load_error())
            return .failure(.other(code: Int(curlGlobalInitResult.rawValue),
                                   message: why.isEmpty ? "curl_global_init failed" : "libcurl could not be loaded: \(why)"))
        }
        guard let handle = checkOut() else {
            return .failure(.other(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed"))
        }
        let result = handle.perform(request, configuration: configuration)
        checkIn(handle)
        return result
    }

    private func checkOut() -> EasyHandle? {
        lock.lock()
        let reused = idle.popLast()
        lock.unlock()
        return reused ?? EasyHandle()
    }

    private func checkIn(_ handle: EasyHandle) {
        lock.lock()
        if idle.count < maxIdleHandles {
            idle.append(handle)
        }
        lock.unlock()
        // A handle not kept is cleaned up (connections closed) when its last reference goes.
    }
}

/// Per-transfer state the C callbacks write into, reached through an unretained context pointer
/// that is only used while `curl_easy_perform` runs (the caller keeps the object alive).
private final class TransferState {
    let bodyLimit: Int
    let isCancelled: (@Sendable () -> Bool)?
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var bodyTooLarge = false
    /// Set when `isCancelled` stopped the transfer.
    var cancelled = false

    init(bodyLimit: Int, isCancelled: (@Sendable () -> Bool)?) { self.bodyLimit = bodyLimit; self.isCancelled = isCancelled }

    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if body.count + bytes.count > bodyLimit {
            bodyTooLarge = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func headerLine(_ bytes: UnsafeRawBufferPointer) {
        var line = String(decoding: bytes, as: UTF8.self)
        while line.hasSuffix("\r\n") || line.hasSuffix("\n") || line.hasSuffix("\r") {
            line.removeLast()
        }
        if line.isEmpty { return }                           // end of a header block
        if line.hasPrefix("HTTP/") {
            headers.removeAll()                              // a new response (1xx, redirect, proxy CONNECT, final)
            return
        }
        if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
            // Obsolete line folding: continuation of the previous header's value.
            let extra = line.trimmingCharacters(in: .whitespaces)
            let last = headers.count - 1
            headers[last].value += headers[last].value.isEmpty ? extra : " " + extra
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers.append((name: name, value: value))
    }
}

private let writeCallback: otter_curl_data_callback = { ptr, size, nmemb, userdata in
    let count = size * nmemb
    guard let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    guard count > 0, let ptr else { return count }
    // Returning anything but `count` aborts the transfer with CURLE_WRITE_ERROR.
    return state.appendBody(UnsafeRawBufferPointer(start: ptr, count: count)) ? count : 0
}

private let headerCallback: otter_curl_data_callback = { ptr, size, nmemb, userdata in
    let count = size * nmemb
    guard let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    if count > 0, let ptr {
        state.headerLine(UnsafeRawBufferPointer(start: ptr, count: count))
    }
    return count
}

/// One `CURL *` plus the memory libcurl points into (error buffer, header list). Used by one thread at a time.
///
/// The transfer runs on a multi handle of its own (which holds the connection cache), driven here rather than by
/// `curl_easy_perform`: between two looks at the network the loop asks the request whether it is cancelled, so a
/// cancelled transfer stops within `cancelCheckMs` instead of at its timeout.
private final class EasyHandle {
    let curl: UnsafeMutableRawPointer
    let multi: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// The request header list of the current/last transfer. libcurl does not copy it, so it lives until
    /// the next transfer on this handle replaces it, or the handle is cleaned up.
    var headerList: UnsafeMutablePointer<curl_slist>?

    /// How long the loop waits on the network before asking `isCancelled` again.
    static let cancelCheckMs: Int32 = 50

    init?() {
        guard let curl = otter_curl_easy_init() else { return nil }
        guard let multi = otter_curl_multi_init() else { otter_curl_easy_cleanup(curl); return nil }
        self.curl = curl
        self.multi = multi
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        otter_curl_easy_cleanup(curl)          // before freeing what it may still point at
        otter_curl_multi_cleanup(multi)        // closes the connections it kept
        otter_curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func perform(_ request: ClientRequest, configuration: ClientConfiguration) -> Result<ClientResponse, ClientError> {
        // Keeps live connections, DNS cache and TLS sessions; clears every option.
        otter_curl_easy_reset(curl)
        otter_curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer[0] = 0

        let state = TransferState(bodyLimit: max(0, configuration.maxResponseBodyBytes), isCancelled: request.isCancelled)
        if request.isCancelled?() == true { return .failure(.aborted("cancelled before the request was sent")) }
        let context = Unmanaged.passUnretained(state).toOpaque()

        let setup = configure(request, configuration: configuration, context: context)
        if case .failure(let error) = setup { return .failure(error) }

        // CURLOPT_POSTFIELDS is not copied: perform inside the body's buffer scope.
        // An empty array may have no storage; libcurl needs a real pointer even for 0 bytes.
        let bodyCount = request.body.count
        let bodyStorage = bodyCount == 0 ? [0] : request.body
        let code: CURLcode = withExtendedLifetime(state) {
            bodyStorage.withUnsafeBytes { body -> CURLcode in
                if needsBody(request) {
                    let rc1 = otter_curl_setopt_ptr(curl, CURLOPT_POSTFIELDS, body.baseAddress)
                    if rc1 != CURLE_OK { return rc1 }
                    let rc2 = otter_curl_setopt_off(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount))
                    if rc2 != CURLE_OK { return rc2 }
                }
                let rc = transfer(state)
                // Do not leave a dangling pointer in the handle.
                _ = otter_curl_setopt_ptr(curl, CURLOPT_POSTFIELDS, nil)
                return rc
            }
        }

        if code != CURLE_OK {
            if state.cancelled {
                return .failure(.aborted("the transfer was cancelled by the caller before an answer came"))
            }
            if state.bodyTooLarge {
                return .failure(.other(code: Int(code.rawValue),
                                       message: "response body too large (limit \(state.bodyLimit) bytes)"))
            }
            return .failure(Self.mapError(code, message: errorMessage(code)))
        }

        var status = 0
        var version = 0
        var connects = 0
        _ = getLong(CURLINFO_RESPONSE_CODE, &status)
        _ = getLong(CURLINFO_HTTP_VERSION, &version)
        _ = getLong(CURLINFO_NUM_CONNECTS, &connects)

        var effective: UnsafePointer<CChar>?
        _ = otter_curl_getinfo_string(curl, CURLINFO_EFFECTIVE_URL, &effective)

        let timings = Timings(
            dns: getSeconds(CURLINFO_NAMELOOKUP_TIME_T),
            connect: getSeconds(CURLINFO_CONNECT_TIME_T),
            tls: getSeconds(CURLINFO_APPCONNECT_TIME_T),
            firstByte: getSeconds(CURLINFO_STARTTRANSFER_TIME_T),
            total: getSeconds(CURLINFO_TOTAL_TIME_T))

        return .success(ClientResponse(
            status: status,
            headers: state.headers,
            body: state.body,
            timings: timings,
            effectiveURL: effective.map { String(cString: $0) } ?? request.url,
            httpVersion: Self.httpVersion(version),
            newConnections: connects))
    }

    /// Runs the configured transfer to its end (or its cancellation) and returns its result.
    private func transfer(_ state: TransferState) -> CURLcode {
        if otter_curl_multi_add_handle(multi, curl) != CURLM_OK { return CURLE_FAILED_INIT }
        defer { otter_curl_multi_remove_handle(multi, curl) }
        let wait = state.isCancelled == nil ? 1000 : Self.cancelCheckMs
        while true {
            var running: Int32 = 0
            if otter_curl_multi_perform(multi, &running) != CURLM_OK { return CURLE_FAILED_INIT }
            if running == 0 { break }
            if state.isCancelled?() == true {
                state.cancelled = true
                return CURLE_ABORTED_BY_CALLBACK
            }
            if otter_curl_multi_poll(multi, nil, 0, wait, nil) != CURLM_OK { return CURLE_FAILED_INIT }
        }
        var left: Int32 = 0
        while let m = otter_curl_multi_info_read(multi, &left) {
            if m.pointee.msg == CURLMSG_DONE { return m.pointee.data.result }
        }
        return CURLE_FAILED_INIT
    }

    // MARK: - Options

    private func configure(_ request: ClientRequest, configuration: ClientConfiguration,
                           context: UnsafeMutableRawPointer) -> Result<Void, ClientError> {
        for (name, value) in request.headers {
            if !Self.isValidHeader(name: name, value: value) {
                return .failure(.other(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                       message: "invalid request header \(name.debugDescription)"))
            }
        }
        let method = request.method
        if method.isEmpty || method.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) {
            return .failure(.other(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                   message: "invalid request method \(method.debugDescription)"))
        }

        var failure: CURLcode = CURLE_OK
        func check(_ rc: CURLcode) {
            if failure == CURLE_OK && rc != CURLE_OK { failure = rc }
        }
        func setLong(_ option: CURLoption, _ value: Int) { check(otter_curl_setopt_long(curl, option, value)) }
        func setString(_ option: CURLoption, _ value: String) {
            // libcurl copies string options (except CURLOPT_POSTFIELDS, which is handled elsewhere).
            check(value.withCString { otter_curl_setopt_ptr(curl, option, $0) })
        }

        check(otter_curl_setopt_ptr(curl, CURLOPT_ERRORBUFFER, errorBuffer))
        setLong(CURLOPT_NOSIGNAL, 1)
        let timeoutMs = request.timeout.isFinite ? max(1, Int((request.timeout * 1000).rounded(.up))) : Int(Int32.max)
        setLong(CURLOPT_TIMEOUT_MS, timeoutMs)
        setString(CURLOPT_URL, request.url)
        setString(CURLOPT_PROTOCOLS_STR, "http,https")
        if request.addsDefaultHeaders { setString(CURLOPT_USERAGENT, configuration.userAgent) }
        if configuration.verbose { setLong(CURLOPT_VERBOSE, 1) }

        // TLS: verification stays on (libcurl's default) unless explicitly disabled.
        if let caFile = configuration.caFile { setString(CURLOPT_CAINFO, caFile) }
        if configuration.insecure {
            setLong(CURLOPT_SSL_VERIFYPEER, 0)
            setLong(CURLOPT_SSL_VERIFYHOST, 0)
        } else {
            setLong(CURLOPT_SSL_VERIFYPEER, 1)
            setLong(CURLOPT_SSL_VERIFYHOST, 2)
        }

        if configuration.followRedirects {
            setLong(CURLOPT_FOLLOWLOCATION, 1)
            setLong(CURLOPT_MAXREDIRS, configuration.maxRedirects)
            setString(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        }

        // Method. With a body, CURLOPT_POSTFIELDS (set just before perform) makes it a POST;
        // CURLOPT_CUSTOMREQUEST then replaces the verb on the wire.
        switch method {
        case "GET" where request.body.isEmpty:
            setLong(CURLOPT_HTTPGET, 1)
        case "HEAD" where request.body.isEmpty:
            setLong(CURLOPT_NOBODY, 1)
        case "POST":
            break
        default:
            setString(CURLOPT_CUSTOMREQUEST, method)
        }

        // Request headers, then "Expect:" so libcurl never waits for 100-continue before sending the body.
        var list: UnsafeMutablePointer<curl_slist>? = nil
        var sawExpect = false, sawAccept = false
        for (name, value) in request.headers {
            if name.lowercased() == "expect" { sawExpect = true }
            if name.lowercased() == "accept" { sawAccept = true }
            // "Name;" is libcurl's way to send a header with an empty value ("Name:" would remove it).
            let line = value.isEmpty ? "\(name);" : "\(name): \(value)"
            list = Self.append(list, line)
        }
        if !sawExpect { list = Self.append(list, "Expect:") }
        // "Accept:" with no value takes libcurl's own "Accept: */*" away.
        if !request.addsDefaultHeaders && !sawAccept { list = Self.append(list, "Accept:") }
        headerList = list
        check(otter_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, list))

        check(otter_curl_setopt_data_callback(curl, CURLOPT_WRITEFUNCTION, writeCallback))
        check(otter_curl_setopt_ptr(curl, CURLOPT_WRITEDATA, context))
        check(otter_curl_setopt_data_callback(curl, CURLOPT_HEADERFUNCTION, headerCallback))
        check(otter_curl_setopt_ptr(curl, CURLOPT_HEADERDATA, context))

        if failure != CURLE_OK {
            return .failure(.other(code: Int(failure.rawValue), message: errorMessage(failure)))
        }
        return .success(())
    }

    private func needsBody(_ request: ClientRequest) -> Bool {
        if !request.body.isEmpty { return true }
        // An empty POST/PUT/PATCH still sends "Content-Length: 0".
        switch request.method {
        case "POST", "PUT", "PATCH": return true
        default: return false
        }
    }

    private static func append(_ list: UnsafeMutablePointer<curl_slist>?, _ line: String) -> UnsafeMutablePointer<curl_slist>? {
        // curl_slist_append copies the string. On allocation failure it returns NULL and leaves `list` intact.
        line.withCString { otter_curl_slist_append(list, $0) } ?? list
    }

    private static func isValidHeader(name: String, value: String) -> Bool {
        if name.isEmpty { return false }
        if name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 >= 0x7f }) { return false }
        if value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) { return false }
        return true
    }

    // MARK: - Info and errors

    private func getLong(_ info: CURLINFO, _ out: inout Int) -> Bool {
        var value = 0
        let ok = otter_curl_getinfo_long(curl, info, &value) == CURLE_OK
        if ok { out = value }
        return ok
    }

    private func getSeconds(_ info: CURLINFO) -> TimeInterval {
        var micros: curl_off_t = 0
        guard otter_curl_getinfo_off(curl, info, &micros) == CURLE_OK else { return 0 }
        return TimeInterval(micros) / 1_000_000
    }

    private func errorMessage(_ code: CURLcode) -> String {
        let buffered = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        if !buffered.isEmpty { return buffered }
        return String(cString: otter_curl_easy_strerror(code))
    }

    static func httpVersion(_ value: Int) -> HTTPVersion {
        switch value {
        case CURL_HTTP_VERSION_1_0: return .http1_0
        case CURL_HTTP_VERSION_1_1: return .http1_1
        case CURL_HTTP_VERSION_2_0: return .http2
        case CURL_HTTP_VERSION_3: return .http3
        default: return .unknown
        }
    }

    static func mapError(_ code: CURLcode, message: String) -> ClientError {
        switch code {
        case CURLE_COULDNT_CONNECT:
            return .connectionRefused(message)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls(message)
        default:
            return .other(code: Int(code.rawValue), message: message)
        }
    }
}
