import Foundation

/// A step of a record as observed in the log.
final class StepRuntime {
    let name: String
    let startedAt: Double
    let eventId: String?
    let isAction: Bool
    /// Deliveries of the webhook (more than one when it is delivered twice).
    var deliveries: [LogEntry] = []
    /// The action line, when the step is an action the log recorded.
    var actionEntry: LogEntry?

    init(name: String, startedAt: Double, eventId: String?, isAction: Bool) {
        self.name = name; self.startedAt = startedAt; self.eventId = eventId; self.isAction = isAction
    }

    /// "the webhook" or "the action", for messages about deadlines.
    var noun: String { isAction ? "the action" : "the webhook" }
}

/// One record's evaluation state: its steps as observed, its variables, its matchers.
final class RecordRuntime {
    let record: Record
    var vars: [String: String] = [:]
    var steps: [String: StepRuntime] = [:]
    var matchers: [Matcher] = []
    var awaits: [String: RequestMatcher] = [:]
    var stepEvidence: [Evidence] = []
    var actionProblem: (Verdict.Status, String)?
    /// Why the harness could not carry out a step of the record (a `harness` line), when it could not.
    var harnessProblem: String?
    /// The step after the last one bound: where a later group of exchanges may continue the record.
    var nextStep = 0

    init(record: Record) { self.record = record }

    func makeMatchers(_ ev: Evaluator) {
        matchers = record.expect.map { makeMatcher($0, ev) }
        for s in record.setup {
            if let a = s.awaiting {
                let spec = RequestExpectation(name: nil, pattern: a, step: s.name, withinSeconds: 300, eventId: false, headers: [],
                                              auth: false, scope: nil, schema: nil, fields: [], count: CountBounds(min: 1, max: nil),
                                              countWindowSeconds: 0, retry: nil, requiresEarlier: [])
                awaits[s.name] = RequestMatcher(spec: spec, record: self, isAwait: true)
            }
        }
    }

    private func makeMatcher(_ e: Expectation, _ ev: Evaluator) -> Matcher {
        switch e {
        case .ack(let a): return AckMatcher(spec: a, record: self)
        case .request(let r): return RequestMatcher(spec: r, record: self, isAwait: false)
        case .sequence(let s): return SequenceMatcher(spec: s, record: self)
        case .absent(let a): return AbsentMatcher(spec: a, record: self)
        case .anyOf(let a): return AnyOfMatcher(parts: a.of.map { makeMatcher($0, ev) })
        case .token(let t): return TokenMatcher(spec: t)
        }
    }

    // MARK: Binding steps (the correlation engine decides which exchange is which step)

    /// When the last bound step started.
    var lastBoundAt: Double?

    private func bound(_ j: Int, _ s: StepRuntime) {
        steps[record.steps[j].name] = s
        nextStep = max(nextStep, j + 1)
        lastBoundAt = max(lastBoundAt ?? s.startedAt, s.startedAt)
    }

    /// Binds step `j` to a webhook's deliveries.
    func bindWebhook(_ deliveries: [Exchange], step j: Int, _ ev: Evaluator) {
        guard let x = deliveries.first else { return }
        let step = record.steps[j]
        let eventType = x.requestJSON?["eventType"]?.stringValue ?? "?"
        let s = StepRuntime(name: step.name, startedAt: x.t, eventId: x.requestJSON?["eventId"]?.stringValue, isAction: false)
        s.deliveries = [x.entry]
        bound(j, s)
        if let body = x.requestJSON { bindVars(from: body, ev) }
        if step.name == "trigger", let id = s.eventId { vars["eventId"] = id }
        if stepEvidence.count < 12 { stepEvidence.append(Evidence(role: step.name == "trigger" ? .trigger : .setup, entry: x.entry, note: "\(eventType) webhook")) }
        activate(step.name)
        for d in deliveries.dropFirst() { addDelivery(d, ev) }
    }

    /// A repeated delivery of a webhook this record holds.
    func addDelivery(_ x: Exchange, _ ev: Evaluator) {
        let eventId = x.requestJSON?["eventId"]?.stringValue
        guard let s = steps.values.first(where: { $0.eventId == eventId && !$0.isAction }) else { return }
        s.deliveries.append(x.entry)
        let eventType = x.requestJSON?["eventType"]?.stringValue ?? "?"
        if stepEvidence.count < 12 { stepEvidence.append(Evidence(role: s.name == "trigger" ? .trigger : .setup, entry: x.entry, note: "repeated delivery of \(eventType)")) }
    }

    /// Binds step `j` to a partner action line.
    func bindAction(_ entry: LogEntry, step j: Int, _ ev: Evaluator) {
        guard let a = entry.action else { return }
        let name = record.steps[j].name
        let s = StepRuntime(name: name, startedAt: entry.startedAt, eventId: nil, isAction: true)
        s.actionEntry = entry
        bound(j, s)
        if stepEvidence.count < 12 { stepEvidence.append(Evidence(role: .action, entry: entry, note: "partner action \(a.name): \(a.outcome)")) }
        switch a.outcome {
        case "ok": break
        case "skipped":
            if actionProblem == nil { actionProblem = (.skipped, "partner action \(a.name) was not performed: \(a.message ?? "no --action-hook and no terminal")") }
        default:
            if actionProblem == nil {
                let msg = (a.message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                actionProblem = (.failed, "partner action \(a.name) failed" + (msg.isEmpty ? "" : ": " + short(msg, 200)))
            }
        }
        activate(name)
    }

    /// The harness could not carry out a step (a `harness` line): the record fails as a harness error.
    func harnessFailed(_ entry: LogEntry) {
        guard harnessProblem == nil else { return }
        let step = entry.step.map { " (step '\($0)')" } ?? ""
        harnessProblem = "harness error\(step), not the partner's: \(entry.error?.message ?? "a step could not be carried out"); the record was not run to its end"
    }

    /// Binds action step `j` to the partner's own request it causes, in a capture that holds no action lines:
    /// the step starts with that request.
    func bindCaused(_ t: Double, request: Exchange?, step j: Int) {
        let name = record.steps[j].name
        let s = StepRuntime(name: name, startedAt: t, eventId: nil, isAction: true)
        bound(j, s)
        if let x = request, stepEvidence.count < 12 {
            if case .action(let action, _) = record.steps[j].source {
                stepEvidence.append(Evidence(role: .action, entry: x.entry,
                                             note: "partner action \(action), seen as the request it causes (the capture holds no action lines)"))
            }
        }
        activate(name)
    }

    private func bindVars(from body: JSONValue, _ ev: Evaluator) {
        for (name, path) in ev.checklist.vars where vars[name] == nil {
            if let v = path.first(in: body)?.scalarText, !v.isEmpty { vars[name] = v }
        }
    }

    private func activate(_ stepName: String) {
        guard let s = steps[stepName] else { return }
        awaits[stepName]?.activate(anchor: s.startedAt, eventId: s.eventId, noun: s.noun)
        for m in matchers { m.activate(step: s) }
    }

    // MARK: Requests

    func offer(_ x: Exchange, _ ev: Evaluator) {
        for (_, a) in awaits where a.isActive { a.offer(x, ev) }
        for m in matchers { m.offer(x, ev) }
    }

    /// Called when an await matched: export its variables.
    func exported(_ values: [String: String]) {
        for (k, v) in values where vars[k] == nil { vars[k] = v }
    }

    func rememberUnique(_ x: Exchange, _ ev: Evaluator) {
        for m in matchers { (m as? RequestMatcher)?.rememberUnique(x, ev) }
    }

    // MARK: Verdict

    func verdict(_ ev: Evaluator) -> Verdict {
        var v = Verdict(id: record.id, title: record.title, required: record.required, rationale: record.rationale,
                        status: .skipped, reason: "", checks: [], evidence: stepEvidence,
                        startedAt: steps["trigger"]?.startedAt, deadlines: [], source: record.source,
                        rulesSourceKind: record.rulesSourceKind)
        if let problem = harnessProblem {
            v.status = .failed; v.reason = problem
            return v
        }
        // The proxy alters no traffic unless --inject names the record: a record that needs Otter to answer with an
        // injected fault is judged only when such an answer passed (Otter's own, or the proxy's under --inject).
        if ev.writtenByProxy, let f = record.faults.first, let i = ev.recordIndex[record.id], !ev.faultAnswered.contains(i) {
            v.reason = "needs otter-cert run: the record needs Otter to answer \(f.status) to \(f.method) \(f.path.text), and no such answer passed "
                + "(the proxy forwards traffic unchanged); give the proxy --inject \(record.id), or replay it with otter-cert run, which injects it"
            return v
        }
        guard steps["trigger"] != nil else {
            let missing = record.steps.first { steps[$0.name] == nil } ?? record.trigger
            switch missing.source {
            case .webhook(let w):
                var what = "\(w.eventType ?? w.fixture) webhook"
                if w.signature == .invalid { what += " with an invalid signature" }
                if !w.match.isEmpty { what += " (\(w.match.map(\.description).joined(separator: ", ")))" }
                if w.deliveries > 1 { what += " delivered \(w.deliveries) times" }
                var reason = "not observed: the log holds no \(what) for the \(missing.name == "trigger" ? "trigger" : "setup step '\(missing.name)'")"
                if w.signature == .invalid && ev.options.webhookSecret == nil {
                    reason += "; without record tags, give --webhook-secret to tell invalid signatures apart"
                }
                if let f = record.faults.first {
                    let noun = f.status == 429 ? "429 answer (with Retry-After)" : "\(f.status) answer"
                    reason = "not observed: the log holds no \(noun) to \(f.method) \(f.path.text) to retry after; replay with otter-cert run, which injects it"
                } else if !ev.writtenByRun && (w.signature == .invalid || w.deliveries > 1) {
                    reason += " (a capture of traffic otter-cert did not send rarely has one; replay with otter-cert run)"
                }
                v.reason = reason
            case .action(let name, _):
                v.reason = "not observed: the log holds no partner action \(name) for step '\(missing.name)'"
            }
            return v
        }
        var checks: [CheckResult] = []
        for (m, x) in zip(matchers, record.expect) {
            var (c, e, d) = m.result(ev)
            if let s = x.source, !s.sameRule(as: record.source) { c.source = s }
            c.fieldSources = x.fieldAssertions.compactMap { f in f.source.map { (f.description, $0) } }
            checks.append(c)
            v.evidence += e
            v.deadlines += d
        }
        v.checks = checks
        if let (status, reason) = actionProblem {
            v.status = status; v.reason = reason
            return v
        }
        if let f = checks.first(where: { $0.status == .failed }) {
            v.status = .failed; v.reason = f.label + ": " + f.reason
        } else if let s = checks.first(where: { $0.status == .skipped }) {
            v.status = .skipped; v.reason = s.label + ": " + s.reason
        } else {
            v.status = .passed
            v.reason = checks.map(\.reason).joined(separator: "; ")
        }
        return v
    }
}
