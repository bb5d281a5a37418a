import Foundation
import OtterCore
import OtterHTTP

/// The live view: one page served by the project's HTTP server, `GET /` (the report as of now, server-rendered) and
/// `GET /events` (Server-Sent Events carrying the page's new content as it changes).
///
/// Reusable by whatever judges live (`run`, `observe --follow`, a proxy): it asks `state` for the current snapshot
/// and the report's source, and is told `changed()` when something new was judged (it also looks again every second,
/// so the seconds left count down). `finish` pins the final snapshot: streams send it as their last event and end.
///
/// Listens on loopback unless given a token; with a token, every request must carry it (`?token=` or
/// `Authorization: Bearer`), else 401. The token is never written into a page, a header or an error.
public final class LiveView: @unchecked Sendable {
    /// What the page shows now: nil while nothing is judged yet.
    public typealias State = @Sendable () -> (snapshot: LiveSnapshot, source: ReportSource)?

    /// Where it listens and who may look.
    public struct Configuration: Sendable {
        /// Host to listen on ("127.0.0.1" by default).
        public var host: String
        /// Port (0: any free port; read `url` after `start`).
        public var port: Int
        /// The token every request must carry; required on a non-loopback host.
        public var token: String?
        /// At most this many event streams at once (each holds a server thread); more are answered 503.
        public var maxStreams = 8
        /// The fewest seconds between two events of a stream.
        public var minInterval = 0.25
        /// How often a stream looks again without being told (seconds left change by themselves).
        public var refresh = 1.0
        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 0, token: String? = nil) {
            self.host = host; self.port = port; self.token = token
        }
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { p in UInt8(p) != nil }
    }

    /// `--live-view HOST:PORT` as host and port ("[::1]:0" too).
    public static func hostPort(_ s: String) throws(HarnessError) -> (String, Int) {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw .input("--live-view must be HOST:PORT (127.0.0.1:8090, or port 0 for any free port), got '\(s)'")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Whether a request carries the token (always true without one). Constant time in the token's length.
    public static func authorized(_ request: HTTPRequest, token: String?) -> Bool {
        guard let token else { return true }
        var given: [String] = []
        if let a = request.headers["Authorization"] {
            let parts = a.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { given.append(parts[1].trimmingCharacters(in: .whitespaces)) }
        }
        for pair in (request.query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2, kv[0] == "token" {
                given.append(String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1]))
            }
        }
        let want = Array(token.utf8)
        return given.contains { g in
            let b = Array(g.utf8)
            guard b.count == want.count else { return false }
            var diff: UInt8 = 0
            for i in 0..<b.count { diff |= b[i] ^ want[i] }
            return diff == 0
        }
    }

    /// Whether the request's `Host` names a loopback address (any port). Without a token a loopback view answers only
    /// such requests: a web page elsewhere cannot read it by pointing a name of its own at 127.0.0.1 (DNS rebinding).
    public static func loopbackAuthority(_ request: HTTPRequest) -> Bool {
        guard var a = request.authority, !a.isEmpty else { return false }
        if a.hasPrefix("[") {
            guard let close = a.firstIndex(of: "]") else { return false }
            a = String(a[a.index(after: a.startIndex)..<close])
        } else if let colon = a.lastIndex(of: ":") {
            a = String(a[..<colon])
        }
        return isLoopback(a)
    }

    public let configuration: Configuration
    private let state: State
    private var server: HTTPServer?
    private let condition = NSCondition()
    // Under `condition`:
    private var generation = 0
    private var finalState: (snapshot: LiveSnapshot, source: ReportSource)?
    private var stopped = false
    private var streams = 0
    private var cache: (at: Double, generation: Int, root: String, page: String, final: Bool)?

    /// A live view over `state`. Refuses a non-loopback host without a token (nothing is bound yet).
    public init(configuration: Configuration, state: @escaping State) throws(HarnessError) {
        if let t = configuration.token, t.isEmpty { throw .input("--live-view-token must not be empty") }
        if !Self.isLoopback(configuration.host) && configuration.token == nil {
            throw .input("--live-view \(configuration.host):\(configuration.port) is not a loopback address: anyone who can reach it "
                         + "would see the run. Give --live-view-token TOKEN (every request then needs ?token= or Authorization: Bearer), "
                         + "or listen on 127.0.0.1")
        }
        self.configuration = configuration
        self.state = state
    }

    /// Starts listening; returns the URL to open (without the token).
    @discardableResult
    public func start() throws(HarnessError) -> String {
        var c = HTTPServer.Configuration()
        c.host = configuration.host
        c.port = configuration.port
        c.maxBodyBytes = 4096
        c.handlerThreads = configuration.maxStreams + 4
        c.maxConnectionsPerClient = 32
        let s = HTTPServer(configuration: c) { [weak self] req in
            self?.handle(req) ?? HTTPResponse(status: 503)
        }
        do { try s.start() } catch {
            throw .environment("the live view cannot listen on \(configuration.host):\(configuration.port): \(error.description)")
        }
        server = s
        return url
    }

    /// The page's address (no token in it).
    public var url: String {
        let h = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(h):\(server?.port ?? configuration.port)/"
    }

    /// Something new was judged: streams send the new content (at most every `minInterval`).
    public func changed() {
        condition.lock()
        generation += 1
        condition.broadcast()
        condition.unlock()
    }

    /// The evaluation is over: from now on the page shows `snapshot` (final), and each stream sends it and ends.
    public func finish(_ snapshot: LiveSnapshot, source: ReportSource) {
        condition.lock()
        finalState = (snapshot, source)
        generation += 1
        cache = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Stops serving; streams end.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        server?.stop()
    }

    // MARK: Serving

    func handle(_ req: HTTPRequest) -> HTTPResponse {
        var headers: HTTPHeaders = ["Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"]
        guard Self.authorized(req, token: configuration.token) else {
            headers.add("WWW-Authenticate", "Bearer realm=\"otter-cert live view\"")
            headers.add("Content-Type", "text/plain; charset=utf-8")
            return HTTPResponse(status: 401, headers: headers,
                                body: Array("401: this live view needs its token (?token=… or Authorization: Bearer …)\n".utf8))
        }
        if configuration.token == nil && !Self.loopbackAuthority(req) {
            headers.add("Content-Type", "text/plain; charset=utf-8")
            return HTTPResponse(status: 403, headers: headers,
                                body: Array("403: this live view answers only to a loopback Host (127.0.0.1, localhost, [::1]); to share it, listen elsewhere with --live-view-token\n".utf8))
        }
        guard req.method == "GET" || req.method == "HEAD" else {
            headers.add("Allow", "GET, HEAD")
            return HTTPResponse(status: 405, headers: headers)
        }
        switch req.path {
        case "/":
            headers.add("Content-Type", "text/html; charset=utf-8")
            headers.add("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:")
            return HTTPResponse(status: 200, headers: headers, body: Array(current().page.utf8))
        case "/events":
            headers.add("Content-Type", ServerSentEvents.contentType)
            // A HEAD request gets the head only (the server never runs a producer for it): it takes no stream's place.
            if req.method == "HEAD" { return HTTPResponse(status: 200, headers: headers) }
            condition.lock()
            let full = streams >= configuration.maxStreams
            if !full { streams += 1 }
            condition.unlock()
            if full {
                headers.remove("Content-Type")
                headers.add("Content-Type", "text/plain; charset=utf-8")
                headers.add("Retry-After", "5")
                return HTTPResponse(status: 503, headers: headers, body: Array("too many live views open\n".utf8))
            }
            return .streaming(headers: headers) { [self] w in
                defer { condition.lock(); streams -= 1; condition.unlock() }
                stream(w)
            }
        default:
            headers.add("Content-Type", "text/plain; charset=utf-8")
            return HTTPResponse(status: 404, headers: headers, body: Array("404: the live view is at /\n".utf8))
        }
    }

    /// One client's events: the content now, then each change, until the final one or the client goes.
    private func stream(_ w: HTTPStreamWriter) {
        w.whenGone { [weak self] in self?.changed() }
        guard w.write(ServerSentEvents.retry(milliseconds: 2000)) else { return }
        var sent: Substring?
        var lastWrite = Date()
        var seen = -1
        while true {
            condition.lock()
            if stopped { condition.unlock(); return }
            if generation == seen { _ = condition.wait(until: Date().addingTimeInterval(configuration.refresh)) }
            seen = generation
            let isStopped = stopped
            condition.unlock()
            if isStopped || !w.isOpen { return }
            let now = current()
            // The time in the live bar alone is no news; seconds left counting down are.
            if LivePage.content(now.root) != sent || now.final {
                guard w.write(ServerSentEvents.frame(event: now.final ? "final" : "update", id: String(now.generation), data: now.root)) else { return }
                sent = LivePage.content(now.root)
                lastWrite = Date()
                if now.final { return }
            } else if Date().timeIntervalSince(lastWrite) > 15 {
                guard w.write(ServerSentEvents.comment("still here")) else { return }
                lastWrite = Date()
            }
            Thread.sleep(forTimeInterval: configuration.minInterval)
        }
    }

    /// Runs `body` on a thread with the stack a run judges on (8 MB) and waits for it: asking the live engine may make
    /// it judge a partner's deeply nested body, and rendering pretty-prints it, which a server thread's 1 MB may not hold.
    static func onLargeStack<T>(_ body: @escaping () -> T) -> T {
        let box = LargeStackBox(body)
        let done = DispatchSemaphore(value: 0)
        let t = Thread { box.value = box.body(); done.signal() }
        t.stackSize = 8 << 20
        t.start()
        done.wait()
        return box.value!
    }

    /// The rendered content now, shared by every client: rendered again at most every `minInterval` unless finished.
    private func current() -> (root: String, page: String, final: Bool, generation: Int) {
        let t = Date().timeIntervalSince1970
        condition.lock()
        if let c = cache, c.final || (t - c.at < configuration.minInterval && c.generation == generation) {
            condition.unlock()
            return (c.root, c.page, c.final, c.generation)
        }
        let pinned = finalState
        let g = generation
        condition.unlock()
        let (root, page) = Self.onLargeStack { [state] in
            let s = pinned ?? state()
            let root = LivePage.root(s?.snapshot, source: s?.source ?? ReportSource(log: "", format: "jsonl"), at: t)
            return (root, LivePage.wrap(root: root, title: LivePage.title(s?.snapshot)))
        }
        let final = pinned != nil
        condition.lock()
        cache = (t, g, root, page, final)
        condition.unlock()
        return (root, page, final, g)
    }
}

/// What `LiveView.onLargeStack` hands to its thread and back.
private final class LargeStackBox<T>: @unchecked Sendable {
    var value: T?
    let body: () -> T
    init(_ body: @escaping () -> T) { self.body = body }
}
