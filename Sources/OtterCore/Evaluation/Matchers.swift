import Foundation

/// Watches the log for one expectation of one record.
protocol Matcher: AnyObject {
    /// A step of the record was observed.
    func activate(step: StepRuntime)
    /// A partner → Otter call, in time order.
    func offer(_ x: Exchange, _ ev: Evaluator)
    /// The outcome, its evidence and its deadlines.
    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline])
}

extension Matcher {
    func activate(step: StepRuntime) {}
    func offer(_ x: Exchange, _ ev: Evaluator) {}
}

// MARK: - Acknowledgement

final class AckMatcher: Matcher {
    let spec: AckExpectation
    unowned let record: RecordRuntime

    init(spec: AckExpectation, record: RecordRuntime) { self.spec = spec; self.record = record }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        let label = spec.step == "trigger" ? "acknowledgement" : "acknowledgement of \(spec.step)"
        guard let step = record.steps[spec.step], !step.isAction else {
            return (CheckResult(label: label, status: .skipped, reason: "the \(spec.step) webhook was not observed"), [], [])
        }
        let wanted = record.record.steps.first { $0.name == spec.step }?.webhook?.deliveries ?? 1
        let deadline = [Deadline(label: "acknowledgement due", at: step.startedAt + spec.withinMs / 1000)]
        var timings: [String] = []
        for (i, d) in step.deliveries.enumerated() {
            let which = step.deliveries.count > 1 ? "delivery \(i + 1): " : ""
            if let err = d.error, err.kind == "aborted" {
                // The harness gave up on it (the run was interrupted): not the partner's doing.
                return (CheckResult(label: label, status: .skipped, reason: "\(which)not judged: \(err.message)", expected: spec.status.text,
                                    seen: err.kind), [Evidence(role: .attempt, entry: d, note: err.message)], deadline)
            }
            if let err = d.error {
                return (CheckResult(label: label, status: .failed, reason: "\(which)the webhook was not acknowledged: \(err.kind): \(err.message)",
                                    expected: spec.status.text, seen: err.kind), [Evidence(role: .violation, entry: d, note: err.message)], deadline)
            }
            guard let status = d.response?.status else {
                return (CheckResult(label: label, status: .failed, reason: "\(which)no answer to the webhook was recorded", expected: spec.status.text, seen: "none"),
                        [Evidence(role: .violation, entry: d, note: "no answer")], deadline)
            }
            if !spec.status.contains(status) {
                return (CheckResult(label: label, status: .failed, reason: "\(which)acknowledged with \(status), expected \(spec.status.text)",
                                    expected: spec.status.text, seen: String(status)),
                        [Evidence(role: .violation, entry: d, note: "answered \(status)")], deadline)
            }
            if d.durationMs > spec.withinMs {
                return (CheckResult(label: label, status: .failed,
                                    reason: "\(which)acknowledged after \(millis(d.durationMs)), limit \(millis(spec.withinMs))",
                                    expected: "<= \(millis(spec.withinMs))", seen: millis(d.durationMs)),
                        [Evidence(role: .violation, entry: d, note: "slow acknowledgement")], deadline)
            }
            if spec.checksBody, let f = bodyFailure(d, ev) {
                return (CheckResult(label: label, status: .failed, reason: "\(which)\(f.reason)", expected: f.expected, seen: f.seen),
                        [Evidence(role: .violation, entry: d, note: f.reason)], deadline)
            }
            timings.append("\(status) in \(millis(d.durationMs))")
        }
        if step.deliveries.count < wanted {
            return (CheckResult(label: label, status: .skipped,
                                reason: "the webhook was delivered \(step.deliveries.count) time(s); this record needs it delivered \(wanted) times"), [], deadline)
        }
        let what = step.deliveries.count > 1 ? "all \(step.deliveries.count) deliveries acknowledged" : "acknowledged"
        let body = spec.schema.map { " with a valid \($0)" } ?? (spec.checksBody ? " with the expected body" : "")
        return (CheckResult(label: label, status: .passed, reason: "\(what) \(timings.joined(separator: ", "))\(body)"), [], deadline)
    }

    /// What is wrong with the body of a webhook's answer (a synchronous answer such as `stores.fetch_credentials`'s
    /// `ViewCredentialsArray`), or nil when it is right: JSON, valid against the schema, every field assertion met.
    private func bodyFailure(_ d: LogEntry, _ ev: Evaluator) -> (reason: String, expected: String?, seen: String?)? {
        let want = spec.schema.map { "a \($0)" } ?? "a JSON body"
        let raw = d.response?.body ?? ""
        guard let body = d.response?.json else {
            if let note = d.response?.truncationNote {
                return ("the answer's \(note): it cannot be checked as \(want)", spec.schema ?? "JSON", "truncated")
            }
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? ("the answer's body is empty, expected \(want)", spec.schema ?? "JSON", "empty")
                                   : ("the answer's body is not JSON, expected \(want): \(short(trimmed, 60))", spec.schema ?? "JSON", "not JSON")
        }
        if let name = spec.schema, let schemas = ev.schemas, schemas.schemaNames.contains(name) {
            let violations = schemas.validate(body, against: name)
            if let first = violations.first {
                let more = violations.count > 1 ? " (and \(violations.count - 1) more)" : ""
                return ("the answer's body does not match \(name): \(first)\(more)", name, first.description)
            }
        }
        for fa in spec.fields {
            if let f = fa.failure(in: body, vars: record.vars, regex: ev.regexes.pattern) {
                return ("the answer's body: \(f.reason)", f.expected, f.seen)
            }
        }
        return nil
    }
}

// MARK: - Request

/// One problem with a candidate request; the lowest rank is the one reported.
struct Failure {
    var rank: Int
    var reason: String
    var expected: String?
    var seen: String?
}

final class RequestMatcher: Matcher {
    let spec: RequestExpectation
    unowned let record: RecordRuntime
    let isAwait: Bool
    private(set) var anchor: Double?
    private var eventId: String?
    private var noun = "the webhook"
    private var matches: [LogEntry] = []
    private var matchCount = 0
    private var firstMatchDelay: Double?
    private var miss: (entry: LogEntry, failures: [Failure])?
    private var faulted: (entry: LogEntry, retryAfter: Double?)?
    private var retried: (entry: LogEntry, delay: Double)?
    private var closed = false

    init(spec: RequestExpectation, record: RecordRuntime, isAwait: Bool) { self.spec = spec; self.record = record; self.isAwait = isAwait }

    var isActive: Bool { anchor != nil && !closed }
    /// Whether an accepted request matched (for a setup step's await: the next step may start).
    var satisfied: Bool { !matches.isEmpty }
    /// A matching request that Otter refused for good (4xx other than 429), with its status: no retry will come.
    var refused: Int? {
        guard matches.isEmpty, let s = miss?.entry.response?.status, s >= 400, isFinalAnswer(s) else { return nil }
        return s
    }
    var label: String { "\(spec.pattern.method) \(spec.pattern.path.expand(record.vars))" }

    func activate(anchor: Double, eventId: String?, noun: String) {
        guard self.anchor == nil else { return }
        self.anchor = anchor; self.eventId = eventId; self.noun = noun
    }

    func activate(step: StepRuntime) {
        if step.name == spec.step { activate(anchor: step.startedAt, eventId: step.eventId, noun: step.noun) }
    }

    func offer(_ x: Exchange, _ ev: Evaluator) {
        guard let anchor, !closed, x.t >= anchor - 0.0005 else { return }
        let horizon = anchor + spec.withinSeconds + spec.countWindowSeconds + max(60, 3 * spec.withinSeconds)
        if x.t > horizon { closed = true; return }
        guard let captures = spec.pattern.matches(method: x.method, path: x.path, bound: record.vars) else { return }
        let eventIdOK = !spec.eventId || x.header("X-Event-Id") == eventId
        let pathBound = spec.pattern.path.variables.contains { record.vars[$0] != nil }
        let inWindow = x.t <= anchor + spec.withinSeconds
        if !eventIdOK && !pathBound && !inWindow { return }

        if let r = spec.retry, eventIdOK || pathBound {
            if faulted == nil, x.status == r.status {
                faulted = (x.entry, x.entry.response?.header("Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) })
                return
            }
            if let f = faulted, retried == nil, x.t > f.entry.startedAt { retried = (x.entry, x.t - f.entry.startedAt) }
        }

        let failures = isAwait ? [] : check(x, ev)
        if failures.isEmpty && x.accepted {
            if x.t <= anchor + spec.withinSeconds + spec.countWindowSeconds { matchCount += 1 }
            if matches.isEmpty {
                firstMatchDelay = x.t - anchor
                var exported = captures
                if let body = x.requestJSON {
                    for (name, path) in spec.pattern.export { if let v = path.first(in: body)?.scalarText { exported[name] = v } }
                }
                record.exported(exported)
            }
            if matches.count < 3 { matches.append(x.entry) }
            if isAwait { closed = true }
            return
        }
        let ranked = failures.isEmpty
            ? [Failure(rank: 9, reason: x.entry.error.map { "no answer was recorded: \($0.message)" } ?? "Otter answered \(x.status ?? 0)")]
            : failures
        if miss == nil || ranked.count < miss!.failures.count || (ranked.count == miss!.failures.count && ranked[0].rank > miss!.failures[0].rank) {
            miss = (x.entry, ranked.sorted { $0.rank < $1.rank })
        }
    }

    private func check(_ x: Exchange, _ ev: Evaluator) -> [Failure] {
        var out: [Failure] = []
        let endpoint = ev.endpoints.endpoint(method: x.method, path: x.path)
        if spec.eventId {
            let got = x.header("X-Event-Id")
            if got != eventId {
                out.append(Failure(rank: 0, reason: got.map { "X-Event-Id was \(short($0)), expected \(short(eventId ?? "?"))" }
                                   ?? "X-Event-Id header is missing, expected \(short(eventId ?? "?"))",
                                   expected: eventId, seen: got ?? "missing"))
            }
        }
        if let anchor, x.t - anchor > spec.withinSeconds {
            out.append(Failure(rank: 1, reason: "arrived \(seconds(x.t - anchor)) after \(noun), deadline \(formatNumber(spec.withinSeconds)) s",
                               expected: "<= \(formatNumber(spec.withinSeconds)) s", seen: seconds(x.t - anchor)))
        }
        var headerChecks: [(String, String)] = []
        for h in endpoint?.requiredHeaders ?? [] where h.lowercased() != "x-event-id" || !spec.eventId {
            switch h.lowercased() {
            case "x-store-id": headerChecks.append((h, record.vars["storeId"] ?? "*"))
            case "x-application-id": headerChecks.append((h, record.vars["applicationId"] ?? "*"))
            default: headerChecks.append((h, "*"))
            }
        }
        headerChecks += spec.headers.map { ($0.name, expandTemplate($0.value, record.vars)) }
        for (name, want) in headerChecks {
            guard let got = x.header(name) else {
                out.append(Failure(rank: 2, reason: "\(name) header is missing", expected: want == "*" ? "present" : want, seen: "missing")); continue
            }
            if want != "*" && got != want {
                out.append(Failure(rank: 2, reason: "\(name) was '\(short(got))', expected '\(short(want))'", expected: want, seen: got))
            }
        }
        if spec.auth, ev.options.bearerUnavailable == nil, let p = ev.tokens.problem(x, scope: spec.scope ?? endpoint?.scope) {
            out.append(Failure(rank: 3, reason: p))
        }
        let schemaName = spec.schema ?? endpoint?.bodySchema
        let body = x.requestJSON
        if (schemaName != nil || !spec.fields.isEmpty) && body == nil, let note = x.entry.request?.truncationNote {
            out.append(Failure(rank: 4, reason: "the \(note): it cannot be checked as \(schemaName.map { "a \($0)" } ?? "JSON")",
                               expected: schemaName ?? "JSON", seen: "truncated"))
        } else if (schemaName != nil || !spec.fields.isEmpty) && body == nil {
            let raw = x.entry.request?.body ?? ""
            out.append(Failure(rank: 4, reason: raw.isEmpty ? "the body is empty, expected \(schemaName.map { "a \($0)" } ?? "JSON")"
                                                           : "the body is not JSON", expected: schemaName ?? "JSON", seen: raw.isEmpty ? "empty" : "not JSON"))
        }
        if let name = schemaName, let schemas = ev.schemas, let body, schemas.schemaNames.contains(name) {
            let violations = schemas.validate(body, against: name)
            if let first = violations.first {
                let more = violations.count > 1 ? " (and \(violations.count - 1) more)" : ""
                out.append(Failure(rank: 5, reason: "the body does not match \(name): \(first)\(more)", expected: name, seen: first.description))
            }
        }
        if let body {
            for fa in spec.fields {
                if case .unique = fa.check {
                    let key = uniqueKey(fa)
                    for v in fa.path.select(in: body) {
                        if let s = v.scalarText, let first = ev.uniqueValues[key]?[s], first < x.t - 0.0005 {
                            out.append(Failure(rank: 6, reason: "\(fa.path) '\(short(s))' was already used by an earlier \(spec.pattern.method) \(spec.pattern.path.text)",
                                               expected: "a new value", seen: s))
                        }
                    }
                    if fa.path.select(in: body).isEmpty { out.append(Failure(rank: 6, reason: "\(fa.path) is missing", expected: "present", seen: "missing")) }
                } else if let f = fa.failure(in: body, vars: record.vars, regex: ev.regexes.pattern) {
                    out.append(Failure(rank: 6, reason: f.reason, expected: f.expected, seen: f.seen))
                }
            }
        }
        for p in spec.requiresEarlier {
            let concrete = p.path.expand(record.vars)
            if !(ev.acceptedPaths[p.method + " " + concrete].map { $0 <= x.t } ?? false) {
                out.append(Failure(rank: 7, reason: "arrived before any accepted \(p.method) \(concrete)", expected: "after \(p.method) \(concrete)", seen: "before"))
            }
        }
        if let s = x.status, !(200...299).contains(s) {
            let msg = x.responseJSON.flatMap { $0["message"]?.stringValue ?? $0["error"]?.stringValue }
            out.append(Failure(rank: 8, reason: "Otter answered \(s)" + (msg.map { ": " + short($0, 120) } ?? ""), expected: "2xx", seen: String(s)))
        } else if let err = x.entry.error {
            out.append(Failure(rank: 8, reason: "no answer was recorded: \(err.message)"))
        }
        return out
    }

    private func uniqueKey(_ fa: FieldAssertion) -> String { "\(spec.pattern.method) \(spec.pattern.path.text)|\(fa.path)" }

    func rememberUnique(_ x: Exchange, _ ev: Evaluator) {
        let uniques = spec.fields.filter { if case .unique = $0.check { return true } else { return false } }
        guard !uniques.isEmpty, spec.pattern.method == x.method, spec.pattern.matches(method: x.method, path: x.path) != nil,
              let body = x.requestJSON else { return }
        for fa in uniques {
            for v in fa.path.select(in: body) {
                if let s = v.scalarText, ev.uniqueValues[uniqueKey(fa)]?[s] == nil { ev.uniqueValues[uniqueKey(fa), default: [:]][s] = x.t }
            }
        }
    }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        guard let anchor else {
            return (CheckResult(label: label, status: .skipped, reason: "step '\(spec.step)' was not observed"), [], [])
        }
        var deadlines = [Deadline(label: "\(label) due", at: anchor + spec.withinSeconds)]
        if spec.count.max != nil, let first = firstMatchDelay {
            deadlines.append(Deadline(label: "no repeat of \(label)", at: anchor + first + spec.countWindowSeconds, kind: .quiet))
        }
        var evidence = matches.map { Evidence(role: .matched, entry: $0, note: "accepted \(spec.pattern.method) \(Message(url: $0.request?.url ?? "").path)") }
        if let f = faulted { evidence.insert(Evidence(role: .attempt, entry: f.entry, note: "first attempt answered \(f.entry.response?.status ?? 0)"), at: 0) }
        func fail(_ reason: String, expected: String? = nil, seen: String? = nil) -> (CheckResult, [Evidence], [Deadline]) {
            var ev = evidence
            if let m = miss { ev.append(Evidence(role: .closestMiss, entry: m.entry, note: m.failures.map(\.reason).joined(separator: "; "))) }
            return (CheckResult(label: label, status: .failed, reason: reason, expected: expected, seen: seen), ev, deadlines)
        }
        if let r = spec.retry {
            if let f = faulted {
                guard let (_, delay) = retried else {
                    return fail("the \(r.status) answer was never retried: no later \(label) with X-Event-Id \(short(eventId ?? "?")) within \(formatNumber(spec.withinSeconds)) s")
                }
                let needed = max(r.minDelaySeconds, r.honourRetryAfter ? (f.retryAfter ?? 0) : 0)
                if delay + 0.05 < needed {
                    return fail("retried \(seconds(delay)) after the \(r.status) answer; Retry-After asked for \(formatNumber(needed)) s",
                                expected: ">= \(formatNumber(needed)) s", seen: seconds(delay))
                }
            } else if matchCount > 0 {
                return (CheckResult(label: label, status: .skipped,
                                    reason: "no attempt was answered \(r.status), so the retry could not be observed (otter-cert run injects that answer)"),
                        evidence, deadlines)
            }
        }
        if matchCount == 0 && matches.isEmpty {
            if let m = miss {
                let extra = m.failures.count > 1 ? " (and \(m.failures.count - 1) more problem\(m.failures.count > 2 ? "s" : ""))" : ""
                return fail(m.failures[0].reason + extra, expected: m.failures[0].expected, seen: m.failures[0].seen)
            }
            let corr = spec.eventId ? " with X-Event-Id \(short(eventId ?? "?"))" : ""
            return fail("no \(label)\(corr) arrived within \(formatNumber(spec.withinSeconds)) s of \(noun)")
        }
        if matchCount == 0 {
            return fail("no \(label) arrived within \(formatNumber(spec.withinSeconds)) s of \(noun)")
        }
        if let mx = spec.count.max, matchCount > mx {
            return fail("\(matchCount) \(label) calls were accepted for this event, expected \(mx == spec.count.min ? "exactly" : "at most") \(mx)",
                        expected: String(mx), seen: String(matchCount))
        }
        if matchCount < spec.count.min {
            return fail("only \(matchCount) \(label) call(s) were accepted, expected at least \(spec.count.min)", expected: String(spec.count.min), seen: String(matchCount))
        }
        var reason = "\(label) arrived after \(seconds(firstMatchDelay ?? 0))"
        if let r = spec.retry, let (_, delay) = retried { reason += ", retried \(seconds(delay)) after the \(r.status)" }
        if spec.count.max != nil { reason += ", \(matchCount) accepted" }
        return (CheckResult(label: label, status: .passed, reason: reason), evidence, deadlines)
    }
}

// MARK: - Sequence

final class SequenceMatcher: Matcher {
    let spec: SequenceExpectation
    unowned let record: RecordRuntime
    private var anchor: Double?
    private var noun = "the webhook"
    private var seen: [(t: Double, state: String?, entry: LogEntry, body: JSONValue?)] = []

    init(spec: SequenceExpectation, record: RecordRuntime) { self.spec = spec; self.record = record }

    var label: String { "\(spec.pattern.method) \(spec.pattern.path.expand(record.vars))" }

    func activate(step: StepRuntime) {
        if step.name == spec.step, anchor == nil { anchor = step.startedAt; noun = step.noun }
    }

    func offer(_ x: Exchange, _ ev: Evaluator) {
        guard let anchor, x.t >= anchor - 0.0005, seen.count < 64 else { return }
        guard spec.pattern.matches(method: x.method, path: x.path, bound: record.vars) != nil else { return }
        guard x.accepted || x.status.map({ $0 < 500 && $0 != 429 }) == true else { return }
        let body = x.requestJSON
        seen.append((x.t, body.flatMap { spec.field.first(in: $0)?.stringValue }, x.entry, body))
    }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        guard let anchor else { return (CheckResult(label: label, status: .skipped, reason: "step '\(spec.step)' was not observed"), [], []) }
        let deadlines = [Deadline(label: "\(spec.final ?? "last state") due", at: anchor + spec.withinSeconds)]
        let evidence = seen.prefix(8).map { Evidence(role: .matched, entry: $0.entry, note: "\(spec.field) = \($0.state ?? "missing")") }
        func fail(_ r: String, _ at: LogEntry?, expected: String? = nil, seenText: String? = nil) -> (CheckResult, [Evidence], [Deadline]) {
            var e = evidence
            if let at { e.append(Evidence(role: .violation, entry: at, note: r)) }
            return (CheckResult(label: label, status: .failed, reason: r, expected: expected, seen: seenText), e, deadlines)
        }
        if seen.isEmpty { return fail("no \(label) arrived within \(formatNumber(spec.withinSeconds)) s of \(noun)", nil) }
        var lastIndex = -1
        var lastState = ""
        var reachedFrom = false
        for s in seen {
            guard let state = s.state else { return fail("\(spec.field) is missing in a \(label) call", s.entry) }
            guard let i = spec.order.firstIndex(of: state) else {
                return fail("status \(state) is not a known state (expected one of \(spec.order.joined(separator: ", ")))", s.entry, expected: spec.order.joined(separator: " | "), seenText: state)
            }
            if i < lastIndex {
                return fail("status went backwards: \(state) arrived after \(lastState)", s.entry,
                            expected: "after \(lastState): \(spec.order[lastIndex...].joined(separator: ", "))", seenText: state)
            }
            if s.t - anchor > spec.withinSeconds {
                return fail("status \(state) arrived \(seconds(s.t - anchor)) after \(noun), deadline \(formatNumber(spec.withinSeconds)) s", s.entry,
                            expected: "<= \(formatNumber(spec.withinSeconds)) s", seenText: seconds(s.t - anchor))
            }
            if let (from, fields) = spec.fromState {
                if state == from || (spec.order.firstIndex(of: from).map { i >= $0 } ?? false) { reachedFrom = true }
                if reachedFrom, let body = s.body {
                    for fa in fields {
                        if let f = fa.failure(in: body, vars: record.vars, regex: ev.regexes.pattern) {
                            return fail("status \(state): \(f.reason) (required from \(from) on)", s.entry, expected: f.expected, seenText: f.seen)
                        }
                    }
                }
            }
            lastIndex = i; lastState = state
        }
        let states = seen.compactMap(\.state)
        for r in spec.require where !states.contains(r) {
            return fail("status \(r) was never reported (reported: \(states.joined(separator: ", ")))", nil, expected: r, seenText: states.joined(separator: ", "))
        }
        if let f = spec.final, lastState != f {
            return fail("the last status was \(lastState), expected \(f)", seen.last?.entry, expected: f, seenText: lastState)
        }
        return (CheckResult(label: label, status: .passed, reason: "statuses in order: \(states.joined(separator: " → "))"), evidence, deadlines)
    }
}

// MARK: - Absence

final class AbsentMatcher: Matcher {
    let spec: AbsentExpectation
    unowned let record: RecordRuntime
    private var anchor: Double?
    private var eventId: String?
    private var noun = "the webhook"
    private var violation: (entry: LogEntry, after: Double)?

    init(spec: AbsentExpectation, record: RecordRuntime) { self.spec = spec; self.record = record }

    var label: String {
        (spec.method.map { $0 + " " } ?? "no request ") + spec.path.expand(record.vars) + (spec.eventId ? " with this X-Event-Id" : "")
    }

    func activate(step: StepRuntime) {
        if step.name == spec.step, anchor == nil { anchor = step.startedAt; eventId = step.eventId; noun = step.noun }
    }

    func offer(_ x: Exchange, _ ev: Evaluator) {
        guard violation == nil, let anchor, x.t >= anchor - 0.0005, x.t <= anchor + spec.windowSeconds else { return }
        if let m = spec.method, m != x.method { return }
        // Variables the record never bound match anything.
        guard spec.path.match(x.path, bound: record.vars) != nil else { return }
        if spec.eventId, x.header("X-Event-Id") != eventId { return }
        if !spec.unless.isEmpty, let body = x.requestJSON,
           spec.unless.allSatisfy({ $0.failure(in: body, vars: record.vars, regex: ev.regexes.pattern) == nil }) { return }
        violation = (x.entry, x.t - anchor)
    }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        let shown = "no " + label.replacingOccurrences(of: "no request ", with: "request ")
        guard let anchor else { return (CheckResult(label: shown, status: .skipped, reason: "step '\(spec.step)' was not observed"), [], []) }
        let deadlines = [Deadline(label: "quiet window ends", at: anchor + spec.windowSeconds, kind: .quiet)]
        if let v = violation {
            let what = "\(v.entry.request?.method ?? "") \(v.entry.request?.path ?? "")"
            let unless = spec.unless.isEmpty ? "" : " other than one where \(spec.unless.map(\.description).joined(separator: " and "))"
            return (CheckResult(label: shown, status: .failed,
                                reason: "\(what) arrived \(seconds(v.after)) after \(noun); no such request\(unless) may arrive within \(formatNumber(spec.windowSeconds)) s",
                                expected: "nothing", seen: what),
                    [Evidence(role: .violation, entry: v.entry, note: "must not happen")], deadlines)
        }
        return (CheckResult(label: shown, status: .passed, reason: "nothing forbidden arrived within \(formatNumber(spec.windowSeconds)) s"), [], deadlines)
    }
}

// MARK: - Any of, token

final class AnyOfMatcher: Matcher {
    let parts: [Matcher]
    init(parts: [Matcher]) { self.parts = parts }

    func activate(step: StepRuntime) { parts.forEach { $0.activate(step: step) } }
    func offer(_ x: Exchange, _ ev: Evaluator) { parts.forEach { $0.offer(x, ev) } }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        let results = parts.map { $0.result(ev) }
        let label = results.map(\.0.label).joined(separator: " or ")
        if let ok = results.first(where: { $0.0.status == .passed }) {
            return (CheckResult(label: label, status: .passed, reason: ok.0.reason), ok.1, ok.2)
        }
        let reason = results.map { "\($0.0.label): \($0.0.reason)" }.joined(separator: "; or ")
        let status: Verdict.Status = results.contains { $0.0.status == .failed } ? .failed : .skipped
        return (CheckResult(label: label, status: status, reason: "none happened: " + reason),
                results.flatMap(\.1), results.first?.2 ?? [])
    }
}

final class TokenMatcher: Matcher {
    let spec: TokenExpectation
    init(spec: TokenExpectation) { self.spec = spec }

    func result(_ ev: Evaluator) -> (CheckResult, [Evidence], [Deadline]) {
        let (c, e) = ev.tokens.result(spec, bearerUnavailable: ev.options.bearerUnavailable)
        return (c, e, [])
    }
}
