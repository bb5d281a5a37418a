import Foundation
import OtterCore
import OtterCrypto
import OtterClient

/// Plays Otter against a partner's live sandbox: sends each record's webhooks (signed), performs or requests the
/// partner's actions, serves the Public API the partner calls back, records every exchange, and judges the run
/// with the same evaluator `observe` uses, from the same log.
public final class Runner {
    let options: RunOptions
    let files: ProjectFiles
    weak var progress: RunProgress?
    /// Wakes the run on new log entries and on Ctrl-C.
    public let wakeup = Wakeup()
    /// Knows the run's secrets, and learns each token the sandbox issues: the log, and the terminal lines shown
    /// through `progress`, are redacted with it.
    public let redaction: LiveRedactor

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
        let observation = log.observe { [wakeup] _ in wakeup.poke() }
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
        let judge = LiveJudge(evaluator: Evaluator(checklist: checklist, endpoints: endpoints, schemas: schemas), log: log, sandbox: sandbox)
        let context = RecordContext(checklist: checklist, scaled: scaled, endpoints: endpoints, schemas: schemas, log: log,
                                    sandbox: sandbox, client: client, judge: judge)
        var ran: [String] = []
        for (i, record) in records.enumerated() {
            if wakeup.interrupted { break }
            progress?.started(record, index: i + 1, of: records.count)
            run(record, context)
            if let why = unreachable {
                throw .environment(redaction.text("cannot reach the partner at \(redaction.url(options.partnerURL)): \(why). \(unreachableHint)"))
            }
            ran.append(record.id)
            guard let verdict = settle(record, context) else { continue }
            log.append(LogEntry(seq: 0, record: record.id, direction: nil, kind: .end, startedAt: Date().timeIntervalSince1970,
                                tags: [verdict.status.rawValue]))
            log.sync()
            if log.writeError != nil { break }
            progress?.finished(verdict)
        }
        sandbox.setActiveRecord(nil, step: nil)
        sandbox.setFaults([], vars: [:])

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
                       entries: log.entries, checklistSHA256: checklistSHA, harnessErrors: harnessErrors)
    }

    /// The checklist the final verdict is computed with: every record for a full run, the records that ran otherwise.
    private func restricted(_ c: Checklist, to ids: Set<String>, all: Bool) -> Checklist {
        if all { return c }
        var c = c
        c.records = c.records.filter { ids.contains($0.id) }
        return c
    }

    struct RecordContext {
        let checklist: Checklist
        let scaled: Checklist
        let endpoints: EndpointTable
        let schemas: JSONSchemaValidator
        let log: EventLog
        let sandbox: OtterSandbox
        let client: HTTPClient
        let judge: LiveJudge
    }

    /// Why the partner could not be reached at all, when the run's first webhook failed to connect.
    private var unreachable: String?
    /// What to check when the partner cannot be reached, by what went wrong.
    private var unreachableHint = ""
    /// Whether the operator was already told that correctly signed webhooks are refused.
    private var saidSecretHint = false
    private var webhooksSent = 0
    /// The steps the harness could not carry out, `RECORD: why`.
    private var harnessErrors: [String] = []

    // MARK: - One record

    private func run(_ record: Record, _ c: RecordContext) {
        var vars = freshVars()
        c.sandbox.setActiveRecord(record.id, step: record.steps.first?.name)
        share(vars, of: record, c)
        var actionProblem = false
        for step in record.steps {
            if wakeup.interrupted { return }
            c.sandbox.setActiveRecord(record.id, step: step.name)
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
                    harnessErrors.append("\(record.id): \(why)")
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
                    send(body: body, valid: w.signature == .valid, record: record, step: step.name, attempt: delivery, c)
                }
            case .action(let name, let instructions):
                let started = Date().timeIntervalSince1970
                let hookTimeout = max(5, 60 * options.timeoutScale)
                progress?.waiting(record, for: "partner action \(name)", secondsLeft: hookTimeout)
                let o = ActionRunner(hook: options.actionHook, interactive: options.interactive, isInterrupted: { [wakeup] in wakeup.interrupted })
                    .perform(action: name, instructions: instructions, record: record.id, storeId: options.storeId,
                             sandboxURL: c.sandbox.baseURL, vars: vars, timeout: hookTimeout) { self.progress?.say($0) }
                for (k, v) in o.vars { vars[k] = v }
                c.log.append(LogEntry(seq: 0, record: record.id, step: step.name, direction: nil, kind: .action, startedAt: started,
                                      durationMs: (Date().timeIntervalSince1970 - started) * 1000,
                                      action: ActionNote(name: name, outcome: o.outcome, message: o.message)))
                if o.outcome != "ok" { actionProblem = true }
            }
            if actionProblem { break }
            if let a = step.awaiting, step.name != "trigger" {
                awaitSetup(a, step: step.name, record: record, vars: &vars, c)
                share(vars, of: record, c)
            }
            if unreachable != nil { return }
        }
    }

    /// Tells the sandbox a record's current vars: its faults' paths are filled with them, and its ids are known.
    private func share(_ vars: [String: String], of record: Record, _ c: RecordContext) {
        c.sandbox.setFaults(record.faults, vars: vars)
        c.sandbox.handedOut(vars.values)
    }

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

    private func send(body: String, valid: Bool, record: Record, step: String, attempt: Int, _ c: RecordContext) {
        let bytes = Array(body.utf8)
        let signer = WebhookSigner(auth: options.webhookAuth, secret: options.webhookSecret)
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", Harness.name)]
        headers += signer.headers(for: bytes, valid: valid).map { ($0.name, $0.value) }
        let started = Date().timeIntervalSince1970
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
            if valid, r.status == 401 || r.status == 403, !saidSecretHint {
                saidSecretHint = true
                progress?.say("  hint: the partner answered \(r.status) to a correctly signed webhook: check that it verifies X-HMAC-SHA256 with the same secret as --webhook-secret (OTTER_CERT_WEBHOOK_SECRET)")
            }
        case .failure(let e):
            if webhooksSent == 0 {
                switch e {
                case .connectionRefused:
                    unreachable = e.message
                    unreachableHint = "Check --partner-url and that the partner's sandbox is running and listening there."
                case .dns:
                    unreachable = e.message
                    unreachableHint = "Check the host name in --partner-url (it does not resolve from here)."
                case .tls:
                    unreachable = e.message
                    unreachableHint = "Check the partner's TLS certificate: give --cacert with the CA that signed it, and that it names the host of --partner-url."
                default: break
                }
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
        webhooksSent += 1
    }

    /// Waits until the request a setup step waits for was accepted (the engine says so), and takes the variables it
    /// exported, so the next step's webhook refers to what the partner created.
    private func awaitSetup(_ a: RequestPattern, step: String, record: Record, vars: inout [String: String], _ c: RecordContext) {
        let limit = 30 * options.timeoutScale
        let deadline = Date().addingTimeInterval(limit)
        let what = "\(a.method) \(a.path.expand(vars))"
        while !wakeup.interrupted {
            let generation = wakeup.current
            c.judge.catchUp()
            if let found = c.judge.evaluator.awaited(record: record.id, step: step) {
                for name in a.path.variables + a.export.map(\.name) { if let v = found[name] { vars[name] = v } }
                return
            }
            if let status = c.judge.evaluator.awaitRefused(record: record.id, step: step) {
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
    private func settle(_ record: Record, _ c: RecordContext) -> Verdict? {
        let limit = record.longestWindowSeconds + Self.settleSlack
        let latest = Date().timeIntervalSince1970 + limit
        while true {
            let generation = wakeup.current
            c.judge.catchUp()
            let now = Date().timeIntervalSince1970
            guard let p = c.judge.evaluator.progress(record.id, now: now) else { return nil }
            if p.settled || wakeup.interrupted { return p.verdict }
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

/// Feeds a live run's log to the correlation engine, each entry once, in time order: an entry is processed once no
/// exchange that started before it can still be in flight.
final class LiveJudge {
    let evaluator: Evaluator
    private let log: EventLog
    private let sandbox: OtterSandbox
    private var fed = 0

    init(evaluator: Evaluator, log: EventLog, sandbox: OtterSandbox) { self.evaluator = evaluator; self.log = log; self.sandbox = sandbox }

    /// Takes in what was appended since the last call and processes everything that is safe to process.
    func catchUp() {
        let new = log.entries(after: fed)
        fed += new.count
        for e in new { evaluator.consume(e) }
        let now = Date().timeIntervalSince1970
        evaluator.advance(before: min(now, sandbox.oldestInFlight ?? now) - 0.001)
    }
}
