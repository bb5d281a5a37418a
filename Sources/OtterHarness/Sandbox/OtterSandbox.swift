import Foundation
import OtterCore
import OtterHTTP

/// The embedded Otter Public API the partner calls back: token endpoint, callbacks, rate limits and injected faults.
///
/// Every exchange is appended to the event log as one `LogEntry` (`token` for `POST /v1/auth/token`,
/// `callback` for anything else, including 404s), tagged with the record it belongs to (`attribution`): the record of
/// its `X-Event-Id` when the driver announced that event with `webhookSent`, else the record that handed out an id its
/// path names, else the record running, when only one is. Records may run side by side (`run --parallel`): nothing
/// here depends on which record "is running now". Bodies are logged
/// whole up to `Message.bodyLogCap`, above it in part (`truncated`: size and SHA-256). A flood of identical
/// unauthenticated requests is logged three times, then counted (`FloodLog`).
///
/// Bodies kept: the server keeps a request's whole body (up to its 1 MiB limit) only when the sandbox may
/// need it: a callback with a body schema and a valid bearer token. Of any other request (no or an unknown
/// token, no such route, the token grant, whose form is small) only the first `Message.bodyLogCap` bytes are
/// kept, for the log; the rest is counted and hashed as it arrives. A token request larger than that is 413.
///
/// A callback is answered in this order (the first failing check answers):
/// 1. route: unknown path 404, known path with another method 405 (with `Allow`);
/// 2. `Authorization: Bearer` with an issued, unexpired token (401), carrying the endpoint's scope (403);
/// 3. required headers: missing 400; `X-Store-Id` / `X-Event-Id` / `X-Application-Id` not the sandbox's 404;
/// 4. an injected fault of the record the call belongs to, if one matches (it answers before the rate limit and body checks,
///    so a faulted call does not use a rate-limit slot and an invalid body may see the fault first);
/// 5. the rate limit (per store and concrete path, i.e. per resource, sliding minute): 429 with `Retry-After`;
/// 6. the body: not JSON 400, against the endpoint's schema 422 (first violations in the message);
/// 7. the documented success (first 2xx of the endpoint's answers), with the spec's example body, if it has one.
///
/// All mutable state sits behind one lock; the handler holds it only for table look-ups, never while
/// validating or logging.
public final class OtterSandbox: @unchecked Sendable {
    /// State shared by the handler threads and the run driver, guarded by `lock`.
    struct State {
        var tokens = TokenStore()
        var limiter = RateLimiter()
        /// The records running now, with their current step and their injected faults.
        var running: [String: RunningRecord] = [:]
        var events: [String: (record: String, step: String?)] = [:]
        /// Which records handed out each id (their vars): a path naming an id of one record only is that record's.
        var idOwners: [String: Set<String>] = [:]
        /// Requests being answered now, by number, with when each started (seconds since 1970).
        var inFlight: [Int: Double] = [:]
        /// What the run and the partner created: orders, deliveries, jobs, store requests, handed-out ids.
        var resources = SandboxResources()
        var nextRequest = 0
    }

    /// A record that is running: its step and its injected faults.
    struct RunningRecord {
        var step: String?
        var faults = FaultPlan()
    }

    /// The configuration the sandbox runs with.
    public let configuration: SandboxConfiguration
    let endpoints: EndpointTable
    let schemas: JSONSchemaValidator
    let log: EventLog
    /// Every scope the spec documents: what the token endpoint may grant.
    let grantableScopes: Set<String>
    /// The OpenAPI description the sandbox answers by.
    let spec: OpenAPISpec

    private let lock = NSLock()
    private var state = State()
    private let floods: FloodLog
    private var server: HTTPServer?
    private var boundPort = 0

    /// Creates a sandbox (not yet listening).
    public init(configuration: SandboxConfiguration, spec: OpenAPISpec, log: EventLog) {
        self.configuration = configuration
        self.spec = spec
        endpoints = spec.endpoints
        schemas = spec.schemas
        self.log = log
        grantableScopes = spec.scopes
        floods = FloodLog(log: log)
    }

    deinit { server?.stop() }

    /// Binds and starts serving; a port in use (or any socket failure) is an environment error.
    public func start() throws(HarnessError) {
        lock.lock()
        defer { lock.unlock() }
        guard server == nil else { return }
        var cfg = HTTPServer.Configuration()
        cfg.host = configuration.host
        cfg.port = configuration.port
        cfg.handlerThreads = 8
        cfg.bodyRetention = { [weak self] head in self?.bodyBytesNeeded(head) ?? Message.bodyLogCap }
        let s = HTTPServer(configuration: cfg) { [weak self] request in
            guard let self else { return .error(503, code: "unavailable", message: "the Otter sandbox is shutting down") }
            return self.handle(request)
        }
        do {
            try s.start()
        } catch {
            let at = "\(configuration.host):\(configuration.port)"
            switch error {
            case .addressInUse:
                throw .environment("\(at) is already in use (another otter-cert run, or another service?); choose another sandbox port, or 0 for any free one")
            case .cannotResolve(let m):
                throw .environment("cannot start the Otter sandbox on \(at): cannot resolve \(m)")
            case .socket(let m):
                throw .environment("cannot start the Otter sandbox on \(at): \(m)")
            }
        }
        server = s
        boundPort = s.port
    }

    /// `http://HOST:PORT` of the running sandbox (port 0 before `start()`).
    public var baseURL: String {
        lock.lock()
        defer { lock.unlock() }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(boundPort)"
    }

    /// Stops serving and writes the flood counts still pending; calls already being handled finish but their answers
    /// are dropped. Idempotent.
    public func stop() {
        lock.lock()
        let s = server
        server = nil
        lock.unlock()
        s?.stop()
        floods.stop()
    }

    /// Writes the counts of floods of identical unauthenticated requests that are not in the log yet (`repeats` lines).
    public func flushRepeats() { floods.flush() }

    // MARK: - Run driver

    /// Announces a webhook: its eventId becomes a valid `X-Event-Id`, and calls carrying it are tagged with `record`.
    public func webhookSent(eventId: String, record: String, body: JSONValue? = nil) {
        withState { s in
            s.events[eventId] = (record, s.running[record]?.step)
            if let body { s.resources.learn(webhook: body, now: Date().timeIntervalSince1970) }
        }
    }

    /// The ids a record handed to the partner (its vars: order, delivery, closure ids …): calls naming them are not
    /// 404s, and a call whose path names an id of this record only belongs to it.
    public func handedOut(_ ids: some Sequence<String>, by record: String? = nil) {
        withState { s in
            for id in ids where !id.isEmpty {
                s.resources.known.insert(id)
                if let record { s.idOwners[id, default: []].insert(record) }
            }
        }
    }

    /// A record starts (or goes on to `step`): calls that belong to it are tagged with this step.
    public func recordStep(_ id: String, step: String?) {
        floods.flush()
        withState { s in s.running[id, default: RunningRecord()].step = step }
    }

    /// A record has ended: its faults are no longer injected. Calls that carry its eventIds are still tagged with it.
    public func recordEnded(_ id: String) {
        floods.flush()
        withState { s in _ = s.running.removeValue(forKey: id) }
    }

    /// Makes `id` the only record running (`nil`: none), at `step`: what a run one record at a time does.
    public func setActiveRecord(_ id: String?, step: String?) {
        floods.flush()
        withState { s in
            let kept = id.flatMap { s.running[$0] }
            s.running = [:]
            if let id { s.running[id] = kept ?? RunningRecord(); s.running[id]?.step = step }
        }
    }

    /// Called after each answered request is logged (the run driver wakes up on it).
    public nonisolated(unsafe) var onAnswered: (@Sendable () -> Void)?

    /// When the oldest request still being answered started: entries that start later may not be logged yet.
    public var oldestInFlight: Double? { withState { $0.inFlight.values.min() } }

    /// Sets a running record's injected faults; path templates are filled with `vars`. Setting the same faults again
    /// with more vars keeps the count of answers each has already given. Without `record`: the faults of every record
    /// running (a run one record at a time).
    public func setFaults(_ faults: [Fault], vars: [String: String], for record: String? = nil) {
        withState { s in
            for id in record.map({ [$0] }) ?? Array(s.running.keys) { s.running[id, default: RunningRecord()].faults.set(faults, vars: vars) }
        }
    }

    /// The record (and its step) a call belongs to, or none. Caller holds the lock.
    static func attribution(of request: HTTPRequest, in s: State) -> (record: String, step: String?)? {
        if let id = request.headers["X-Event-Id"], let e = s.events[id] { return (e.record, e.step) }
        for segment in request.path.split(separator: "/") {
            if let owners = s.idOwners[String(segment)], owners.count == 1, let r = owners.first {
                return (r, s.running[r]?.step)
            }
        }
        if s.running.count == 1, let (r, rr) = s.running.first { return (r, rr.step) }
        return nil
    }

    // MARK: - Handling

    /// Runs `body` on the state under the lock.
    func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// How many body bytes of a request the sandbox needs, from its head (asked by the server on its I/O thread):
    /// all of a callback's that has a body schema and a valid bearer token, else the first `Message.bodyLogCap`.
    func bodyBytesNeeded(_ head: HTTPRequest) -> Int {
        guard head.path != "/v1/auth/token", let endpoint = endpoints.endpoint(method: head.method, path: head.path),
              endpoint.bodySchema != nil else { return Message.bodyLogCap }
        let parts = (head.headers["Authorization"] ?? "").split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return Message.bodyLogCap }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        guard case .valid = withState({ s in s.tokens.lookup(presented, now: OtterSandbox.now()) }) else { return Message.bodyLogCap }
        return .max
    }

    /// Monotonic seconds, for token expiry and rate-limit windows.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Answers one request and logs the exchange.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let base = baseURL
        let number: Int = withState { s in
            s.nextRequest += 1
            s.inFlight[s.nextRequest] = request.receivedAt.timeIntervalSince1970
            return s.nextRequest
        }
        let isToken = request.path == "/v1/auth/token"
        // A request to no API path (a probe, a browser's /favicon.ico) is no record's: it is logged untagged.
        let stray = !isToken && !endpoints.endpoints.contains { $0.path.match(request.path, bound: [:]) != nil }
        let tag: (record: String?, step: String?) = stray ? (nil, nil) : withState { s in
            OtterSandbox.attribution(of: request, in: s).map { ($0.record, $0.step) } ?? (nil, nil)
        }
        let grant = isToken && request.method == "POST"
        var tags: [String] = []
        let response = grant ? answerToken(request) : answerCallback(request, tags: &tags)
        let finished = Date()
        let kind: LogEntry.Kind = isToken ? .token : .callback
        let started = request.receivedAt.timeIntervalSince1970
        // Answered before any credential was accepted: a flood of these is counted rather than logged copy by copy.
        let unauthenticated = response.status == 401 || (grant && response.status == 413)
            || (!grant && endpoints.endpoint(method: request.method, path: request.path) == nil)
        let key = unauthenticated
            ? FloodLog.key(kind: kind, record: tag.record, method: request.method, target: request.target, body: request.body,
                           bodySize: request.bodySize, bodySHA256: request.bodySHA256, status: response.status, answer: response.body)
            : nil
        floods.append(key: key, startedAt: started, step: tag.step) {
            var sent = Message(method: request.method, url: base + request.target, headers: request.headers.pairs)
            if let sha = request.bodySHA256 {
                sent.setBody(prefix: request.body, size: request.bodySize, sha256: sha)
            } else {
                sent.setBody(request.body)
            }
            let answer = Message(answer: response)
            return LogEntry(seq: 0, record: tag.record, step: tag.step, direction: .partnerToOtter, kind: kind, startedAt: started,
                            durationMs: max(0, finished.timeIntervalSince(request.receivedAt) * 1000),
                            request: sent, response: answer, tags: tags)
        }
        withState { s in s.inFlight[number] = nil }
        onAnswered?()
        return response
    }
}
