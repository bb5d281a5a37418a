/// The partner actions a checklist may name as a step (`"action": "pos.confirm_order"`): what the partner does on its
/// own side, performed by `--action-hook` or by the operator. The sample partner and docs/run.md use these names.
public enum PartnerActions {
    /// Name → what the partner does.
    public static let known: [(name: String, does: String)] = [
        ("delivery.advance_courier", "move the courier through its statuses (PUT /v1/delivery/{deliveryReferenceId}/status)"),
        ("orders.create_order", "place a new order (POST /v1/orders)"),
        ("orders.update_order", "change an order it placed (PUT /v1/orders/{orderId})"),
        ("orders.cancel_order", "cancel an order it placed (POST /v1/orders/{orderId}/status CANCELED)"),
        ("pos.confirm_order", "accept an order in the POS (POST /manager/order/v1/sources/{source}/orders/{orderId}/confirm)"),
        ("pos.mark_ready", "mark an order ready (…/orders/{orderId}/ready)"),
        ("pos.fulfill_order", "hand an order over (…/orders/{orderId}/fulfill)"),
        ("pos.pause_store", "pause the store from the POS (POST /manager/storefront/v1/storefront/pause)"),
        ("pos.unpause_store", "unpause the store from the POS (POST /manager/storefront/v1/storefront/unpause)"),
        ("pos.upsert_menu", "publish its menu (POST /v1/menus)"),
    ]

    /// Whether `name` is a known action.
    public static func isKnown(_ name: String) -> Bool { known.contains { $0.name == name } }
}

/// What a checklist names that the OpenAPI description does not have: an endpoint no operation serves, a body schema
/// it does not define, a webhook event type it does not document, an action nobody can perform. A checklist with any
/// of these would judge against nothing (a schema check that never runs, an expectation no conforming partner can
/// meet), so `checklist validate`, `run` and `observe` refuse it.
public enum ChecklistAudit {
    /// One line per problem, `record DEL-04: …`, in checklist order; empty when the checklist fits the spec.
    public static func problems(_ checklist: Checklist, spec: OpenAPISpec) -> [String] {
        var out: [String] = []
        let label = "\(spec.title) \(spec.version)"
        func endpoint(_ method: String, _ path: PathTemplate, _ record: String, _ what: String) {
            guard !path.matchesAll else { return }
            let fits = spec.endpoints.endpoints.contains { e in
                (method == "*" || method == e.method) && compatible(path, e.path)
            }
            if !fits { out.append("record \(record): \(what) \(method) \(path.text), which is not an operation of \(label)") }
        }
        func schema(_ name: String?, _ record: String) {
            guard let name, !spec.schemas.schemaNames.contains(name) else { return }
            let near = spec.schemas.schemaNames.filter { $0.lowercased().contains(name.lowercased()) || name.lowercased().contains($0.lowercased()) }
            let hint = near.isEmpty ? "" : " (did you mean \(near.prefix(3).joined(separator: ", "))?)"
            out.append("record \(record): schema '\(name)' is not defined in \(label)\(hint)")
        }
        /// An answer's body is judged against one of the answers the spec documents for the webhook, so the spec
        /// stays the one source of what a partner answers.
        func answer(_ a: AckExpectation, _ r: Record) {
            guard let name = a.schema else { return }
            schema(name, r.id)
            guard spec.schemas.schemaNames.contains(name),
                  let t = r.steps.first(where: { $0.name == a.step })?.webhook?.eventType, let hook = spec.webhook(eventType: t) else { return }
            let documented = hook.responses.compactMap { x in x.schema.map { "\(x.status) \($0)" } }
            guard !hook.responses.contains(where: { $0.schema == name && overlaps(a.status, $0.status) }) else { return }
            out.append("record \(r.id): the answer to step '\(a.step)' (\(t)) is checked against \(name) for status \(a.status), which is not an answer \(label) documents for \(hook.operationId)"
                       + (documented.isEmpty ? " (it documents no answer body)" : " (it documents: \(documented.joined(separator: ", ")))"))
        }
        func expectation(_ x: Expectation, _ owner: Record) {
            let record = owner.id
            switch x {
            case .ack(let a): answer(a, owner)
            case .token: break
            case .request(let r):
                endpoint(r.pattern.method, r.pattern.path, record, "expects")
                schema(r.schema, record)
                for p in r.requiresEarlier { endpoint(p.method, p.path, record, "requires an earlier") }
            case .sequence(let s): endpoint(s.pattern.method, s.pattern.path, record, "expects a sequence of")
            case .absent(let a): endpoint(a.method ?? "*", a.path, record, "forbids")
            case .anyOf(let xs): for x in xs.of { expectation(x, owner) }
            }
        }
        if let e = checklist.errorCallback { endpoint(e.method, e.path, "(checklist)", "names as its error callback") }
        for r in checklist.records {
            for step in r.steps {
                switch step.source {
                case .webhook(let w):
                    if let t = w.eventType, spec.webhook(eventType: t) == nil {
                        out.append("record \(r.id): step '\(step.name)' sends \(t) (\(w.fixture)), which is not a webhook of \(label)")
                    }
                case .action(let name, _):
                    if !PartnerActions.isKnown(name) {
                        out.append("record \(r.id): step '\(step.name)' names the action '\(name)', which is not one of: \(PartnerActions.known.map(\.name).joined(separator: ", "))")
                    }
                }
                if let a = step.awaiting { endpoint(a.method, a.path, r.id, "step '\(step.name)' awaits") }
            }
            for f in r.faults { endpoint(f.method, f.path, r.id, "injects a fault into") }
            for x in r.expect { expectation(x, r) }
        }
        return out
    }

    /// Every schema judging `checklist` can validate a body against: the schemas its expectations name (request bodies,
    /// webhook answers) and the body schema of every operation a request it expects can arrive at. Sorted, each once.
    public static func schemaNames(_ checklist: Checklist, spec: OpenAPISpec) -> [String] {
        var names = Set<String>()
        func bodies(_ method: String, _ path: PathTemplate) {
            for e in spec.endpoints.endpoints where (method == "*" || method == e.method) && (path.matchesAll || compatible(path, e.path)) {
                if let b = e.bodySchema { names.insert(b) }
            }
        }
        func expectation(_ x: Expectation) {
            switch x {
            case .ack(let a): if let s = a.schema { names.insert(s) }
            case .token: break
            case .request(let r):
                if let s = r.schema { names.insert(s) }
                bodies(r.pattern.method, r.pattern.path)
            case .sequence(let s): bodies(s.pattern.method, s.pattern.path)
            case .absent: break
            case .anyOf(let xs): for x in xs.of { expectation(x) }
            }
        }
        for r in checklist.records { for x in r.expect { expectation(x) } }
        return names.sorted()
    }

    /// Whether an expectation's statuses include one the spec's response key (`200`, `2XX`) stands for.
    static func overlaps(_ set: StatusSet, _ specStatus: String) -> Bool {
        if let code = Int(specStatus) { return set.contains(code) }
        guard specStatus.count == 3, specStatus.uppercased().hasSuffix("XX"), let d = Int(specStatus.prefix(1)) else { return false }
        return (d * 100...d * 100 + 99).contains { set.contains($0) }
    }

    /// Whether a checklist template can match requests an endpoint serves: the same number of segments, equal
    /// literals, and a variable (or `*`) on either side where they differ.
    static func compatible(_ a: PathTemplate, _ b: PathTemplate) -> Bool {
        guard a.segments.count == b.segments.count else { return false }
        for (x, y) in zip(a.segments, b.segments) {
            if case .literal(let l) = x, case .literal(let m) = y, l != m { return false }
        }
        return true
    }
}
