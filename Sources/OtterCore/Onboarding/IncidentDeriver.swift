import Foundation

/// Turns a stream of event-log entries from live locations into incidents per location per day.
///
/// Feed entries with `consume` (each file in log order; files may be per location) and call `finish`.
/// State grows with open correlations (webhooks awaiting their callback) and with locations × days,
/// never with the number of exchanges. A webhook and its callback must be in the same file, or in files
/// read in time order: correlation is by `X-Event-Id`, expiry by each location's latest time seen.
public final class IncidentDeriver {
    /// Counters about the input, for the summary.
    public struct Stats: Sendable, Equatable {
        /// Entries read.
        public var entries = 0
        /// Exchanges attributed to a location.
        public var attributed = 0
        /// Exchanges with no store id (token calls, webhooks without `metadata.storeId`).
        public var unattributed = 0
        /// Malformed lines skipped in lenient mode.
        public var skippedLines = 0
        /// HAR entries that were neither webhooks nor Public API calls.
        public var unclassified = 0
        /// Webhooks whose callback deadline had not passed when the logs ended (not judged).
        public var openAtEnd = 0
        /// Creates zeroed counters.
        public init() {}
    }

    private struct Pending {
        var storeId: String
        var day: Int
        var rule: Int
        var startedAt: Double
        var deadline: Double
        var eventId: String
    }

    /// The rules applied.
    public let rules: IncidentRules
    /// The calendar days are counted in.
    public let calendar: DayCalendar
    /// Input counters.
    public private(set) var stats = Stats()
    /// One ledger per location seen.
    public private(set) var ledgers: [String: LocationLedger] = [:]

    private var callbackRuleByType: [String: Int] = [:]
    private var pending: [String: Pending] = [:]
    private var watermark: [String: Double] = [:]
    private var stormWindows: [String: [Double]] = [:]
    private var sinceSweep = 0
    private let regexes = RegexCache()
    private var offsetBucket = Int.min
    private var offsetValue = 0

    /// Creates a deriver.
    public init(rules: IncidentRules, calendar: DayCalendar) {
        self.rules = rules
        self.calendar = calendar
        for (i, r) in rules.callbacks.enumerated() { callbackRuleByType[r.eventType] = i }
    }

    /// Counts a malformed line (its 1-based number in its file) that was skipped.
    public func noteSkippedLine(_ line: Int) { stats.skippedLines += 1 }
    /// Counts a HAR entry that could not be classified.
    public func noteUnclassified() { stats.unclassified += 1 }

    private func day(_ t: Double) -> Int {
        let bucket = Int((t / 900).rounded(.down))
        if bucket != offsetBucket { offsetBucket = bucket; offsetValue = calendar.offset(at: t) }
        return calendar.day(t, offset: offsetValue)
    }

    private func holds(_ assertions: [FieldAssertion], on body: JSONValue?) -> Bool {
        guard let body else { return false }
        return assertions.allSatisfy { $0.failure(in: body, vars: [:], regex: regexes.pattern) == nil }
    }

    private func incident(_ store: String, day: Int, cause: String, at: Double, _ evidence: String) {
        ledgers[store, default: LocationLedger(storeId: store)].record(day: day, cause: cause, at: at, evidence: Incident.scrub(evidence))
    }

    private func advance(_ store: String, to t: Double) {
        if t > watermark[store] ?? -.infinity { watermark[store] = t }
    }

    /// Consumes one entry.
    public func consume(_ entry: LogEntry) { consume(entry, parsedRequest: nil) }

    /// Consumes one entry whose request body a reader already parsed (`entry.request?.json`), or nil.
    public func consume(_ entry: consuming LogEntry, parsedRequest: ParsedBody?) {
        stats.entries += 1
        switch entry.kind {
        case .webhook: webhook(entry, parsedRequest)
        case .callback, .token: call(entry)
        case .action, .run, .end, .repeats, .harness: return
        }
        sinceSweep += 1
        if sinceSweep >= 4096 { sweep(final: false) }
    }

    private func webhook(_ e: LogEntry, _ parsed: ParsedBody?) {
        guard let req = e.request else { return }
        let body = parsed.map(\.json) ?? req.json
        let eventType = body?["eventType"]?.stringValue ?? "?"
        let eventId = body?["eventId"]?.stringValue ?? req.header("X-Event-Id") ?? ""
        guard let store = body?["metadata"]?["storeId"]?.stringValue ?? req.header("X-Store-Id"), !store.isEmpty else {
            stats.unattributed += 1; return
        }
        stats.attributed += 1
        let d = day(e.startedAt)
        ledgers[store, default: LocationLedger(storeId: store)].countExchange(day: d)
        advance(store, to: e.startedAt)
        let what = "webhook \(eventType) \(eventId)"
        if !e.tags.contains("invalid-signature") {
            let ack = rules.ack
            if let err = e.error {
                incident(store, day: d, cause: ack.cause, at: e.startedAt, "\(what): no answer (\(err.kind): \(err.message))")
            } else if let resp = e.response {
                if !ack.status.contains(resp.status) {
                    incident(store, day: d, cause: ack.cause, at: e.startedAt, "\(what): answered \(resp.status), expected \(ack.status)")
                } else if e.durationMs > ack.withinMs {
                    incident(store, day: d, cause: ack.cause, at: e.startedAt,
                             "\(what): acknowledged after \(formatNumber(e.durationMs.rounded())) ms, limit \(formatNumber(ack.withinMs)) ms")
                }
            } else {
                incident(store, day: d, cause: ack.cause, at: e.startedAt, "\(what): no answer recorded")
            }
        }
        for rule in rules.webhookFailures where rule.eventType == eventType && holds(rule.when, on: body) {
            incident(store, day: d, cause: rule.cause, at: e.startedAt, "\(what) reports failure: " + rule.when.map(\.description).joined(separator: ", "))
        }
        if let ri = callbackRuleByType[eventType], !eventId.isEmpty, pending[eventId] == nil {
            pending[eventId] = Pending(storeId: store, day: d, rule: ri, startedAt: e.startedAt,
                                       deadline: e.startedAt + rules.callbacks[ri].withinSeconds, eventId: eventId)
        }
    }

    private func call(_ e: LogEntry) {
        guard let req = e.request else { return }
        let eventId = req.header("X-Event-Id")
        let open = eventId.flatMap { pending[$0] }
        guard let store = req.header("X-Store-Id").flatMap({ $0.isEmpty ? nil : $0 }) ?? open?.storeId else {
            stats.unattributed += 1; return
        }
        stats.attributed += 1
        let d = day(e.startedAt)
        ledgers[store, default: LocationLedger(storeId: store)].countExchange(day: d)
        advance(store, to: e.startedAt)
        let path = req.path
        let status = e.response?.status
        // Worded only for an incident (most calls are fine).
        func answer() -> String { status.map { "answered \($0)" } ?? e.error.map { "no answer (\($0.kind))" } ?? "no answer recorded" }
        func matches(_ p: RequestPattern) -> Bool { p.matches(method: req.method, path: path) != nil }

        if rules.errorCallbacks.contains(where: matches) {
            let body = req.json
            let code = body?["errorCode"]?.stringValue ?? "?"
            let msg = body?["errorMessage"]?.stringValue.map { ": \($0)" } ?? ""
            var about = ""
            if let id = eventId {
                if let p = pending.removeValue(forKey: id) { about = " about webhook \(rules.callbacks[p.rule].eventType) \(id)" } else { about = " about event \(id)" }
            }
            incident(store, day: d, cause: rules.errorCallbackCause, at: e.startedAt, "\(req.method) \(path)\(about): \(code)\(msg)")
        } else if let id = eventId, let p = open {
            let rule = rules.callbacks[p.rule]
            if matches(rule.request), let s = status, rule.status.contains(s) {
                pending[id] = nil
                if e.startedAt > p.deadline {
                    incident(p.storeId, day: p.day, cause: rule.cause, at: p.startedAt,
                             "webhook \(rule.eventType) \(id): \(rule.request.method) \(rule.request.path) came \(formatNumber((e.startedAt - p.startedAt).rounded())) s later, limit \(formatNumber(rule.withinSeconds)) s")
                }
            }
        }
        for rule in rules.requestFailures where matches(rule.request) {
            if let set = rule.status, !(status.map(set.contains) ?? false) { continue }
            if !rule.when.isEmpty && !holds(rule.when, on: e.response?.json) { continue }
            let why = rule.when.isEmpty ? answer() : answer() + ", " + rule.when.map(\.description).joined(separator: ", ")
            incident(store, day: d, cause: rule.cause, at: e.startedAt, "\(req.method) \(path) \(why)")
        }
        if let storm = rules.storm, let s = status, storm.status.contains(s) {
            var w = stormWindows[store, default: []]
            w.append(e.startedAt)
            w.removeAll { $0 < e.startedAt - storm.windowSeconds }
            if w.count >= storm.count {
                incident(store, day: d, cause: storm.cause, at: e.startedAt,
                         "\(w.count) answers \(storm.status) within \(formatNumber(storm.windowSeconds / 60)) min (last: \(req.method) \(path) \(s))")
                w.removeAll()
            }
            stormWindows[store] = w
        }
    }

    private func sweep(final: Bool) {
        sinceSweep = 0
        var expired: [Pending] = []
        for (_, p) in pending {
            let seen = watermark[p.storeId] ?? -.infinity
            if seen > p.deadline + rules.reorderWindowSeconds || (final && seen > p.deadline) { expired.append(p) }
        }
        for p in expired.sorted(by: { ($0.startedAt, $0.eventId) < ($1.startedAt, $1.eventId) }) {
            pending[p.eventId] = nil
            let rule = rules.callbacks[p.rule]
            incident(p.storeId, day: p.day, cause: rule.cause, at: p.startedAt,
                     "webhook \(rule.eventType) \(p.eventId): no \(rule.request.method) \(rule.request.path) answered \(rule.status) within \(formatNumber(rule.withinSeconds)) s")
        }
        if final { stats.openAtEnd = pending.count; pending.removeAll() }
    }

    /// Judges the webhooks still waiting for a callback and returns the ledgers by store id.
    public func finish() -> [String: LocationLedger] {
        sweep(final: true)
        return ledgers
    }
}
