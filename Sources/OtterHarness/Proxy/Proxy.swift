import Foundation
import OtterClient
import OtterCore
import OtterHTTP

/// What `otter-cert proxy` is given.
public struct ProxyOptions: Sendable {
    /// The checklist the traffic is judged by.
    public var type: IntegrationType
    /// Otter's base URL (its sandbox): where the partner's API calls are forwarded.
    public var otterURL: String
    /// The partner's webhook URL: where Otter's webhooks are forwarded.
    public var partnerURL: String
    /// Where the partner's calls come in (the partner's Otter base URL points here).
    public var apiHost = "127.0.0.1", apiPort = 0
    /// Where Otter's webhooks come in (Otter's webhook URL for the partner points here).
    public var webhookHost = "127.0.0.1", webhookPort = 0
    /// The attempt folder: events.jsonl is appended as traffic flows, the reports are written at the end.
    public var reportDir: String
    /// CA bundle to verify both upstreams' certificates with (libcurl's default bundle otherwise).
    public var caFile: String?
    /// Secrets the traffic carries, masked by value in the log (the webhook secret also checks signatures).
    public var webhookSecret: String?
    public var clientId: String?
    public var clientSecret: String?
    /// How long an upstream may take to answer before the caller gets 504.
    public var upstreamTimeout: Double = 30
    /// A checklist or OpenAPI description other than the bundled one.
    public var checklistPath: String?
    public var openapiPath: String?
    /// Records whose injected faults the proxy gives in Otter's place (`--inject`): one call each fault matches is
    /// answered with it and not forwarded (`ProxyInjections` says which); its retries and everything else pass unchanged.
    public var inject: [String] = []

    public init(type: IntegrationType, otterURL: String, partnerURL: String, reportDir: String) {
        self.type = type; self.otterURL = otterURL; self.partnerURL = partnerURL; self.reportDir = reportDir
    }
}

/// `otter-cert proxy`: stands between a partner and Otter's real sandbox, in both directions, and judges the traffic
/// as it flows. It never changes what it forwards (only `--inject` answers a few calls itself, with a named record's
/// fault): each request goes on over libcurl as it came (hop-by-hop headers
/// aside) and its answer comes back as it was given. Every exchange is appended to `events.jsonl`, redacted, as it
/// happens; the same correlation engine as `observe` judges it live, and the reports at the end are `observe`'s on
/// that log, with the spec findings of both sides.
public final class Proxy: @unchecked Sendable {
    public let options: ProxyOptions
    /// The log being written.
    public let log: EventLog
    /// The log's path.
    public let logPath: String
    private let files: ProjectFiles
    private let checklist: Checklist
    private let spec: OpenAPISpec
    private let client: HTTPClient
    private var apiServer: HTTPServer?
    private var webhookServer: HTTPServer?
    private let state = Locked((next: 0, inFlight: [Int: Double](), exchanges: 0, lastAt: 0.0))
    let judge: LiveJudge
    /// The faults of the `--inject` records, and which webhook each went to.
    private let injected: Locked<ProxyInjections>
    /// Set by Ctrl-C (and a polite kill): the session ends.
    public let stop = Wakeup()
    /// Called after each exchange is logged (a live view refreshes on it).
    public nonisolated(unsafe) var onForwarded: (@Sendable () -> Void)?

    /// Reads the checklist and spec, and opens the log (nothing listens yet).
    public init(options: ProxyOptions, files: ProjectFiles) throws(HarnessError) {
        self.options = options
        self.files = files
        let (checklist, sha, _, spec) = try Observer(files: files).judgingBy(type: options.type, checklistPath: options.checklistPath,
                                                                             openapiPath: options.openapiPath)
        self.checklist = checklist
        self.spec = spec
        var injectedRecords: [Record] = []
        for id in options.inject {
            guard let r = checklist.records.first(where: { $0.id == id }) else {
                throw .input("--inject \(id): no such record in the \(options.type.rawValue) checklist")
            }
            guard !r.faults.isEmpty else {
                let withFaults = checklist.records.filter { !$0.faults.isEmpty }.map(\.id)
                throw .input("--inject \(id): the record needs no injected fault (those that do: \(withFaults.joined(separator: ", ")))")
            }
            injectedRecords.append(r)
        }
        injected = Locked(ProxyInjections(records: injectedRecords))
        var redactor = Redactor(salt: RunSecrets.freshSalt())
        if let s = options.webhookSecret { redactor.learn(s, label: "webhook-secret") }
        if let s = options.clientSecret { redactor.learn(s, label: "client-secret") }
        if let id = options.clientId, let s = options.clientSecret { redactor.learnPair(user: id, secret: s, label: "client-credentials") }
        let redaction = LiveRedactor(redactor)
        do { try FileManager.default.createDirectory(atPath: options.reportDir, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create \(options.reportDir): \(error.localizedDescription)")
        }
        logPath = URL(fileURLWithPath: options.reportDir).appendingPathComponent("events.jsonl").path
        log = try EventLog(path: logPath, redaction: redaction)
        // A log that cannot be written ends the session at once: a verdict needs the whole log.
        log.whenWriteFails { [stop] _ in stop.interrupt() }
        client = HTTPClient(configuration: ClientConfiguration(caFile: options.caFile, followRedirects: false))
        let st = state
        judge = LiveJudge(evaluator: Evaluator(checklist: checklist, endpoints: spec.endpoints, schemas: spec.schemas,
                                               options: EvaluationOptions(webhookSecret: options.webhookSecret.map { Array($0.utf8) })),
                          log: log, inFlight: { st.read { $0.inFlight.values.min() } })
        log.append(LogEntry(seq: 0, direction: nil, kind: .run, startedAt: Date().timeIntervalSince1970,
                            run: RunNote(integrationType: options.type.rawValue, partnerURL: redaction.url(options.partnerURL),
                                         harness: Harness.name, checklistVersion: checklist.version,
                                         checklistSHA256: sha, redactionSalt: redaction.salt,
                                         extra: ["mode": "proxy", "otterUrl": .string(redaction.url(options.otterURL))])))
    }

    /// Binds both listeners; a port in use is an environment error.
    public func start() throws(HarnessError) {
        apiServer = try listen(options.apiHost, options.apiPort, what: "--listen-api") { [weak self] r in
            self?.forward(r, toOtter: true) ?? .error(503, code: "unavailable", message: "the proxy is shutting down")
        }
        webhookServer = try listen(options.webhookHost, options.webhookPort, what: "--listen-webhooks") { [weak self] r in
            self?.forward(r, toOtter: false) ?? .error(503, code: "unavailable", message: "the proxy is shutting down")
        }
    }

    /// `http://HOST:PORT` of the API listener (what the partner's Otter base URL must be).
    public var apiURL: String { Self.url(options.apiHost, apiServer?.port ?? 0) }
    /// `http://HOST:PORT/` of the webhook listener (what Otter's webhook URL for the partner must be).
    public var webhookURL: String { Self.url(options.webhookHost, webhookServer?.port ?? 0) + "/" }

    private static func url(_ host: String, _ port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    private func listen(_ host: String, _ port: Int, what: String,
                        _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(HarnessError) -> HTTPServer {
        var cfg = HTTPServer.Configuration()
        cfg.host = host
        cfg.port = port
        cfg.handlerThreads = 8
        // Forwarded whole, as the sandbox reads a callback with a body schema.
        cfg.maxBodyBytes = 1 << 20
        let s = HTTPServer(configuration: cfg, handler: handler)
        do { try s.start() } catch {
            switch error {
            case .addressInUse: throw .environment("\(what) \(host):\(port) is already in use; choose another port, or 0 for any free one")
            case .cannotResolve(let m): throw .environment("cannot listen on \(what) \(host):\(port): cannot resolve \(m)")
            case .socket(let m): throw .environment("cannot listen on \(what) \(host):\(port): \(m)")
            }
        }
        return s
    }

    /// Headers that belong to one connection, not to the request or answer (RFC 9110 §7.6.1), and those libcurl and
    /// the server set themselves: never forwarded.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                                        "host", "content-length", "expect"]

    /// Forwards one request to its upstream, logs the exchange, and answers with what the upstream answered, or 502
    /// (refused, DNS, TLS) or 504 (no answer in time) with the libcurl error in the log.
    func forward(_ request: HTTPRequest, toOtter: Bool) -> HTTPResponse {
        let number: Int = state.update { s in
            s.next += 1
            s.inFlight[s.next] = request.receivedAt.timeIntervalSince1970
            return s.next
        }
        defer {
            state.update { s in s.inFlight[number] = nil; s.exchanges += 1; s.lastAt = Date().timeIntervalSince1970 }
            stop.poke()
            onForwarded?()
        }
        let target: String
        if toOtter {
            var base = options.otterURL
            while base.hasSuffix("/") { base.removeLast() }
            target = base + request.target
        } else {
            target = options.partnerURL
        }
        let headers = request.headers.pairs.filter { !Self.hopByHop.contains($0.name.lowercased()) }
        let started = request.receivedAt.timeIntervalSince1970
        var sent = Message(method: request.method, url: target, headers: request.headers.pairs.filter { $0.name.lowercased() != "host" })
        sent.setBody(request.body)
        let kind: LogEntry.Kind = !toOtter ? .webhook : request.path.hasSuffix("/v1/auth/token") ? .token : .callback
        var entry = LogEntry(seq: 0, direction: toOtter ? .partnerToOtter : .otterToPartner, kind: kind, startedAt: started, request: sent)
        let answer: HTTPResponse
        if toOtter, let hit = injection(for: request) {
            // --inject: Otter's answer is the fault's, the request goes no further.
            answer = hit.response
            entry.response = Message(answer: answer)
            entry.tags = ["injected-fault"]
        } else if request.isBodyTruncated {
            answer = .error(413, code: "payload_too_large", message: "the proxy forwards bodies of up to 1 MiB")
            entry.response = Message(answer: answer)
        } else {
            let result = client.send(ClientRequest(method: request.method, url: target, headers: headers, body: request.body,
                                                   timeout: options.upstreamTimeout, isCancelled: { [stop] in stop.interrupted },
                                                   addsDefaultHeaders: false))
            switch result {
            case .success(let r):
                if kind == .token, r.status == 200, let token = (try? JSONValue.parse(String(decoding: r.body, as: UTF8.self)))?["access_token"]?.stringValue {
                    log.learnSecret(token)
                }
                var h = HTTPHeaders()
                for (name, value) in r.headers where !Self.hopByHop.contains(name.lowercased()) { h.add(name, value) }
                answer = HTTPResponse(status: r.status, headers: h, body: r.body)
                var m = Message(status: r.status, headers: r.headers)
                m.setBody(r.body)
                entry.response = m
            case .failure(let e):
                let (status, kindName): (Int, String)
                switch e {
                case .timeout: (status, kindName) = (504, "timeout")
                case .connectionRefused: (status, kindName) = (502, "refused")
                case .dns: (status, kindName) = (502, "dns")
                case .tls: (status, kindName) = (502, "tls")
                case .aborted: (status, kindName) = (502, "aborted")
                case .other: (status, kindName) = (502, "other")
                }
                let side = toOtter ? "Otter" : "the partner"
                answer = .error(status, code: status == 504 ? "upstream_timeout" : "bad_gateway",
                                message: "otter-cert proxy: \(side) at \(log.redaction.url(target)) did not answer: \(e.description)")
                entry.error = TransportFailure(kind: kindName, message: e.message)
                entry.tags = ["proxy-\(status)"]
            }
        }
        entry.durationMs = max(0, Date().timeIntervalSince(request.receivedAt) * 1000)
        log.append(entry)
        return answer
    }

    /// The `--inject` fault to answer a partner's call with, if any: asked of the correlation engine only for a call
    /// a fault could match (where its webhook is bound decides which record's fault it meets).
    private func injection(for request: HTTPRequest) -> FaultPlan.Hit? {
        guard injected.read({ $0.mightTake(method: request.method, path: request.path) }) else { return nil }
        let eventId = request.headers["X-Event-Id"]
        var binding = ProxyInjections.Binding.unknown
        if let e = eventId, !e.isEmpty, let r = judge.look({ $0.record(boundToEvent: e) }) { binding = .record(r) }
        let key = ProxyInjections.key(eventId: eventId, method: request.method, path: request.path)
        return injected.update { $0.take(method: request.method, path: request.path, key: key, binding: binding) }
    }

    /// Exchanges forwarded so far.
    public var exchanges: Int { state.read { $0.exchanges } }

    /// Where the records stand now, from what has been forwarded: the live view's model.
    public func snapshot(now: Double = Date().timeIntervalSince1970) -> LiveSnapshot {
        judge.look { $0.snapshot(now: now) }
    }

    /// Whether the session has settled: something was forwarded, nothing is in flight or waiting to be bound to a
    /// record, and every record the traffic reached can no longer change.
    public func settled(now: Double = Date().timeIntervalSince1970) -> Bool {
        guard state.read({ $0.exchanges > 0 && $0.inFlight.isEmpty }) else { return false }
        return judge.look { ev in
            ev.unboundGroups == 0 && ev.snapshot(now: now).records.allSatisfy { $0.phase != .waiting }
        }
    }

    /// Waits until Ctrl-C (or `stop.interrupt()`), or with `untilSettled` until the session has settled. Returns true
    /// when it settled.
    public func wait(untilSettled: Bool) -> Bool {
        while !stop.interrupted {
            let generation = stop.current
            if untilSettled && settled() { return true }
            stop.wait(since: generation, until: Date().addingTimeInterval(0.5))
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// Stops both listeners (answers in flight are dropped) and flushes the log.
    public func shutdown() {
        apiServer?.stop(); webhookServer?.stop()
        apiServer = nil; webhookServer = nil
        log.sync()
        log.close()
    }

    /// Judges the whole log as `observe` does, with the spec findings of both sides, and writes the reports beside it.
    public func report() throws(HarnessError) -> Observer.Observation {
        if let e = log.writeError { throw .environment("the event log could not be written: \(e)") }
        var obs = try Observer(files: files).observe(type: options.type, checklistPath: options.checklistPath, openapiPath: options.openapiPath,
                                                     logPath: logPath, webhookSecret: options.webhookSecret)
        obs = try ReportWriter.withLogHash(obs, logPath: logPath)
        try ReportWriter.write(obs, to: options.reportDir, logPath: logPath)
        return obs
    }
}
