import Foundation

/// What a record step is bound to: every delivery of one webhook (one eventId), a partner action line, or — in a
/// capture that holds no action lines — the partner's own request that such an action causes.
final class Flow {
    enum Kind { case webhook, action, caused }
    let kind: Kind
    /// When it started (the first delivery, the action line, the caused request).
    let t: Double
    /// The webhook's deliveries, in time order.
    var deliveries: [Exchange] = []
    /// The action line.
    var actionEntry: LogEntry?
    /// The caused request (a `caused` flow), or the first request an action line was seen to cause.
    var caused: Exchange?
    let eventType: String?
    let eventId: String?
    let actionName: String?
    /// The record and step tags of the line, a hint that must agree with the content.
    let tag: String?
    let stepTag: String?
    let lineNumber: Int
    /// Resource ids it carries (`deliveryReferenceId` → value).
    var values: [String: String] = [:]
    /// Whether its signature is known to be invalid (nil: unknown).
    var invalidSignature: Bool?
    weak var group: Group?

    init(kind: Kind, t: Double, eventType: String? = nil, eventId: String? = nil, actionName: String? = nil,
         tag: String?, stepTag: String?, lineNumber: Int) {
        self.kind = kind; self.t = t; self.eventType = eventType; self.eventId = eventId; self.actionName = actionName
        self.tag = tag; self.stepTag = stepTag; self.lineNumber = lineNumber
    }

    /// `a delivery.accept webhook` for messages.
    var noun: String {
        switch kind {
        case .webhook: return "a \(eventType ?? "?") webhook"
        case .action: return "partner action \(actionName ?? "?")"
        case .caused: return "a partner \(caused?.label ?? "request")"
        }
    }
}

/// Exchanges that belong together because they carry the same resource id (or the same eventId): the unit the
/// correlation engine binds to one record.
final class Group {
    var flows: [Flow] = []
    /// Partner → Otter calls correlated to it, held until the group is bound.
    var callbacks: [Exchange] = []
    /// `name=value` keys of the resource ids it carries.
    var keys: Set<String> = []
    var start: Double
    var last: Double
    /// The record it is bound to.
    var record: Int?

    init(t: Double) { start = t; last = t }
}

/// The correlation engine: binds every webhook, action and callback of a log to at most one record, from the
/// content alone (event type, the features its fixture was built to have, `X-Event-Id`, resource ids, time order).
///
/// Record tags, where present, are hints: a tagged webhook or action is bound at once when its content fits the
/// tagged record; one that does not fit is reported and bound by content. Untagged exchanges are grouped by
/// resource id and eventId; a group is bound when nothing has joined it for `correlationWindowSeconds` of log
/// time (or at the end), to the first record, in checklist order, whose steps its content fits best.
final class Correlator {
    unowned let ev: Evaluator
    /// Static facts per record step.
    private var uses: [[Set<String>]] = []
    private var linked: [[Bool]] = []
    private var causedPattern: [[RequestPattern?]] = []
    private var exportsFor: [[[(name: String, path: JSONPath)]]] = []
    private var expectationPatterns: [[RequestPattern]] = []
    /// (method, path, status) of every injected fault of the checklist.
    private var injected: [(RequestPattern, Int)] = []
    /// Where each event type's fixtures carry a resource id.
    private var idPaths: [String: [(name: String, keys: [String])]] = [:]

    /// Groups not bound yet, by start time.
    private var pending: [Group] = []
    /// Groups bound to a record (flows refer to their group weakly; these keep them): at most a few per record.
    private var bound: [Group] = []
    /// Resource-id keys and eventIds of pending and bound groups.
    private var byKey: [String: Group] = [:]
    /// The same groups by the bare value, for finding a resource id among a path's segments with one look-up each.
    private var byValue: [String: Group] = [:]
    /// Bit n set when a value of n UTF-8 bytes (63: of 63 or more) was ever in `byValue`: a path segment of another
    /// length cannot name a group, so it is not decoded and hashed.
    private var valueLengths: UInt64 = 0

    private static func lengthBit(_ n: Int) -> UInt64 { 1 << UInt64(min(n, 63)) }
    private var byEvent: [String: Flow] = [:]
    /// EventIds of webhooks that belong to no record (recent ones), so their callbacks are not pinned elsewhere.
    private var strayEvents: Set<String> = []
    /// The same eventIds in a ring, oldest at `strayNext`, so the set stays bounded.
    private var strayRing: [String] = []
    private var strayNext = 0
    private static let strayLimit = 4096
    /// Recently active groups, most recent last, for calls that carry neither an eventId nor a resource id.
    private var recent: [Group] = []
    /// Action lines still waiting for the request they cause.
    private var waitingActions: [Flow] = []
    /// Whether the log is one a harness run wrote (it has a run line): then partner actions have their own lines.
    var hasActionLines: Bool { ev.writtenByRun || ev.stats.actions > 0 }

    init(_ ev: Evaluator) { self.ev = ev; prepare() }

    /// Recomputes the static facts (after the checklist was rescaled).
    func prepare() {
        let c = ev.checklist
        let ids = Set(c.resourceIds)
        uses = []; linked = []; causedPattern = []; exportsFor = []; expectationPatterns = []; injected = []; idPaths = [:]
        for r in c.records {
            for s in r.steps {
                guard let w = s.webhook, let t = w.eventType else { continue }
                for p in w.templateVarPaths where ids.contains(p.name) && !(idPaths[t] ?? []).contains(where: { $0.name == p.name && $0.keys == p.keys }) {
                    idPaths[t, default: []].append(p)
                }
            }
            var u: [Set<String>] = [], l: [Bool] = [], cp: [RequestPattern?] = [], ex: [[(name: String, path: JSONPath)]] = []
            var seen = Set<String>()
            for s in r.steps {
                var vars = Set<String>()
                var pattern: RequestPattern?
                switch s.source {
                case .webhook(let w): vars.formUnion(w.templateVars)
                case .action:
                    pattern = s.awaiting ?? Self.firstRequest(of: r, step: s.name)
                    if let p = pattern { vars.formUnion(p.path.variables); vars.formUnion(p.export.map(\.name)) }
                }
                if let a = s.awaiting { vars.formUnion(a.export.map(\.name)) }
                vars.formIntersection(ids)
                u.append(vars)
                l.append(!vars.isDisjoint(with: seen))
                seen.formUnion(vars)
                cp.append(pattern)
                ex.append((s.awaiting?.export ?? []) + (pattern?.export ?? []))
            }
            uses.append(u); linked.append(l); causedPattern.append(cp); exportsFor.append(ex)
            var pats: [RequestPattern] = r.setup.compactMap(\.awaiting)
            func collect(_ e: Expectation) {
                switch e {
                case .request(let q): pats.append(q.pattern)
                case .sequence(let q): pats.append(q.pattern)
                case .absent(let a) where a.path.text != "*":
                    pats.append(RequestPattern(method: a.method ?? "*", path: a.path, export: []))
                case .anyOf(let a): a.of.forEach(collect)
                default: break
                }
            }
            r.expect.forEach(collect)
            expectationPatterns.append(pats)
            for f in r.faults { injected.append((f.pattern, f.status)) }
        }
    }

    /// The request a partner action of `record` causes: the first request or sequence expectation of that step.
    private static func firstRequest(of record: Record, step: String) -> RequestPattern? {
        func find(_ e: Expectation) -> RequestPattern? {
            switch e {
            case .request(let r) where r.step == step: return r.pattern
            case .sequence(let s) where s.step == step: return s.pattern
            case .anyOf(let a): return a.of.lazy.compactMap(find).first
            default: return nil
            }
        }
        return record.expect.lazy.compactMap(find).first
    }

    // MARK: - Feeding, in time order

    func webhook(_ x: Exchange, eventType: String) {
        advance(to: x.t)
        let eventId = x.requestJSON?["eventId"]?.stringValue
        if let id = eventId, let f = byEvent[id], f.eventType == eventType {
            // A repeated delivery of a webhook already seen.
            f.deliveries.append(x)
            if let g = f.group { touch(g, x.t) }
            if let g = f.group, let r = g.record { ev.records[r].addDelivery(x, ev) }
            return
        }
        // Untagged (a capture), the harness's own webhooks still name their record in a header.
        let sent = x.entry.record == nil ? x.entry.request?.header(Harness.recordHeader) : nil
        let sentStep = sent == nil ? nil : x.entry.request?.header(Harness.stepHeader)
        let f = Flow(kind: .webhook, t: x.t, eventType: eventType, eventId: eventId, tag: x.entry.record ?? sent,
                     stepTag: x.entry.record == nil ? sentStep : x.entry.step, lineNumber: x.entry.seq)
        f.deliveries = [x]
        f.invalidSignature = ev.signatureInvalid(x)
        if let body = x.requestJSON {
            for name in ev.checklist.resourceIds {
                if let p = ev.checklist.vars.first(where: { $0.name == name })?.path, let v = p.first(in: body)?.scalarText, !v.isEmpty {
                    f.values[name] = v
                }
            }
            for p in idPaths[eventType] ?? [] where f.values[p.name] == nil {
                var v: JSONValue? = body
                for k in p.keys { v = v?[k] }
                if let s = v?.scalarText, !s.isEmpty, !s.hasPrefix("{{") { f.values[p.name] = s }
            }
        }
        guard couldBind(f) else {
            if let id = eventId { markStray(id) }
            return
        }
        place(f)
    }

    func action(_ entry: LogEntry) {
        advance(to: entry.startedAt)
        guard let a = entry.action else { return }
        let f = Flow(kind: .action, t: entry.startedAt, actionName: a.name, tag: entry.record, stepTag: entry.step, lineNumber: entry.seq)
        f.actionEntry = entry
        guard couldBind(f) else { return }
        waitingActions.append(f)
        // An untagged action goes with the group it follows on from, in time order (its request may never come).
        if f.tag == nil, let g = groupExpecting(f) {
            add(f, to: g)
            continueBound(f, in: g)
            return
        }
        place(f)
    }

    func callback(_ x: Exchange) {
        advance(to: x.t)
        // 1. X-Event-Id of a known webhook.
        if let id = x.header("X-Event-Id"), !id.isEmpty {
            if let f = byEvent[id], let g = f.group { attach(x, to: g); return }
            if strayEvents.contains(id) { ev.stats.unattributed += 1; return }
        }
        // 2. A resource id in the path.
        if let g = groupByPath(x.path) {
            if let a = waitingAction(for: x) { join(a, into: g, caused: x) }
            else if !hasActionLines, !g.flows.contains(where: { $0.kind != .webhook && causes(x, $0) }), let f = causedFlow(x) {
                // A partner's own move on something a record's webhook made (a capture holds no action lines).
                add(f, to: g)
                continueBound(f, in: g)
            }
            attach(x, to: g)
            return
        }
        // 3. The request a partner action causes.
        if let a = waitingAction(for: x) {
            a.caused = x
            waitingActions.removeAll { $0 === a }
            values(of: x, into: a)
            if let g = a.group { index(a, in: g); attach(x, to: g) }
            return
        }
        if !hasActionLines, let f = causedFlow(x), couldBind(f) {
            place(f)
            if let g = f.group { attach(x, to: g) }
            return
        }
        // 4. The most recent group that expects such a call.
        for g in recent.reversed() where x.t - g.last <= 120 {
            if expects(g, x) { attach(x, to: g); return }
        }
        ev.stats.unattributed += 1
    }

    /// Binds what is left (the end of the log).
    func finish() { advance(to: .infinity) }

    // MARK: - Groups

    private func place(_ f: Flow) {
        let g = groupFor(f)
        // A tag that fits is bound at once; one that does not is reported and ignored.
        if let tag = f.tag {
            if let r = ev.recordIndex[tag], let j = hintStep(f, r), g.record == r || (g.record == nil && g.flows.count == 1) {
                if g.record == nil { pending.removeAll { $0 === g }; g.record = r; bound.append(g) }
                bindFlow(f, record: r, step: j)
                return
            }
            ev.warnings.append("line \(f.lineNumber): the record tag \(tag) does not fit \(f.noun) there; it was bound by its content")
        }
        continueBound(f, in: g)
    }

    /// A late continuation of a group already bound (by a record tag, or by content): bound to that record's next
    /// step when it fits.
    private func continueBound(_ f: Flow, in g: Group) {
        guard let r = g.record else { return }
        let rt = ev.records[r]
        if rt.nextStep < rt.record.steps.count, fit(f, r, rt.nextStep, group: g) != nil { bindFlow(f, record: r, step: rt.nextStep) }
    }

    /// The group a new flow joins (by resource id or eventId), or a new pending one.
    private func groupFor(_ f: Flow) -> Group {
        var found: [Group] = []
        for (k, v) in f.values { if let g = byKey[k + "=" + v], !found.contains(where: { $0 === g }) { found.append(g) } }
        let g: Group
        if let first = found.first {
            g = first
            for other in found.dropFirst() where other.record == nil && g.record == nil { merge(other, into: g) }
        } else {
            g = Group(t: f.t)
            pending.append(g)
        }
        add(f, to: g)
        return g
    }

    private func add(_ f: Flow, to g: Group) {
        g.flows.append(f)
        f.group = g
        index(f, in: g)
        touch(g, f.t)
    }

    private func index(_ f: Flow, in g: Group) {
        if let id = f.eventId { byEvent[id] = f }
        for (k, v) in f.values {
            let key = k + "=" + v
            g.keys.insert(key)
            if byKey[key] == nil { byKey[key] = g }
            if byValue[v] == nil { byValue[v] = g; valueLengths |= Self.lengthBit(v.utf8.count) }
        }
    }

    private func merge(_ other: Group, into g: Group) {
        for f in other.flows { g.flows.append(f); f.group = g; index(f, in: g) }
        g.callbacks += other.callbacks
        g.start = min(g.start, other.start); g.last = max(g.last, other.last)
        pending.removeAll { $0 === other }
        recent.removeAll { $0 === other }
        for k in other.keys { byKey[k] = g; byValue[Self.value(of: k)] = g }
    }

    private func join(_ a: Flow, into g: Group, caused x: Exchange) {
        a.caused = x
        waitingActions.removeAll { $0 === a }
        values(of: x, into: a)
        guard let old = a.group, old !== g else { return }
        if old.record == nil && g.record == nil && old.flows.count == 1 {
            old.flows.removeAll { $0 === a }
            pending.removeAll { $0 === old }
            recent.removeAll { $0 === old }
            add(a, to: g)
        } else if old.record == nil, g.record == nil {
            merge(old, into: g)
        }
    }

    private func touch(_ g: Group, _ t: Double) {
        g.last = max(g.last, t)
        if let i = recent.firstIndex(where: { $0 === g }) { recent.remove(at: i) }
        recent.append(g)
        if recent.count > 64 { recent.removeFirst(recent.count - 64) }
    }

    private func attach(_ x: Exchange, to g: Group) {
        touch(g, x.t)
        if let r = g.record { ev.records[r].offer(x, ev) } else { g.callbacks.append(x) }
    }

    private func markStray(_ id: String) {
        if strayEvents.insert(id).inserted {
            if strayRing.count < Self.strayLimit {
                strayRing.append(id)
            } else {
                strayEvents.remove(strayRing[strayNext])
                strayRing[strayNext] = id
                strayNext = (strayNext + 1) % Self.strayLimit
            }
        }
        ev.stats.unattributed += 1
    }

    /// The clock of a live session moved to `t` without a new exchange: binds the groups nothing joined for the
    /// correlation window (a log read after the fact does this as later entries come).
    func caughtUp(to t: Double) { advance(to: t) }

    /// The record the webhook with this eventId is bound to: nil while it is unknown or not bound yet, or belongs to
    /// no record.
    func record(ofEvent id: String) -> Int? { byEvent[id]?.group?.record }

    /// Groups of exchanges not bound to a record yet.
    var pendingCount: Int { pending.count }

    /// Binds pending groups, oldest first, once nothing can join them any more.
    private func advance(to t: Double) {
        let window = ev.options.correlationWindowSeconds
        while let g = pending.first, t == .infinity || t > g.last + window {
            pending.removeFirst()
            decide(g)
        }
    }

    /// The most recent group whose exchanges some record continues with this partner action.
    private func groupExpecting(_ f: Flow) -> Group? {
        for g in recent.reversed() where f.t - g.last <= 300 && g.start <= f.t {
            for r in ev.records.indices {
                let steps = ev.records[r].record.steps
                for j in steps.indices.dropFirst() {
                    guard case .action(let n, _) = steps[j].source, n == f.actionName else { continue }
                    if g.flows.contains(where: { fit($0, r, j - 1, group: nil) != nil }) { return g }
                }
            }
        }
        return nil
    }

    /// The value of a `name=value` key.
    private static func value(of key: String) -> String {
        key.firstIndex(of: "=").map { String(key[key.index(after: $0)...]) } ?? key
    }

    private func groupByPath(_ path: String) -> Group? {
        guard !byValue.isEmpty else { return nil }
        guard PathBytes.isASCII(path) else {
            for seg in path.split(separator: "/") {
                let v = seg.contains("%") ? (String(seg).removingPercentEncoding ?? String(seg)) : String(seg)
                if let g = byValue[v] { return g }
            }
            return nil
        }
        // An ASCII path is cut at its slash bytes (empty segments skipped); only segments with a '%' are decoded,
        // and a segment of a length no value has is not looked up.
        let u = path.utf8
        var start = u.startIndex
        while start < u.endIndex {
            let end = u[start...].firstIndex(of: 0x2F) ?? u.endIndex
            if end > start {
                let seg = u[start..<end]
                if seg.contains(0x25) || valueLengths & Self.lengthBit(seg.count) != 0,
                   let g = byValue[PathBytes.segmentValue(Substring(seg))] { return g }
            }
            start = end < u.endIndex ? u.index(after: end) : end
        }
        return nil
    }

    private func expects(_ g: Group, _ x: Exchange) -> Bool {
        let candidates: [Int] = g.record.map { [$0] } ?? ev.records.indices.filter { r in
            g.flows.contains { f in ev.records[r].record.steps.indices.contains { fit(f, r, $0, group: nil) != nil } }
        }
        // A call naming a resource id nobody sent (a delivery of other traffic) is not this group's.
        let ids = ev.checklist.resourceIds
        return candidates.contains { r in
            expectationPatterns[r].contains { p in
                guard let caps = p.matches(method: x.method, path: x.path) else { return false }
                return !ids.contains { caps[$0] != nil }
            }
        }
    }

    // MARK: - Partner actions and the requests they cause

    private func causes(_ x: Exchange, _ f: Flow) -> Bool {
        if let c = f.caused { return c === x || c.method == x.method && c.path == x.path }
        return false
    }

    /// The most recent action line, before this call, still waiting for a request like it.
    private func waitingAction(for x: Exchange) -> Flow? {
        waitingActions.last { a in
            a.t <= x.t + 0.0005 && x.t - a.t <= 300 && ev.records.indices.contains { r in
                ev.records[r].record.steps.indices.contains { j in
                    if case .action(let n, _) = ev.records[r].record.steps[j].source, n == a.actionName,
                       let p = causedPattern[r][j], p.matches(method: x.method, path: x.path) != nil { return true }
                    return false
                }
            }
        }
    }

    /// A flow for a request that some partner action of the checklist would cause, for a capture with no action lines.
    private func causedFlow(_ x: Exchange) -> Flow? {
        guard ev.records.indices.contains(where: { r in causedPattern[r].contains { $0?.matches(method: x.method, path: x.path) != nil } }) else { return nil }
        let f = Flow(kind: .caused, t: x.t, tag: nil, stepTag: nil, lineNumber: x.entry.seq)
        f.caused = x
        values(of: x, into: f)
        return f
    }

    /// Resource ids a partner request carries: captured from the path, exported from the body.
    private func values(of x: Exchange, into f: Flow) {
        let ids = Set(ev.checklist.resourceIds)
        for r in ev.records.indices {
            for j in causedPattern[r].indices {
                guard let p = causedPattern[r][j], let caps = p.matches(method: x.method, path: x.path) else { continue }
                for (k, v) in caps where ids.contains(k) && f.values[k] == nil { f.values[k] = v }
                if let body = x.requestJSON {
                    for (name, path) in exportsFor[r][j] where ids.contains(name) && f.values[name] == nil {
                        if let v = path.first(in: body)?.scalarText, !v.isEmpty { f.values[name] = v }
                    }
                }
            }
        }
    }

    // MARK: - Fitting content to records

    /// Whether every record has all its steps bound (then new traffic can only be unattributed); recomputed after
    /// each binding.
    private var allBound: Bool?

    /// Whether any record not yet complete has a step this flow could be.
    private func couldBind(_ f: Flow) -> Bool {
        if allBound == nil { allBound = ev.records.allSatisfy { $0.nextStep >= $0.record.steps.count } }
        if allBound == true { return false }
        return ev.records.indices.contains { r in
            let rt = ev.records[r]
            return rt.nextStep < rt.record.steps.count && rt.record.steps.indices.contains { j in rt.steps[rt.record.steps[j].name] == nil && fit(f, r, j, group: nil) != nil }
        }
    }

    /// The step of the tagged record a tagged flow is, when its content fits.
    private func hintStep(_ f: Flow, _ r: Int) -> Int? {
        let rt = ev.records[r]
        let steps = rt.record.steps
        let j = f.stepTag.flatMap { name in steps.firstIndex { $0.name == name } } ?? rt.nextStep
        guard j < steps.count, rt.steps[steps[j].name] == nil else { return nil }
        return fit(f, r, j, group: nil) != nil ? j : nil
    }

    /// How well a flow fits step `j` of record `r`: nil when it cannot be that step, 0 when it fits exactly,
    /// 1 when a feature it should have is not in the log (yet).
    private func fit(_ f: Flow, _ r: Int, _ j: Int, group: Group?) -> Int? {
        let step = ev.records[r].record.steps[j]
        switch step.source {
        case .webhook(let w):
            guard f.kind == .webhook, f.eventType == w.eventType else { return nil }
            if w.signature == .invalid && f.invalidSignature != true { return nil }
            if w.signature == .valid && f.invalidSignature == true { return nil }
            if group != nil, f.deliveries.count != w.deliveries { return nil }
            if let body = f.deliveries.first?.requestJSON {
                for m in w.match where m.failure(in: body, vars: [:], regex: ev.regexes.pattern) != nil { return nil }
            }
            return 0
        case .action(let name, _):
            switch f.kind {
            case .action: return f.actionName == name ? 0 : nil
            case .caused:
                guard let x = f.caused, let p = causedPattern[r][j], p.matches(method: x.method, path: x.path) != nil else { return nil }
                return 0
            case .webhook: return nil
            }
        }
    }

    /// Binds a group to the best-fitting record, or lets it go as unattributed.
    private func decide(_ g: Group) {
        g.flows.sort { ($0.t, $0.lineNumber) < ($1.t, $1.lineNumber) }
        g.callbacks.sort { ($0.t, $0.entry.seq) < ($1.t, $1.entry.seq) }
        var best: (score: Int, specific: Int, r: Int, plan: [(Flow, Int)])?
        for r in ev.records.indices {
            guard let (score, plan) = align(g, r) else { continue }
            // Equal fits go to the record that asks more of its webhooks (a quote request without a drop-off address
            // is the unservable-quote record's, not the plain quote record's), then to the first in checklist order.
            let specific = specificity(plan, r)
            if best == nil || score < best!.score || (score == best!.score && specific > best!.specific) { best = (score, specific, r, plan) }
        }
        guard let best else {
            waitingActions.removeAll { a in g.flows.contains { $0 === a } }
            for f in g.flows { if let id = f.eventId { byEvent[id] = nil; markStray(id) } }
            for k in g.keys where byKey[k] === g { byKey[k] = nil }
            for k in g.keys where byValue[Self.value(of: k)] === g { byValue[Self.value(of: k)] = nil }
            recent.removeAll { $0 === g }
            ev.stats.unattributed += g.callbacks.count
            return
        }
        bindGroup(g, to: best.r, fromStep: best.plan)
    }

    /// How much record `r`'s webhook steps in `plan` ask of the content: the number of their match rules.
    private func specificity(_ plan: [(Flow, Int)], _ r: Int) -> Int {
        plan.reduce(0) { n, p in
            if case .webhook(let w) = ev.records[r].record.steps[p.1].source { return n + w.match.count }
            return n
        }
    }

    /// The cost of reading group `g` as the next steps of record `r`, and which flow is which step; nil if it cannot be.
    private func align(_ g: Group, _ r: Int) -> (Int, [(Flow, Int)])? {
        let rt = ev.records[r]
        let steps = rt.record.steps
        var j = rt.nextStep
        guard j < steps.count else { return nil }
        if j > 0 {
            // A later group continues a record only at a step that shares no resource id with its earlier ones,
            // and after them.
            if linked[r][j] { return nil }
            if let last = rt.lastBoundAt, g.start < last - 0.0005 { return nil }
        }
        var cost = 0
        var plan: [(Flow, Int)] = []
        // Webhooks and action lines are this record's steps in order; the requests partner actions cause (in a
        // capture with no action lines) fill its action steps in any order, so a fulfil sent before the ready is
        // still that record's, judged for it.
        let strict = g.flows.filter { $0.kind != .caused }
        let caused = g.flows.filter { $0.kind == .caused }
        var wildcards: [Int] = []
        var i = 0
        while i < strict.count {
            let f = strict[i]
            if j < steps.count, let c = fit(f, r, j, group: g) {
                plan.append((f, j)); cost += c; i += 1; j += 1
            } else if j < steps.count, case .action = steps[j].source, !hasActionLines {
                wildcards.append(j); j += 1
            } else {
                return nil
            }
        }
        // Action steps after the last webhook belong here when they share this group's resource ids or one of its
        // requests is theirs; a step that shares nothing may be a later group's (a pause, then an unpause).
        while j < steps.count, case .action = steps[j].source, !hasActionLines,
              linked[r][j] || caused.contains(where: { fit($0, r, j, group: g) != nil }) {
            wildcards.append(j); j += 1
        }
        var used: [ObjectIdentifier] = []
        for w in wildcards {
            if let f = caused.first(where: { !used.contains(ObjectIdentifier($0)) && fit($0, r, w, group: g) != nil }) {
                plan.append((f, w)); used.append(ObjectIdentifier(f))
            } else {
                cost += 3
            }
        }
        cost += caused.count - used.count
        plan.sort { $0.0.t < $1.0.t }
        guard !plan.isEmpty else { return nil }
        // Steps left over: fine when the record goes on with a later group, costly when they should have been here.
        if j < steps.count && linked[r][j] { cost += 3 * (steps.count - j) }
        // Injected answers: a record that injects one must find it; one that does not must not.
        var bound: [String: String] = [:]
        for f in g.flows { for (k, v) in f.values where bound[k] == nil { bound[k] = v } }
        for fault in rt.record.faults {
            let p = fault.pattern
            if let first = g.callbacks.first(where: { p.matches(method: $0.method, path: $0.path, bound: bound) != nil }) {
                // A first attempt answered otherwise (refused for what it was, or after the run had moved on) never
                // met the injected answer: a weak fit, taken only when no record fits better.
                if first.status != fault.status { cost += 2 }
            } else {
                cost += 1
            }
        }
        if rt.record.faults.isEmpty {
            for x in g.callbacks {
                if injected.contains(where: { $0.1 == x.status && $0.0.matches(method: x.method, path: x.path) != nil }) { return nil }
            }
        }
        return (cost, plan)
    }

    /// Binds a group to record `r`: its flows to their steps and its held calls, in time order.
    private func bindGroup(_ g: Group, to r: Int, fromStep plan: [(Flow, Int)]) {
        g.record = r
        bound.append(g)
        let held = g.callbacks
        g.callbacks = []
        var k = 0
        for (f, j) in plan {
            while k < held.count, held[k].t < f.t - 0.0005 { ev.records[r].offer(held[k], ev); k += 1 }
            bindFlow(f, record: r, step: j)
        }
        while k < held.count { ev.records[r].offer(held[k], ev); k += 1 }
    }

    private func bindFlow(_ f: Flow, record r: Int, step j: Int) {
        allBound = nil
        let rt = ev.records[r]
        switch f.kind {
        case .webhook: rt.bindWebhook(f.deliveries, step: j, ev)
        case .action: if let e = f.actionEntry { rt.bindAction(e, step: j, ev) }
        case .caused: rt.bindCaused(f.t, request: f.caused, step: j)
        }
        if let tag = f.tag, tag != rt.record.id, ev.recordIndex[tag] != nil {
            ev.warnings.append("line \(f.lineNumber): tagged \(tag), but its content makes it \(rt.record.id)'s")
        }
    }
}
