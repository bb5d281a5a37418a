import Foundation
import OtterCore
import OtterCrypto
import OtterClient

/// Plays Otter against a partner's live sandbox: sends each record's webhooks (signed), performs or requests the
/// partner's actions, serves the Public API the partner calls back, records every exchange, and judges the run
/// with the same evaluator `observe` uses, from the same log.
public final class Runner: @unchecked Sendable {
    let options: RunOptions
    let files: ProjectFiles
    weak var progress: RunProgress?
    /// Wakes the run on new log entries and on Ctrl-C.
    public let wakeup = Wakeup()
    /// Knows the run's secrets, and learns each token the sandbox issues: the log, and the terminal lines shown
    /// through `progress`, are redacted with it.
    public let redaction: LiveRedactor
    /// Called on each exchange logged (a live view's `changed`); set before `run()`.
    public var onLogged: (@Sendable () -> Void)?
    /// The run's live engine once `run()` judges (for `liveSnapshot`).
    private let liveJudge = Locked<LiveJudge?>(nil)

    /// What a run produced.
    public struct Outcome: Sendable {
        /// The verdicts, computed from the log.
        public var result: EvaluationResult
        /// Where the log is, when written.
        public var logPath: String?
        /// The records that ran.
        public var ran: [String]
        /// Whether Ctrl-C ended it early.
        public var interrupted: Bool
        /// The log itself.
        public var entries: [LogEntry]
        /// SHA-256 of the checklist file.
        public var checklistSHA256: String
        /// The steps the harness could not carry out (`RECORD: why`), each logged as a `harness` line that fails its
        /// record: the run is then a harness error, whatever the verdict.
        public var harnessErrors: [String] = []
    }

    /// Creates a runner; `redaction` defaults to one that knows the options' secrets (`RunSecrets`).
    public init(options: RunOptions, files: ProjectFiles, progress: RunProgress?, redaction: LiveRedactor? = nil) {
        self.options = options; self.files = files; self.progress = progress
        self.redaction = redaction ?? LiveRedactor(RunSecrets.redactor(for: options))
    }

    /// Runs the checklist. Harness failures (port in use, unreadable files) throw; partner failures are verdicts.
    public func run() throws(HarnessError) -> Outcome {
        let path = options.checklistPath ?? files.checklist(options.type)
        let (checklist, checklistSHA) = try DataFiles.checklist(path, files: files)
        guard checklist.integrationType == options.type else {
            throw .input("\(path) is the \(checklist.integrationType.rawValue) checklist, but --type is \(options.type.rawValue)")
        }
        if let only = options.only {
            let unknown = only.subtracting(checklist.records.map(\.id))
            if !unknown.isEmpty { throw .input("unknown record id(s) \(unknown.sorted().joined(separator: ", ")); this checklist has \(checklist.records.map(\.id).joined(separator: " "))") }
        }
        let spec = try DataFiles.spec(files: files, path: options.openapiPath)
        try DataFiles.audit(checklist, path: path, spec: spec, files: files, preparing: .all)
        let endpoints = spec.endpoints, schemas = spec.schemas
        var logPath: String?
        if let dir = options.reportDir { logPath = URL(fileURLWithPath: dir).appendingPathComponent("events.jsonl").path }
        let salt = redaction.salt
        let log = try EventLog(path: logPath, redaction: redaction)
        defer { log.close() }
        // A log that cannot be written stops the run at once: a verdict needs the whole log.
        log.whenWriteFails { [wakeup] _ in wakeup.interrupt() }
        let observation = log.observe { [wakeup, onLogged] _ in wakeup.poke(); onLogged?() }
        defer { observation.cancel() }

        var sandboxConfig = SandboxConfiguration(host: options.sandboxHost, port: options.sandboxPort, clientId: options.clientId,
                                                 clientSecret: options.clientSecret, storeId: options.storeId)
        sandboxConfig.applicationId = options.applicationId
        sandboxConfig.rateLimits = options.rateLimits
        sandboxConfig.tokenTTL = options.tokenTTL
        let sandbox = OtterSandbox(configuration: sandboxConfig, spec: spec, log: log)
        sandbox.onAnswered = { [wakeup] in wakeup.poke() }
        try sandbox.start()
        defer { sandbox.stop() }

        var extra = JSONObject()
        extra["sandboxUrl"] = .string(sandbox.baseURL)
        extra["attempt"] = .number(Double(options.attempt))
        if let p = options.previousReport { extra["previousReport"] = .string(p) }
        if options.timeoutScale != 1 { extra["timeoutScale"] = .number(options.timeoutScale) }
        if options.insecure { extra["tlsVerification"] = .string("OFF (--insecure): the partner's certificate was not checked") }
        if options.insecure && options.allowInsecureCertification { extra["insecureCertificationAllowed"] = .bool(true) }
        if let only = options.only { extra["only"] = .array(only.sorted().map { .string($0) }) }
        // How to run a record again, as this run was started (not the ports it happened to bind).
        if options.demo { extra["demo"] = .bool(true) }
        if let given = options.sandboxListen { extra["sandboxListen"] = .string(given) }
        if let hook = options.actionHook, !options.demo { extra["actionHook"] = .string(hook) }
        log.append(LogEntry(seq: 0, direction: nil, kind: .run, startedAt: Date().timeIntervalSince1970,
                            run: RunNote(integrationType: options.type.rawValue, partnerURL: options.partnerURL, storeId: options.storeId,
                                         harness: Harness.name, checklistVersion: checklist.version, checklistSHA256: checklistSHA,
                                         redactionSalt: salt, extra: extra)))

        let client = HTTPClient(configuration: ClientConfiguration(caFile: options.caFile, insecure: options.insecure))
        let scaled = checklist.scaled(by: options.timeoutScale)
        let records = scaled.records.filter { options.only?.contains($0.id) ?? true }
        // The same engine `observe` uses, fed each exchange once as it is logged: it says when a record is settled.
        let judge = LiveJudge(evaluator: Evaluator(checklist: checklist, endpoints: endpoints, schemas: schemas), log: log, inFlight: { [sandbox] in sandbox.oldestInFlight })
        liveJudge.update { $0 = judge }
        let context = RecordContext(checklist: checklist, scaled: scaled, endpoints: endpoints, schemas: schemas, log: log,
                                    sandbox: sandbox, client: client, judge: judge)
        let ran = try runRecords(records, context)
        sandbox.setActiveRecord(nil, step: nil)

        // Nothing may join the log after the verdict: stop listening first (a partner's late call would otherwise be in
        // the file but not in the report). Then the verdict comes from the log alone, exactly as `observe` computes it.
        sandbox.stop()
        if let problem = log.sync() {
            throw .environment("the event log could not be written (\(problem)). The run was stopped at once and gives no verdict: "
                               + "a verdict needs the whole log. Free some space, or give another --report-dir, and run again.")
        }
        let evaluator = Evaluator(checklist: restricted(checklist, to: Set(ran), all: options.only == nil && !wakeup.interrupted),
                                  endpoints: endpoints, schemas: schemas)
        for e in log.entries { evaluator.consume(e) }
        // The report covers the whole checklist: what this run did not judge comes from the earlier attempt, or is
        // said not to have run.
        let result = AttemptMerge.complete(evaluator.finish(), checklist: checklist, judged: Set(ran), interrupted: wakeup.interrupted,
                                           selected: options.only, earlier: options.earlierVerdicts)
        return Outcome(result: result, logPath: logPath, ran: ran, interrupted: wakeup.interrupted,
                       entries: log.entries, checklistSHA256: checklistSHA, harnessErrors: shared.read { $0.harnessErrors })
    }

    /// What a live view shows while the run judges: the live engine's verdicts so far and where each record stands
    /// (the records the run runs); nil before the run started judging (after it, the last state of the live engine).
    public func liveSnapshot() -> LiveSnapshot? {
        guard let judge = liveJudge.read({ $0 }) else { return nil }
        let now = Date().timeIntervalSince1970
        return judge.look { $0.snapshot(now: now, only: options.only) }
    }

    /// The checklist the final verdict is computed with: every record for a full run, the records that ran otherwise.
    private func restricted(_ c: Checklist, to ids: Set<String>, all: Bool) -> Checklist {
        if all { return c }
        var c = c
        c.records = c.records.filter { ids.contains($0.id) }
        return c
    }

    struct RecordContext: @unchecked Sendable {
        let checklist: Checklist
        let scaled: Checklist
        let endpoints: EndpointTable
        let schemas: JSONSchemaValidator
        let log: EventLog
        let sandbox: OtterSandbox
        let client: HTTPClient
        let judge: LiveJudge
    }

    /// What the records running side by side share, under `shared`'s lock.
    private struct Shared {
        /// Why the partner could not be reached at all, when the run's first webhook failed to connect.
        var unreachable: String?
        /// What to check when the partner cannot be reached, by what went wrong.
        var unreachableHint = ""
        /// Whether the operator was already told that correctly signed webhooks are refused.
        var saidSecretHint = false
        var webhooksSent = 0
        /// The steps the harness could not carry out, `RECORD: why`.
        var harnessErrors: [String] = []
    }
    private let shared = Locked(Shared())
    private var unreachable: String? { shared.read { $0.unreachable } }

    // MARK: - Records side by side

    /// Runs the records, up to `options.parallel` at a time, and returns the ids of those that ran, in checklist order.
    ///
    /// Records start in checklist order. An `exclusive` record starts once every record before it has ended, and
    /// nothing starts while it runs. When an operator performs the partner's actions (no hook), the records with
    /// actions run one at a time, in checklist order, so that the operator is asked one thing at a time. Each record's
    /// exchanges are told apart by their content (eventId, resource ids), never by which record is running now; the
    /// progress lines come out record by record, in checklist order (`OrderedProgress`).
    private func runRecords(_ records: [Record], _ c: RecordContext) throws(HarnessError) -> [String] {
        let width = max(1, options.parallel)
        let operatorLane = options.actionHook == nil && options.interactive
        let ordered = progress.map { OrderedProgress($0, total: records.count) }
        let board = Board(count: records.count)
        for (i, record) in records.enumerated() {
            let exclusive = record.exclusive || width == 1
            let lane = operatorLane && record.steps.contains { if case .action = $0.source { return true } else { return false } }
            let go = board.admit(i, exclusive: exclusive, lane: lane, width: width) { [wakeup, unreachableNow = { self.unreachable }] in
                wakeup.interrupted || unreachableNow() != nil || c.log.writeError != nil
            }
            if !go { break }
            let t = Thread { [self] in
                let ran = self.runOne(record, index: i, of: records.count, progress: ordered, c)
                board.finish(i, ran: ran)
                self.wakeup.poke()
            }
            // A partner's deeply nested body is judged on this thread: give it the main thread's stack.
            t.stackSize = 8 << 20
            t.start()
        }
        let ranFlags = board.waitForAll()
        ordered?.flush()
        if let why = unreachable {
            let hint = shared.read { $0.unreachableHint }
            throw .environment(redaction.text("cannot reach the partner at \(redaction.url(options.partnerURL)): \(why). \(hint)"))
        }
        return records.indices.filter { ranFlags[$0] }.map { records[$0].id }
    }

    /// Which records run now, and which have run: the scheduler's side of `runRecords`.
    private final class Board: @unchecked Sendable {
        private let condition = NSCondition()
        private var running: [Int: (exclusive: Bool, lane: Bool)] = [:]
        private var ran: [Bool]

        init(count: Int) { ran = Array(repeating: false, count: count) }

        /// Waits until record `i` may start, and marks it running; false when `stop` says no record may start.
        func admit(_ i: Int, exclusive: Bool, lane: Bool, width: Int, stop: () -> Bool) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while !stop() && (running.count >= width || (exclusive && !running.isEmpty) || running.values.contains { $0.exclusive }
                              || (lane && running.values.contains { $0.lane })) {
                _ = condition.wait(until: Date().addingTimeInterval(0.1))
            }
            if stop() { return false }
            running[i] = (exclusive, lane)
            return true
        }

        func finish(_ i: Int, ran r: Bool) {
            condition.lock()
            running[i] = nil
            ran[i] = r
            condition.broadcast()
            condition.unlock()
        }

        /// Waits until no record runs, and says which ran.
        func waitForAll() -> [Bool] {
            condition.lock()
            defer { condition.unlock() }
            while !running.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
            return ran
        }
    }

    /// Runs one record and waits for its verdict. Returns whether it ran (false: the partner cannot be reached).
    private func runOne(_ record: Record, index: Int, of total: Int, progress: OrderedProgress?, _ c: RecordContext) -> Bool {
        let p = progress?.record(index)
        p?.started(record, index: index + 1, of: total)
        defer { c.sandbox.recordEnded(record.id); p?.ended() }
        run(record, c, progress: p)
        if unreachable != nil { return false }
        guard let verdict = settle(record, c, progress: p) else { return true }
        c.log.append(LogEntry(seq: 0, record: record.id, direction: nil, kind: .end, startedAt: Date().timeIntervalSince1970,
                              tags: [verdict.status.rawValue]))
        c.log.sync()
        if c.log.writeError == nil { p?.finished(verdict) }
        return true
    }

    // MARK: - One record

    private func run(_ record: Record, _ c: RecordContext, progress: RecordProgress?) {
        var vars = freshVars()
        c.sandbox.recordStep(record.id, step: record.steps.first?.name)
        share(vars, of: record, c)
        var actionProblem = false
        for step in record.steps {
            if wakeup.interrupted { return }
            c.sandbox.recordStep(record.id, step: step.name)
            switch step.source {
            case .webhook(let w):
                let body: String
                switch webhookBody(w, vars: vars) {
                case .success(let b): body = b
                case .failure(let e):
                    let why = e.description
                    // The record cannot go on, and nothing the partner does can decide it: it fails as the harness's
                    // error, decided from the log like every verdict (so `observe` on the log agrees).
                    c.log.append(LogEntry(seq: 0, record: record.id, step: step.name, direction: nil, kind: .harness,
                                          startedAt: Date().timeIntervalSince1970, error: TransportFailure(kind: "fixture", message: why)))
                    shared.update { $0.harnessErrors.append("\(record.id): \(why)") }
                    progress?.say("  harness error: \(why)")
                    return
                }
                if let json = try? JSONValue.parse(body) {
                    for (name, path) in c.checklist.vars where vars[name] == nil {
                        if let v = path.first(in: json)?.scalarText { vars[name] = v }
                    }
                }
                let eventId = (try? JSONValue.parse(body))?["eventId"]?.stringValue ?? ""
                if step.name == "trigger" { vars["eventId"] = eventId }
                c.sandbox.webhookSent(eventId: eventId, record: record.id, body: try? JSONValue.parse(body))
                share(vars, of: record, c)
                for delivery in 1...w.deliveries where !wakeup.interrupted {
                    send(body: body, valid: w.signature == .valid, record: record, step: step.name, attempt: delivery, c, progress: progress)
                }
            case .action(let name, let instructions):
                let (started, ticket) = c.judge.begin()
                defer { c.judge.ended(ticket) }
                let hookTimeout = max(5, 60 * options.timeoutScale)
                progress?.waiting(record, for: "partner action \(name)", secondsLeft: hookTimeout)
                let o = ActionRunner(hook: options.actionHook, interactive: options.interactive, isInterrupted: { [wakeup] in wakeup.interrupted })
                    .perform(action: name, instructions: instructions, record: record.id, storeId: options.storeId,
                             sandboxURL: c.sandbox.baseURL, vars: vars, timeout: hookTimeout) { progress?.sayNow($0) }
                for (k, v) in o.vars { vars[k] = v }
                c.log.append(LogEntry(seq: 0, record: record.id, step: step.name, direction: nil, kind: .action, startedAt: started,
                                      durationMs: (Date().timeIntervalSince1970 - started) * 1000,
                                      action: ActionNote(name: name, outcome: o.outcome, message: o.message)))
                if o.outcome != "ok" { actionProblem = true }
            }
            if actionProblem { break }
            if let a = step.awaiting, step.name != "trigger" {
                awaitSetup(a, step: step.name, record: record, vars: &vars, c, progress: progress)
                share(vars, of: record, c)
            }
            if unreachable != nil { return }
        }
    }

    /// Tells the sandbox a record's current vars: its faults' paths are filled with them, and its ids are known.
    private func share(_ vars: [String: String], of record: Record, _ c: RecordContext) {
        c.sandbox.setFaults(record.faults, vars: vars, for: record.id)
        c.sandbox.handedOut(vars.filter { !Self.sharedVars.contains($0.key) }.values, by: record.id)
        c.sandbox.handedOut(vars.filter { Self.sharedVars.contains($0.key) }.values)
    }

    /// The vars every record has the same value of (the run's store and application): they say nothing of which
    /// record a call belongs to.
    static let sharedVars: Set<String> = ["storeId", "applicationId"]

    private func freshVars() -> [String: String] {
        WebhookFactory.freshVars(storeId: options.storeId, applicationId: options.applicationId)
    }

    /// The step's webhook, or why its fixture could not be read (named as in the checklist, not by its local path).
    private func webhookBody(_ w: WebhookStep, vars: [String: String]) -> Result<String, WhyNot> {
        let path = files.webhookFixture(w.fixture)
        do {
            let bytes = try DataFiles.bytes(path)
            return .success(WebhookFactory.body(fixture: String(decoding: bytes, as: UTF8.self), vars: vars))
        } catch {
            var why = error.description
            if why.hasPrefix(path + ": ") { why = String(why.dropFirst(path.count + 2)) }
            return .failure(WhyNot("the webhook fixture \(w.fixture) could not be read when it was due: \(why)"))
        }
    }

    /// A reason, as an error.
    struct WhyNot: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    private func send(body: String, valid: Bool, record: Record, step: String, attempt: Int, _ c: RecordContext, progress: RecordProgress?) {
        let bytes = Array(body.utf8)
        let signer = WebhookSigner(auth: options.webhookAuth, secret: options.webhookSecret)
        // The record and step travel with the webhook too (not Otter's API; a partner ignores them): a capture of a run
        // whose records ran side by side then tells apart records whose webhooks are alike (two quote requests).
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", Harness.name),
                                           (Harness.recordHeader, record.id), (Harness.stepHeader, step)]
        headers += signer.headers(for: bytes, valid: valid).map { ($0.name, $0.value) }
        let (started, ticket) = c.judge.begin()
        defer { c.judge.ended(ticket) }
        // Ctrl-C abandons a webhook the partner is slow to answer, instead of waiting out its timeout.
        let result = c.client.send(ClientRequest(method: "POST", url: options.partnerURL, headers: headers, body: bytes,
                                                 timeout: options.webhookTimeout * max(1, options.timeoutScale),
                                                 isCancelled: { [wakeup] in wakeup.interrupted }))
        var entry = LogEntry(seq: 0, record: record.id, step: step, direction: .otterToPartner, kind: .webhook, startedAt: started,
                             attempt: attempt, request: Message(method: "POST", url: options.partnerURL, headers: headers, body: body),
                             tags: valid ? [] : ["invalid-signature"])
        switch result {
        case .success(let r):
            entry.durationMs = r.timings.total * 1000
            // Logged whole up to Message.bodyLogCap; above it the first bytes, the size and the SHA-256.
            var answer = Message(status: r.status, headers: r.headers)
            answer.setBody(r.body)
            entry.response = answer
            if valid, r.status == 401 || r.status == 403, shared.update({ s in defer { s.saidSecretHint = true }; return !s.saidSecretHint }) {
                progress?.say("  hint: the partner answered \(r.status) to a correctly signed webhook: check that it verifies X-HMAC-SHA256 with the same secret as --webhook-secret (OTTER_CERT_WEBHOOK_SECRET)")
            }
        case .failure(let e):
            let hint: String?
            switch e {
            case .connectionRefused: hint = "Check --partner-url and that the partner's sandbox is running and listening there."
            case .dns: hint = "Check the host name in --partner-url (it does not resolve from here)."
            case .tls: hint = "Check the partner's TLS certificate: give --cacert with the CA that signed it, and that it names the host of --partner-url."
            default: hint = nil
            }
            if let hint {
                let first = shared.update { s in
                    guard s.webhooksSent == 0, s.unreachable == nil else { return false }
                    s.unreachable = e.message; s.unreachableHint = hint
                    return true
                }
                // The records running beside this one stop waiting: the run ends with an environment error.
                if first { wakeup.poke() }
            }
            entry.durationMs = (Date().timeIntervalSince1970 - started) * 1000
            let kind: String
            switch e {
            case .connectionRefused: kind = "refused"
            case .dns: kind = "dns"
            case .tls: kind = "tls"
            case .timeout: kind = "timeout"
            case .aborted: kind = "aborted"
            case .other: kind = "other"
            }
            let message = kind == "aborted" ? "the run was interrupted (Ctrl-C or a stop signal) before the partner answered; the webhook was abandoned" : e.message
            entry.error = TransportFailure(kind: kind, message: message)
        }
        c.log.append(entry)
        shared.update { $0.webhooksSent += 1 }
    }

    /// Waits until the request a setup step waits for was accepted (the engine says so), and takes the variables it
    /// exported, so the next step's webhook refers to what the partner created.
    private func awaitSetup(_ a: RequestPattern, step: String, record: Record, vars: inout [String: String], _ c: RecordContext,
                            progress: RecordProgress?) {
        let limit = 30 * options.timeoutScale
        let deadline = Date().addingTimeInterval(limit)
        let what = "\(a.method) \(a.path.expand(vars))"
        while !wakeup.interrupted && unreachable == nil {
            let generation = wakeup.current
            let (found, refused) = c.judge.look { ($0.awaited(record: record.id, step: step), $0.awaitRefused(record: record.id, step: step)) }
            if let found {
                for name in a.path.variables + a.export.map(\.name) { if let v = found[name] { vars[name] = v } }
                return
            }
            if let status = refused {
                progress?.say("  setup: \(what) was answered \(status); going on"); return
            }
            if Date() >= deadline { progress?.say("  setup: no \(what) within \(formatNumber(limit)) s; going on"); return }
            progress?.waiting(record, for: "setup: \(what)", secondsLeft: deadline.timeIntervalSinceNow)
            wakeup.wait(since: generation, until: min(deadline, Date().addingTimeInterval(Self.recheck)))
        }
    }

    /// The longest a wait goes without looking again. Waits end on each logged exchange; this bounds the cost of a
    /// wake-up that comes while an exchange that started earlier is still being answered (seen as rare 1 s stalls).
    static let recheck = 0.1

    /// Slack on a record's longest window before the run stops waiting for its verdict regardless.
    static let settleSlack = 5.0

    /// Waits, event-driven, until the engine says the record's verdict can no longer change, and returns it.
    ///
    /// Bounded whatever the engine says: a check that counts from a step it never saw has no deadline of its own, so
    /// the wait ends at the latest when the record's longest window, counted from now (after its last step), is over.
    /// The verdict reported is computed from the whole log afterwards, so stopping here loses nothing.
    private func settle(_ record: Record, _ c: RecordContext, progress: RecordProgress?) -> Verdict? {
        let limit = record.longestWindowSeconds + Self.settleSlack
        let latest = Date().timeIntervalSince1970 + limit
        while true {
            let generation = wakeup.current
            let now = Date().timeIntervalSince1970
            guard let p = c.judge.look({ $0.progress(record.id, now: now) }) else { return nil }
            if p.settled || wakeup.interrupted || unreachable != nil { return p.verdict }
            if now >= latest {
                progress?.say("  \(record.id) did not settle within \(formatNumber(limit)) s of its last step; going on")
                return p.verdict
            }
            let next = min(p.settlesBy ?? now + 1, latest)
            progress?.waiting(record, for: p.waitingFor, secondsLeft: next - now)
            wakeup.wait(since: generation, until: Date(timeIntervalSince1970: min(next, now + Self.recheck)))
        }
    }
}
