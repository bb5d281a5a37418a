import Foundation
import OtterCrypto

/// Options of an evaluation.
public struct EvaluationOptions: Sendable {
    /// The webhook secret, when known: lets a log without record tags tell invalid signatures apart.
    public var webhookSecret: [UInt8]?
    /// How far out of time order log lines may be (lines are written when exchanges end).
    public var reorderWindowSeconds: Double
    /// How long, in log time, exchanges without record tags may still join a group (a delivery and its accept,
    /// an order and the partner's confirm) before the group is bound to a record.
    public var correlationWindowSeconds: Double
    /// Why bearer tokens cannot be judged from this log (a capture whose Authorization headers were stripped), or nil:
    /// when set, the bearer checks of calls are not made and token expectations are skipped with this reason.
    public var bearerUnavailable: String?
    /// The OpenAPI description each exchange of a proxy's log is checked against, both sides (`specFindings`).
    public var spec: OpenAPISpec?
    /// Creates options.
    public init(webhookSecret: [UInt8]? = nil, reorderWindowSeconds: Double = 120, correlationWindowSeconds: Double = 90,
                bearerUnavailable: String? = nil, spec: OpenAPISpec? = nil) {
        self.webhookSecret = webhookSecret; self.reorderWindowSeconds = reorderWindowSeconds
        self.correlationWindowSeconds = correlationWindowSeconds; self.bearerUnavailable = bearerUnavailable
        self.spec = spec
    }
}

/// The evaluator: one pure, deterministic, streaming function from (checklist, event log) to verdicts.
///
/// Feed entries with `consume` in log order and call `finish`. State grows with open correlations
/// (records waiting for their requests), not with the log: entries are held only in a bounded
/// reorder window, and evidence is capped per expectation.
public final class Evaluator {
    private(set) var checklist: Checklist
    let endpoints: EndpointTable
    let schemas: JSONSchemaValidator?
    let options: EvaluationOptions

    /// What the log held so far.
    public internal(set) var stats = LogStats()
    var run: RunNote?
    var warnings: [String] = []
    /// Exchanges counted by `repeats` lines (a flood not logged one by one).
    var repeatedExchanges = 0
    var records: [RecordRuntime]
    var recordIndex: [String: Int] = [:]
    var knownEventTypes: Set<String> = []
    var unknownEventTypes: [String: Int] = [:]
    var tokens = TokenAudit()
    /// Values of `unique` fields, with when each was first accepted.
    var uniqueValues: [String: [String: Double]] = [:]
    /// Paths other requests must come after, with when each was first accepted.
    var acceptedPaths: [String: Double] = [:]
    private var correlator: Correlator!
    /// Whether the log is one `otter-cert run` wrote (not a capture normalised by `observe --report-dir`, nor the log of
    /// `otter-cert proxy`, which saw traffic it did not make): then it marks the webhooks it signed wrong and records
    /// every partner action on its own line.
    var writtenByRun: Bool { run != nil && run?.extra["importedFrom"] == nil && !writtenByProxy }
    /// Whether the log is one `otter-cert proxy` wrote (its run line says `mode: proxy`).
    var writtenByProxy: Bool { run?.extra["mode"]?.stringValue == "proxy" }
    /// Records (by index) for which the log holds an answer like one of their injected faults (its status to a
    /// request its method and path match): in a proxy's log, Otter itself gave it.
    var faultAnswered: Set<Int> = []
    /// A proxy's log's departures from the spec (the first `SpecFinding.kept`), and how many in all.
    private var specFindings: [SpecFinding] = []
    private var specFindingCount = 0

    private func noteFaultAnswer(_ x: Exchange) {
        for (i, rr) in records.enumerated() where !faultAnswered.contains(i) {
            if rr.record.faults.contains(where: { $0.status == x.status && $0.pattern.matches(method: x.method, path: x.path) != nil }) {
                faultAnswered.insert(i)
            }
        }
    }
    /// Webhook signatures checked with the given secret, and how many it verified.
    private var signatureChecks = 0, signatureMatches = 0
    /// Webhooks whose signature could not be checked because redaction changed their body.
    private var signatureRedacted = 0
    var earlierPatterns: [RequestPattern] = []
    let regexes = RegexCache()
    var heap = EntryHeap()
    private var maxSeen = -Double.infinity
    private var finished = false

    /// Creates an evaluator for a checklist.
    public init(checklist: Checklist, endpoints: EndpointTable = EndpointTable(), schemas: JSONSchemaValidator? = nil,
                options: EvaluationOptions = EvaluationOptions()) {
        self.checklist = checklist; self.endpoints = endpoints; self.schemas = schemas; self.options = options
        records = []
        for (i, r) in checklist.records.enumerated() {
            recordIndex[r.id] = i
            for s in r.steps { if let t = s.webhook?.eventType { knownEventTypes.insert(t) } }
            for e in r.expect { collectEarlier(e) }
        }
        records = checklist.records.map { RecordRuntime(record: $0) }
        for rr in records { rr.makeMatchers(self) }
        correlator = Correlator(self)
    }

    private func collectEarlier(_ e: Expectation) {
        switch e {
        case .request(let r): earlierPatterns += r.requiresEarlier
        case .anyOf(let a): a.of.forEach(collectEarlier)
        default: break
        }
    }

    /// Feeds one log entry (entries may be slightly out of time order).
    public func consume(_ entry: LogEntry) { consume(entry, parsedRequest: nil) }

    /// Feeds one log entry whose request body a reader already parsed (`entry.request?.json`), or nil.
    public func consume(_ entry: consuming LogEntry, parsedRequest: ParsedBody?) {
        precondition(!finished, "consume after finish")
        stats.entries += 1
        maxSeen = max(maxSeen, entry.startedAt)
        heap.push(consume entry, parsedRequest)
        while let top = heap.peekTime, top < maxSeen - options.reorderWindowSeconds || heap.count > 100_000 {
            let (e, parsed) = heap.pop()!
            process(consume e, parsedRequest: parsed)
        }
    }

    /// Counts a malformed line (its 1-based number) skipped by a lenient reader.
    public func noteSkippedLine(_ line: Int) { stats.noteSkipped(line: line) }

    /// Counts a capture entry that was neither a webhook nor an Otter API call.
    public func noteUnclassified() { stats.unclassified += 1 }

    /// Evaluates what was consumed and returns a verdict per record.
    public func finish() -> EvaluationResult {
        if !finished {
            while let (e, parsed) = heap.pop() { process(consume e, parsedRequest: parsed) }
            correlator.finish()
            finished = true
        }
        if signatureRedacted > 0 {
            warnings.append("\(signatureRedacted) webhook bod\(signatureRedacted == 1 ? "y was" : "ies were") changed by redaction (a secret of the run was in \(signatureRedacted == 1 ? "it" : "them")): body redacted, cannot re-verify \(signatureRedacted == 1 ? "its signature" : "their signatures"); they are judged as if signed right")
        }
        if signatureChecks >= 2 && signatureMatches == 0 {
            warnings.append("the webhook secret verified none of the \(signatureChecks) signed webhooks: check that it is the secret this traffic was signed with")
        }
        if repeatedExchanges > 0 {
            warnings.append("\(repeatedExchanges) repeated unauthenticated request(s) were counted in 'repeats' lines instead of being logged one by one; each is identical to a logged line, which is judged")
        }
        if let t = run?.integrationType, t != checklist.integrationType.rawValue {
            warnings.append("this log was recorded for the \(t) checklist; it is evaluated against \(checklist.integrationType.rawValue)")
        }
        let verdicts = records.map { $0.verdict(self) }
        var result = EvaluationResult(integrationType: checklist.integrationType, checklistVersion: checklist.version, verdicts: verdicts,
                                      run: run, stats: stats,
                                      unknownEventTypes: unknownEventTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                      warnings: warnings, policies: checklist.policies)
        result.blockers = Self.blockers(run)
        if writtenByProxy, options.spec != nil {
            result.specChecked = true
            result.specFindings = specFindings
            result.specFindingCount = specFindingCount
        }
        return result
    }

    /// What the run line says makes the run unable to certify: TLS verification switched off (`--insecure`), unless
    /// the run was started with `--allow-insecure-certification`.
    static func blockers(_ run: RunNote?) -> [String] {
        guard let run, run.extra["tlsVerification"] != nil, run.extra["insecureCertificationAllowed"]?.boolValue != true else { return [] }
        return ["TLS verification was off (--insecure): the partner's certificate was not checked, so this run cannot certify; "
                + "run with --cacert, or add --allow-insecure-certification to accept it"]
    }

    // MARK: - Processing in time order

    func process(_ entry: consuming LogEntry, parsedRequest: ParsedBody? = nil) {
        if writtenByProxy, let spec = options.spec {
            for f in SpecConformance.findings(in: entry, spec: spec) {
                if specFindings.count < SpecFinding.kept { specFindings.append(f) }
                specFindingCount += 1
            }
        }
        if stats.firstAt == nil || entry.startedAt < stats.firstAt! { stats.firstAt = entry.startedAt }
        if stats.lastAt == nil || entry.startedAt > stats.lastAt! { stats.lastAt = entry.startedAt }
        switch entry.kind {
        case .run:
            guard run == nil else { break }
            run = entry.run
            // A run made with --timeout-scale is judged with the deadlines it ran with.
            if let f = entry.run?.extra["timeoutScale"]?.doubleValue, f > 0, f != 1, stats.webhooks == 0, stats.callbacks == 0 {
                checklist = checklist.scaled(by: f)
                records = checklist.records.map { RecordRuntime(record: $0) }
                for rr in records { rr.makeMatchers(self) }
                correlator.prepare()
            }
        case .end:
            break
        case .repeats:
            repeatedExchanges += entry.repeats?.count ?? 0
        case .harness:
            // Only otter-cert writes these, always tagged with the record it could not run.
            if let id = entry.record, let i = recordIndex[id] {
                records[i].harnessFailed(entry)
            } else {
                warnings.append("line \(entry.seq): the harness could not carry out a step: \(entry.error?.message ?? "")")
            }
        case .action:
            stats.actions += 1
            correlator.action(entry)
        case .webhook:
            stats.webhooks += 1
            webhook(kept(Exchange(consume entry, parsedRequest: parsedRequest)))
        case .token:
            stats.tokens += 1
            tokens.grant(kept(Exchange(consume entry)))
        case .callback:
            stats.callbacks += 1
            callback(kept(Exchange(consume entry)))
        }
    }

    /// `x`, kept for `takeSpent()` once a pipelined reader has asked for it.
    private func kept(_ x: Exchange) -> Exchange {
        spent?.append(x)
        return x
    }

    /// Processed exchanges (holding their log entries) since the last `takeSpent()`; nil until it is first called.
    private var spent: [Exchange]?

    /// What was processed since the last call, for a pipelined reader to drop on its thread (see `LogEntrySink`);
    /// the first call starts the keeping.
    public func takeSpent() -> [AnyObject] {
        guard var taken = spent else { spent = []; return [] }
        spent = []
        // What this thread parsed from an exchange nothing else holds any more is freed here, where it was allocated:
        // only the entry (the reader's) goes back.
        for i in taken.indices where isKnownUniquelyReferenced(&taken[i]) { taken[i].dropOwnParses() }
        return taken
    }

    private func webhook(_ x: Exchange) {
        let eventType = x.requestJSON?["eventType"]?.stringValue ?? "?"
        if !knownEventTypes.contains(eventType) { unknownEventTypes[eventType, default: 0] += 1 }
        correlator.webhook(x, eventType: eventType)
    }

    private func callback(_ x: Exchange) {
        if writtenByProxy { noteFaultAnswer(x) }
        if let endpoint = endpoints.endpoint(method: x.method, path: x.path) { tokens.audit(x, endpoint: endpoint) }
        if x.accepted { remember(x) }
        correlator.callback(x)
    }

    /// Records what later requests are compared with: unique field values and accepted paths, with their times.
    private func remember(_ x: Exchange) {
        for rr in records { rr.rememberUnique(x, self) }
        if earlierPatterns.contains(where: { $0.matches(method: x.method, path: x.path) != nil }) {
            let key = x.method + " " + x.path
            if acceptedPaths[key] == nil { acceptedPaths[key] = x.t }
        }
    }

    /// Whether a webhook's signature is known to be invalid: tagged by the harness, or checked with the secret.
    func signatureInvalid(_ x: Exchange) -> Bool? {
        if x.entry.tags.contains("invalid-signature") { return true }
        if x.entry.tags.contains("valid-signature") { return false }
        // A run's own log marks every webhook it signed wrong; the others were signed right.
        if writtenByRun { return false }
        guard let secret = options.webhookSecret, let req = x.entry.request, let sig = req.header("X-HMAC-SHA256") else { return nil }
        // The logged body is not the signed one (a secret in it was masked): say so rather than "bad signature".
        if x.entry.tags.contains(Redactor.bodyRedactedTag) { signatureRedacted += 1; return nil }
        let mac = Digest.hmacSHA256(key: secret, message: Array(req.body.utf8))
        let ok = sig == Digest.base64(mac) || sig.lowercased() == Digest.hex(mac)
        signatureChecks += 1
        if ok { signatureMatches += 1 }
        return !ok
    }
}

/// The reorder window: entries taken out in (startedAt, rank, seq) order. Entries are held in boxes with their keys,
/// so moving one moves a reference. A log is almost always written in order, so an entry not less than the last one
/// that arrived in order joins a queue (sorted by construction, O(1)), and only the others go to a min-heap; the next
/// entry is the lesser of the two fronts. (A heap alone sifted every entry through the 40,000 of a two-minute window
/// of a busy log: a tenth of the evaluating thread.)
struct EntryHeap {
    private final class Item {
        let t: Double
        let rank: Int
        let seq: Int
        /// Taken (moved out, not copied) when the item leaves the window.
        var entry: LogEntry?
        let parsed: ParsedBody?
        init(_ e: consuming LogEntry, _ p: ParsedBody?) { t = e.startedAt; rank = EntryHeap.rank(e); seq = e.seq; parsed = p; entry = e }
    }

    /// Entries that arrived in order: `queue[head...]`, sorted; a slot is emptied as its item is taken, so that
    /// what it holds (a parsed body, allocated by the reader thread) is released at once, not at the next compaction.
    private var queue: [Item?] = []
    private var head = 0
    /// The others, a min-heap.
    private var items: [Item] = []
    var count: Int { queue.count - head + items.count }
    /// The start time of the first entry, if any.
    var peekTime: Double? {
        let q = head < queue.count ? queue[head]!.t : nil
        guard let h = items.first?.t else { return q }
        return q.map { min($0, h) } ?? h
    }

    @inline(__always)
    private static func less(_ a: Item, _ b: Item) -> Bool {
        if a.t != b.t { return a.t < b.t }
        // Times are logged to the millisecond: within one, what Otter did (a webhook, an action) comes before the
        // calls it caused, whatever order the lines were written in.
        if a.rank != b.rank { return a.rank < b.rank }
        return a.seq < b.seq
    }

    private static func rank(_ e: LogEntry) -> Int {
        switch e.kind {
        case .run: return 0
        case .end, .repeats: return 3
        case .webhook, .action, .harness: return 1
        case .token, .callback: return 2
        }
    }

    mutating func push(_ e: consuming LogEntry, _ parsed: ParsedBody? = nil) {
        let item = Item(e, parsed)
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        if let last = queue.last ?? nil, EntryHeap.less(item, last) { heapPush(item) } else { queue.append(item) }
    }

    mutating func pop() -> (LogEntry, ParsedBody?)? {
        let top: Item
        if head < queue.count, items.isEmpty || !EntryHeap.less(items[0], queue[head]!) {
            top = queue[head].take()!
            head += 1
            // Drop what was taken once it is most of the array: each item is moved at most once.
            if head >= 4096 && head * 2 >= queue.count { queue.removeFirst(head); head = 0 }
        } else if !items.isEmpty {
            top = heapPop()
        } else {
            return nil
        }
        return (top.entry.take()!, top.parsed)
    }

    private mutating func heapPush(_ item: Item) {
        items.append(item)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard EntryHeap.less(items[i], items[p]) else { break }
            items.swapAt(i, p); i = p
        }
    }

    private mutating func heapPop() -> Item {
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, EntryHeap.less(items[l], items[m]) { m = l }
            if r < n, EntryHeap.less(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }
}

/// Where one record stands while a run is still going, from what the engine has been fed so far.
public struct RecordProgress: Sendable {
    /// The verdict as of now (final once `settled`).
    public var verdict: Verdict
    /// Whether the verdict can no longer change: passed with its windows over, failed on a decisive exchange,
    /// or past its last deadline.
    public var settled: Bool
    /// What the record still waits for, for the terminal.
    public var waitingFor: String
    /// When it will be settled at the latest (seconds since 1970), when known.
    public var settlesBy: Double?
}

extension Evaluator {
    /// Processes every held entry that started before `t`: for a live run, whose lines may arrive out of order
    /// only while an exchange that started earlier is still in flight.
    ///
    /// The engine's clock then moves to `t`: exchanges of a live session that nothing joined for
    /// the correlation window are then bound, as later entries would bind them in a log read after the fact.
    public func advance(before t: Double) {
        while let top = heap.peekTime, top < t { let (e, parsed) = heap.pop()!; process(consume e, parsedRequest: parsed) }
        if t.isFinite { correlator.caughtUp(to: t) }
    }

    /// Exchanges the correlation engine holds, not yet bound to a record (a live session has settled only once
    /// there are none).
    public var unboundGroups: Int { correlator.pendingCount }

    /// The id of the record the webhook with this eventId has been bound to, from what has been processed: nil while
    /// the engine has not seen it, holds it unbound, or found it belongs to no record.
    public func record(boundToEvent id: String) -> String? {
        correlator.record(ofEvent: id).map { records[$0].record.id }
    }

    /// Where record `id` stands at time `now`, given what has been processed.
    public func progress(_ id: String, now: Double, grace: Double = 0.3) -> RecordProgress? {
        guard let i = recordIndex[id] else { return nil }
        let rr = records[i]
        let v = rr.verdict(self)
        // A step the harness could not carry out decides the verdict at once: nothing the partner does can change it.
        if rr.harnessProblem != nil { return RecordProgress(verdict: v, settled: true, waitingFor: "", settlesBy: now) }
        let due = v.deadlines.filter { $0.kind == .due }.map(\.at).max()
        let quiet = v.deadlines.filter { $0.kind == .quiet }.map(\.at).max()
        switch v.status {
        case .passed:
            let end = quiet ?? now
            return RecordProgress(verdict: v, settled: now >= end, waitingFor: "quiet window", settlesBy: end)
        // A failure on an exchange Otter answered for good cannot turn into a pass, windows or not.
        case .failed where v.decidedByAnExchange:
            return RecordProgress(verdict: v, settled: true, waitingFor: "", settlesBy: now)
        default:
            // Asked once every step was sent: a trigger not in the log, with nothing held back, will not come.
            guard rr.steps["trigger"] != nil else {
                let held = heap.count > 0
                return RecordProgress(verdict: v, settled: !held, waitingFor: "its trigger", settlesBy: held ? now + 0.05 : now)
            }
            // A failed or skipped partner action decides the verdict (it is only reported once the trigger is in).
            if rr.actionProblem != nil { return RecordProgress(verdict: v, settled: true, waitingFor: "", settlesBy: now) }
            let end = max(due ?? now, quiet ?? 0) + grace
            let waiting = v.checks.first { $0.status != .passed }?.label ?? "the partner"
            return RecordProgress(verdict: v, settled: now >= end, waitingFor: waiting, settlesBy: end)
        }
    }

    /// The status Otter refused the request setup step `step` waits for with (4xx other than 429), if it did.
    public func awaitRefused(record id: String, step: String) -> Int? {
        guard let i = recordIndex[id] else { return nil }
        return records[i].awaits[step]?.refused
    }

    /// The record's variables once the request that setup step `step` waits for was accepted; nil before.
    public func awaited(record id: String, step: String) -> [String: String]? {
        guard let i = recordIndex[id], let a = records[i].awaits[step], a.satisfied else { return nil }
        return records[i].vars
    }
}

extension Verdict {
    /// Whether a failed verdict rests on an exchange that was answered with a final status (2xx or 4xx other
    /// than 429), so that no later exchange can change it.
    var decidedByAnExchange: Bool {
        evidence.contains { e in
            guard e.role == .violation || e.role == .closestMiss else { return false }
            guard e.entry.kind != .webhook else { return true }
            return e.entry.response.map { isFinalAnswer($0.status) } ?? false
        }
    }
}
