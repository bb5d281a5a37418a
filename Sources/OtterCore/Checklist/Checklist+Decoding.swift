import Foundation

extension Checklist {
    /// Decodes and checks a checklist document.
    ///
    /// - Parameter fixture: looks up a webhook fixture by its path under `Fixtures/webhooks/`
    ///   (nil when the file does not exist); used to check fixtures exist and to learn their event types.
    public init(json: JSONValue, fixture: (String) -> JSONValue? = { _ in nil }) throws(DataError) {
        let root = JSONNode(json)
        _ = try root.object(allowed: ["integrationType", "version", "title", "description", "errorCallback", "vars", "resourceIds", "policies", "records"])
        let typeNode = try root.required("integrationType")
        let typeText = try typeNode.string()
        guard let type = IntegrationType(rawValue: typeText) else {
            throw typeNode.error("must be one of delivery, pos, orders; got '\(typeText)'")
        }
        integrationType = type
        version = try root.required("version").nonEmptyString()
        title = try root.required("title").nonEmptyString()
        description = try root.child("description")?.string() ?? ""
        errorCallback = try root.child("errorCallback").map { n throws(DataError) in try RequestPattern(node: n) }
        let vars = try (root.child("vars")?.entries() ?? []).map { (k, n) throws(DataError) in (k, try n.jsonPath()) }
        self.vars = vars
        if let ids = root.child("resourceIds") {
            resourceIds = try ids.array().map { n throws(DataError) in
                let name = try n.nonEmptyString()
                guard vars.contains(where: { $0.0 == name }) else { throw n.error("'\(name)' is not one of this checklist's vars") }
                return name
            }
        } else {
            resourceIds = vars.map(\.0).filter { $0.hasSuffix("Id") && $0 != "storeId" && $0 != "applicationId" }
        }
        policies = try (root.child("policies")?.array() ?? []).map { n throws(DataError) in
            let p = try RuleSource(node: n)
            if p.policy == nil { throw n.error("a checklist-wide entry states a policy: add 'policy' with the reason (cite the spec on the records it backs)") }
            return p
        }
        let recordNodes = try root.required("records").array()
        if recordNodes.isEmpty { throw root.error("records must not be empty") }
        var seen = Set<String>()
        var records: [Record] = []
        for node in recordNodes {
            let idNode = try node.required("id")
            let id = try idNode.nonEmptyString()
            guard IdentifierShape.isRecordId(id) || id.range(of: "^[A-Z][A-Z0-9]*-[0-9]{2,}$", options: .regularExpression) != nil else {
                throw idNode.error("record id must look like DEL-04, got '\(id)'")
            }
            if !seen.insert(id).inserted { throw idNode.error("duplicate record id '\(id)'") }
            let record = try Record(node: node.withRecord(id), id: id, fixture: fixture)
            try record.checkReferences(node: node.withRecord(id), checklistVars: Set(vars.map(\.0)))
            records.append(record)
        }
        self.records = records
    }
}

extension Record {
    init(node: JSONNode, id: String, fixture: (String) -> JSONValue?) throws(DataError) {
        _ = try node.object(allowed: ["id", "title", "required", "rationale", "source", "setup", "trigger", "faults", "expect", "exclusive"])
        self.id = id
        title = try node.required("title").nonEmptyString()
        required = try node.required("required").bool()
        rationale = try node.required("rationale").nonEmptyString()
        guard let s = node.child("source") else {
            throw node.error("missing key 'source': say where this rule comes from, " + RuleSource.hint)
        }
        source = try RuleSource(node: s)
        var setup: [Step] = []
        for (i, s) in (try node.child("setup")?.array() ?? []).enumerated() {
            setup.append(try Step(node: s, defaultName: "setup\(i + 1)", fixture: fixture))
        }
        self.setup = setup
        trigger = try Step(node: try node.required("trigger"), defaultName: "trigger", fixture: fixture, isTrigger: true)
        faults = try (node.child("faults")?.array() ?? []).map { n throws(DataError) in try Fault(node: n) }
        let exps = try node.required("expect").array()
        if exps.isEmpty { throw node.error("expect must not be empty") }
        expect = try exps.map { n throws(DataError) in try Expectation(node: n) }
        exclusive = try node.child("exclusive")?.bool() ?? false
    }

    /// Checks that step names are unique and every reference (step names, template variables) resolves.
    func checkReferences(node: JSONNode, checklistVars: Set<String>) throws(DataError) {
        var names = Set<String>()
        var known = checklistVars.union(["eventId"])
        for (i, step) in steps.enumerated() {
            let at = i < setup.count ? "\(node.path).setup[\(i)]" : "\(node.path).trigger"
            if !names.insert(step.name).inserted {
                throw DataError(path: at, recordId: id, message: "duplicate step name '\(step.name)'")
            }
            if let a = step.awaiting {
                for v in a.path.variables where !known.contains(v) {
                    throw DataError(path: at + ".await.path", recordId: id, message: "unknown variable '{\(v)}' (known: \(known.sorted().joined(separator: ", ")))")
                }
                known.formUnion(a.export.map(\.name))
            }
        }
        func checkStep(_ s: String, _ path: String) throws(DataError) {
            if !names.contains(s) {
                throw DataError(path: path, recordId: id, message: "unknown step '\(s)' (steps: \(steps.map(\.name).joined(separator: ", ")))")
            }
        }
        func checkTemplate(_ t: PathTemplate, _ path: String) throws(DataError) {
            for v in t.variables where !known.contains(v) {
                throw DataError(path: path, recordId: id, message: "unknown variable '{\(v)}' in \(t.text) (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        func walk(_ e: Expectation, _ path: String) throws(DataError) {
            switch e {
            case .ack(let a): try checkStep(a.step, path + ".step")
            case .request(let r):
                try checkStep(r.step, path + ".step"); try checkTemplate(r.pattern.path, path + ".path")
                for p in r.requiresEarlier { try checkTemplate(p.path, path + ".requiresEarlier") }
            case .sequence(let s): try checkStep(s.step, path + ".step"); try checkTemplate(s.pattern.path, path + ".path")
            case .absent(let a): try checkStep(a.step, path + ".step"); try checkTemplate(a.path, path + ".path")
            case .anyOf(let a): for (i, x) in a.of.enumerated() { try walk(x, "\(path).of[\(i)]") }
            case .token: break
            }
        }
        for (i, e) in expect.enumerated() { try walk(e, "\(node.path).expect[\(i)]") }
        for (i, f) in faults.enumerated() { try checkTemplate(f.path, "\(node.path).faults[\(i)].path") }
    }
}

extension Step {
    init(node: JSONNode, defaultName: String, fixture: (String) -> JSONValue?, isTrigger: Bool = false) throws(DataError) {
        let o = try node.object(allowed: ["name", "webhook", "signature", "deliveries", "match", "action", "instructions", "await"])
        name = isTrigger ? "trigger" : (try node.child("name")?.nonEmptyString() ?? defaultName)
        if isTrigger, node.child("name") != nil { throw node.error("the trigger step is always named 'trigger'; remove 'name'") }
        awaiting = try node.child("await").map { n throws(DataError) in try RequestPattern(node: n, allowExport: true) }
        switch (o["webhook"], o["action"]) {
        case (.some, .some): throw node.error("a step is either a 'webhook' or an 'action', not both")
        case (.none, .none): throw node.error("a step needs 'webhook' (a fixture) or 'action' (a partner move)")
        case (.some, .none):
            let fNode = try node.required("webhook")
            let file = try fNode.nonEmptyString()
            if file.contains("..") || file.hasPrefix("/") { throw fNode.error("fixture path must stay under Fixtures/webhooks/: '\(file)'") }
            var eventType: String?
            var templateVars: [String] = []
            var templateVarPaths: [(name: String, keys: [String])] = []
            if let doc = fixture(file) {
                guard let t = doc["eventType"]?.stringValue, doc["eventId"] != nil else {
                    throw fNode.error("fixture '\(file)' is not a webhook envelope (needs eventId and eventType)")
                }
                eventType = t
                templateVars = FixtureTemplate.placeholders(in: doc.serialized())
                templateVarPaths = FixtureTemplate.wholeValuePlaceholders(in: doc)
            }
            let sigText = try node.child("signature")?.string() ?? "valid"
            guard let sig = WebhookStep.Signature(rawValue: sigText) else {
                throw node.child("signature")!.error("must be 'valid' or 'invalid', got '\(sigText)'")
            }
            let deliveries = try node.child("deliveries")?.int(min: 1) ?? 1
            let match = try (node.child("match")?.array() ?? []).map { n throws(DataError) in try FieldAssertion(node: n) }
            source = .webhook(WebhookStep(fixture: file, eventType: eventType, signature: sig, deliveries: deliveries, match: match,
                                          templateVars: templateVars, templateVarPaths: templateVarPaths))
        case (.none, .some):
            for k in ["signature", "deliveries", "match"] where o[k] != nil { throw node.error("'\(k)' applies to webhook steps only") }
            let a = try node.required("action").nonEmptyString()
            guard IdentifierShape.isActionName(a) || a.range(of: "^[a-z]+\\.[a-z_]+$", options: .regularExpression) != nil else {
                throw (try node.required("action")).error("action names look like 'pos.confirm_order', got '\(a)'")
            }
            source = .action(name: a, instructions: try node.required("instructions").nonEmptyString())
        }
    }
}

extension RequestPattern {
    /// A standalone pattern object: only its own keys are allowed.
    init(node: JSONNode, allowExport: Bool = false) throws(DataError) {
        _ = try node.object(allowed: allowExport ? ["method", "path", "export"] : ["method", "path"])
        try self.init(fieldsOf: node, allowExport: allowExport)
    }
}

func parseMethod(_ node: JSONNode) throws(DataError) -> String {
    let m = try node.string()
    guard ["GET", "POST", "PUT", "PATCH", "DELETE", "*"].contains(m) else {
        throw node.error("method must be GET, POST, PUT, PATCH, DELETE or *, got '\(m)'")
    }
    return m
}

extension Fault {
    init(node: JSONNode) throws(DataError) {
        _ = try node.object(allowed: ["method", "path", "status", "times", "headers"])
        method = try parseMethod(try node.required("method"))
        path = try node.required("path").pathTemplate()
        status = try node.required("status").int(min: 100)
        if status > 599 { throw (try node.required("status")).error("status must be 100...599") }
        times = try node.child("times")?.int(min: 1) ?? 1
        headers = try (node.child("headers")?.entries() ?? []).map { (k, n) throws(DataError) in (k, try n.string()) }
    }
}

extension Expectation {
    static let kinds = ["ack", "request", "sequence", "absent", "anyOf", "token"]

    init(node: JSONNode) throws(DataError) {
        let kindNode = try node.required("kind")
        let kind = try kindNode.string()
        switch kind {
        case "ack":
            _ = try node.object(allowed: ["kind", "step", "status", "withinMs", "schema", "fields", "source"])
            let sNode = try node.required("status")
            let status: StatusSet
            do {
                let text: String
                switch sNode.value {
                case .number: text = String(try sNode.int())
                case .array(let xs): text = xs.map { $0.intValue.map(String.init) ?? $0.stringValue ?? "?" }.joined(separator: ",")
                default: text = try sNode.string()
                }
                status = try StatusSet(text)
            } catch let e as TemplateError { throw sNode.error(e.message) } catch let e as DataError { throw e } catch { throw sNode.error("\(error)") }
            self = .ack(AckExpectation(step: try node.child("step")?.string() ?? "trigger", status: status,
                                       withinMs: try node.required("withinMs").number(min: 1),
                                       schema: try node.child("schema")?.nonEmptyString(),
                                       fields: try (node.child("fields")?.array() ?? []).map { n throws(DataError) in try FieldAssertion(node: n) },
                                       source: try RuleSource(optional: node)))
        case "request":
            _ = try node.object(allowed: ["kind", "name", "method", "path", "step", "withinSeconds", "eventId", "headers", "auth", "scope",
                                          "schema", "fields", "count", "countWindowSeconds", "retry", "requiresEarlier", "export", "source"])
            let pattern = try RequestPattern(fieldsOf: node, allowExport: true)
            var count = CountBounds(min: 1, max: nil)
            if let c = node.child("count") {
                _ = try c.object(allowed: ["min", "max"])
                count.min = try c.child("min")?.int(min: 0) ?? 1
                count.max = try c.child("max")?.int(min: 0)
                if let mx = count.max, mx < count.min { throw c.error("max (\(mx)) is below min (\(count.min))") }
            }
            var retry: RetryRule?
            if let r = node.child("retry") {
                _ = try r.object(allowed: ["status", "minDelaySeconds", "honourRetryAfter"])
                retry = RetryRule(status: try r.required("status").int(min: 100), minDelaySeconds: try r.child("minDelaySeconds")?.number(min: 0) ?? 0,
                                  honourRetryAfter: try r.child("honourRetryAfter")?.bool() ?? false)
            }
            self = .request(RequestExpectation(
                name: try node.child("name")?.nonEmptyString(), pattern: pattern,
                step: try node.child("step")?.string() ?? "trigger",
                withinSeconds: try node.required("withinSeconds").number(min: 0.001),
                eventId: try node.child("eventId")?.bool() ?? false,
                headers: try (node.child("headers")?.entries() ?? []).map { (k, n) throws(DataError) in (k, try n.string()) },
                auth: try node.child("auth")?.bool() ?? true, scope: try node.child("scope")?.nonEmptyString(),
                schema: try node.child("schema")?.nonEmptyString(),
                fields: try (node.child("fields")?.array() ?? []).map { n throws(DataError) in try FieldAssertion(node: n) },
                count: count, countWindowSeconds: try node.child("countWindowSeconds")?.number(min: 0) ?? 0, retry: retry,
                requiresEarlier: try (node.child("requiresEarlier")?.array() ?? []).map { n throws(DataError) in try RequestPattern(node: n) },
                source: try RuleSource(optional: node)))
        case "sequence":
            _ = try node.object(allowed: ["kind", "method", "path", "step", "field", "order", "require", "final", "withinSeconds", "fromState", "source"])
            let order = try node.required("order").array().map { n throws(DataError) in try n.nonEmptyString() }
            if order.isEmpty { throw (try node.required("order")).error("must list at least one state") }
            func known(_ n: JSONNode) throws(DataError) -> String {
                let s = try n.string()
                if !order.contains(s) { throw n.error("'\(s)' is not in order (\(order.joined(separator: ", ")))") }
                return s
            }
            var fromState: (String, [FieldAssertion])?
            if let f = node.child("fromState") {
                _ = try f.object(allowed: ["state", "fields"])
                fromState = (try known(try f.required("state")), try f.required("fields").array().map { n throws(DataError) in try FieldAssertion(node: n) })
            }
            self = .sequence(SequenceExpectation(
                pattern: try RequestPattern(fieldsOf: node, allowExport: false),
                step: try node.child("step")?.string() ?? "trigger", field: try node.required("field").jsonPath(), order: order,
                require: try (node.child("require")?.array() ?? []).map { n throws(DataError) in try known(n) },
                final: try node.child("final").map { n throws(DataError) in try known(n) },
                withinSeconds: try node.required("withinSeconds").number(min: 0.001), fromState: fromState,
                source: try RuleSource(optional: node)))
        case "absent":
            _ = try node.object(allowed: ["kind", "method", "path", "step", "eventId", "windowSeconds", "unless", "source"])
            self = .absent(AbsentExpectation(
                method: try node.child("method").map { n throws(DataError) in try parseMethod(n) },
                path: try node.required("path").pathTemplate(), eventId: try node.child("eventId")?.bool() ?? false,
                step: try node.child("step")?.string() ?? "trigger", windowSeconds: try node.required("windowSeconds").number(min: 0.001),
                unless: try (node.child("unless")?.array() ?? []).map { n throws(DataError) in try FieldAssertion(node: n) },
                source: try RuleSource(optional: node)))
        case "anyOf":
            _ = try node.object(allowed: ["kind", "of", "source"])
            let of = try node.required("of").array()
            if of.count < 2 { throw (try node.required("of")).error("anyOf needs at least two expectations") }
            self = .anyOf(AnyOfExpectation(of: try of.map { n throws(DataError) in try Expectation(node: n) }, source: try RuleSource(optional: node)))
        case "token":
            _ = try node.object(allowed: ["kind", "scope", "source"])
            self = .token(TokenExpectation(scope: try node.required("scope").nonEmptyString(), source: try RuleSource(optional: node)))
        default:
            let hint = suggestion(for: kind, among: Expectation.kinds).map { " (did you mean '\($0)'?)" } ?? ""
            throw kindNode.error("unknown expectation kind '\(kind)'\(hint); kinds: \(Expectation.kinds.joined(separator: ", "))")
        }
    }
}

extension RequestPattern {
    /// The pattern's keys inside a larger object (an expectation), whose other keys its caller checks.
    init(fieldsOf node: JSONNode, allowExport: Bool) throws(DataError) {
        method = try parseMethod(try node.required("method"))
        path = try node.required("path").pathTemplate()
        export = allowExport ? try (node.child("export")?.entries() ?? []).map { (k, n) throws(DataError) in (k, try n.jsonPath()) } : []
    }
}

extension FieldAssertion {
    static let checks = ["equals", "exists", "oneOf", "matches", "min", "max", "nonEmpty", "unique", "sum", "atLeastSum", "atLeastField"]

    init(node: JSONNode) throws(DataError) {
        let o = try node.object(allowed: Set(["path", "source"] + FieldAssertion.checks))
        path = try node.required("path").jsonPath()
        source = try RuleSource(optional: node)
        let present = FieldAssertion.checks.filter { o[$0] != nil }
        let isRange = Set(present).isSubset(of: ["min", "max"]) && !present.isEmpty
        guard present.count == 1 || isRange else {
            throw node.error(present.isEmpty ? "a field assertion needs one of: \(FieldAssertion.checks.joined(separator: ", "))"
                                             : "one check per field assertion, found \(present.joined(separator: ", "))")
        }
        if isRange {
            check = .range(min: try node.child("min")?.number(), max: try node.child("max")?.number())
            return
        }
        let c = node.child(present[0])!
        switch present[0] {
        case "equals": check = .equals(c.value)
        case "exists": check = .exists(try c.bool())
        case "oneOf":
            let xs = try c.array()
            if xs.isEmpty { throw c.error("oneOf must list at least one value") }
            check = .oneOf(xs.map(\.value))
        case "matches":
            let r = try c.string()
            guard RegexPattern(r) != nil else { throw c.error("invalid regular expression '\(r)'") }
            check = .matches(r)
        case "nonEmpty":
            guard try c.bool() else { throw c.error("nonEmpty takes true only") }
            check = .nonEmpty
        case "unique":
            guard try c.bool() else { throw c.error("unique takes true only") }
            check = .unique
        case "sum", "atLeastSum":
            let terms = try c.array()
            if terms.isEmpty { throw c.error("\(present[0]) needs at least one term") }
            let parsed = try terms.map { n throws(DataError) in
                let s = try n.string()
                let neg = s.hasPrefix("-")
                do { return (negative: neg, path: try JSONPath(neg ? String(s.dropFirst()) : s)) } catch { throw n.error("bad JSONPath '\(s)': \(error)") }
            }
            check = present[0] == "sum" ? .sum(parsed) : .atLeastSum(parsed)
        default: check = .atLeastField(try c.jsonPath())
        }
    }
}

extension RuleSource {
    /// The `source` of an expectation or field assertion, when it names one.
    init?(optional node: JSONNode) throws(DataError) {
        guard let s = node.child("source") else { return nil }
        try self.init(node: s)
    }
}

/// The shapes of record ids (`DEL-01`) and action names (`pos.confirm_order`) checked byte by byte: a string these accept,
/// the regular expressions beside their calls accept too, so those (compiled per call) run only for the rest, such as a
/// mistake to report.
enum IdentifierShape {
    /// `^[A-Z][A-Z0-9]*-[0-9]{2,}$` on a string with no line break.
    static func isRecordId(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let dash = b.lastIndex(of: UInt8(ascii: "-")), dash >= 1, b.count - dash - 1 >= 2,
              (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b[0]) else { return false }
        let upperOrDigit: (UInt8) -> Bool = { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return b[1..<dash].allSatisfy(upperOrDigit) && b[(dash + 1)...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// `^[a-z]+\.[a-z_]+$` on a string with no line break.
    static func isActionName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let dot = b.firstIndex(of: UInt8(ascii: ".")), dot >= 1, dot < b.count - 1 else { return false }
        let lower: (UInt8) -> Bool = { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        return b[..<dot].allSatisfy(lower) && b[(dot + 1)...].allSatisfy { lower($0) || $0 == UInt8(ascii: "_") }
    }
}
