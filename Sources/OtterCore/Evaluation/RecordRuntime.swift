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
    /// Next step to bind when the log has no record tags.
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
        case .anyOf(let xs): return AnyOfMatcher(parts: xs.map { makeMatcher($0, ev) })
        case .token(let t): return TokenMatcher(spec: t)
        }
    }

    // MARK: Binding steps

    func bindWebhook(_ x: Exchange, eventType: String, tagged: Bool, _ ev: Evaluator) {
        let eventId = x.requestJSON?["eventId"]?.stringValue
        // A repeated delivery of a webhook this record already holds.
        if let id = eventId, let s = steps.values.first(where: { $0.eventId == id && !$0.isAction }) {
            s.deliveries.append(x.entry)
            if stepEvidence.count < 12 { stepEvidence.append(Evidence(role: s.name == "trigger" ? .trigger : .setup, entry: x.entry, note: "repeated delivery of \(eventType)")) }
            return
        }
        let all = record.steps
        var index: Int?
        if tagged {
            if let name = x.entry.step, let i = all.firstIndex(where: { $0.name == name }), steps[name] == nil { index = i }
            else { index = all.indices.first { steps[all[$0].name] == nil && all[$0].webhook?.eventType == eventType } }
        } else {
            // Without tags, steps are bound in order; actions without a marker are taken as done when reached,
            // and steps a tagged line already bound are passed over.
            while nextStep < all.count, steps[all[nextStep].name] != nil { nextStep += 1 }
            while nextStep < all.count, case .action = all[nextStep].source {
                let prev = nextStep > 0 ? steps[all[nextStep - 1].name]?.startedAt : nil
                steps[all[nextStep].name] = StepRuntime(name: all[nextStep].name, startedAt: prev ?? x.t, eventId: nil, isAction: true)
                nextStep += 1
            }
            guard nextStep < all.count, let w = all[nextStep].webhook, w.eventType == eventType else { return }
            guard let body = x.requestJSON else { return }
            for m in w.match where m.failure(in: body, vars: vars, regex: ev.regex) != nil { return }
            let invalid = ev.signatureInvalid(x)
            if w.signature == .invalid && invalid != true { return }
            if w.signature == .valid && invalid == true { return }
            index = nextStep
        }
        guard let i = index else { return }
        let step = all[i]
        let s = StepRuntime(name: step.name, startedAt: x.t, eventId: eventId, isAction: false)
        s.deliveries.append(x.entry)
        steps[step.name] = s
        if !tagged { nextStep = i + 1 }
        if let body = x.requestJSON { bindVars(from: body, ev) }
        if step.name == "trigger", let id = eventId { vars["eventId"] = id }
        if stepEvidence.count < 12 { stepEvidence.append(Evidence(role: step.name == "trigger" ? .trigger : .setup, entry: x.entry, note: "\(eventType) webhook")) }
        activate(step.name)
    }

    func bindAction(_ entry: LogEntry, _ ev: Evaluator) {
        guard let a = entry.action else { return }
        let all = record.steps
        let name = entry.step ?? all.first { s in if case .action(let n, _) = s.source { return n == a.name && steps[s.name] == nil } else { return false } }?.name
        guard let name, let step = all.first(where: { $0.name == name }), steps[name] == nil else { return }
        let s = StepRuntime(name: name, startedAt: entry.startedAt, eventId: nil, isAction: true)
        s.actionEntry = entry
        steps[name] = s
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
        _ = step
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
                        startedAt: steps["trigger"]?.startedAt, deadlines: [])
        guard steps["trigger"] != nil else {
            let missing = record.steps.first { steps[$0.name] == nil } ?? record.trigger
            switch missing.source {
            case .webhook(let w):
                var what = "\(w.eventType ?? w.fixture) webhook"
                if w.signature == .invalid { what += " with an invalid signature" }
                if !w.match.isEmpty { what += " (\(w.match.map(\.description).joined(separator: ", ")))" }
                var reason = "not observed: the log holds no \(what) for the \(missing.name == "trigger" ? "trigger" : "setup step '\(missing.name)'")"
                if w.signature == .invalid && ev.options.webhookSecret == nil {
                    reason += "; without record tags, give --webhook-secret to tell invalid signatures apart"
                }
                v.reason = reason
            case .action(let name, _):
                v.reason = "not observed: the log holds no partner action \(name) for step '\(missing.name)'"
            }
            return v
        }
        var checks: [CheckResult] = []
        for m in matchers {
            let (c, e, d) = m.result(ev)
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
