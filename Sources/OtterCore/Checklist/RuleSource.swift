import Foundation

/// Where a rule comes from: the published Otter OpenAPI (naming what in it states the rule, with the words it uses),
/// Otter's certification policy (with the reason, since the spec does not state it), or both: the spec states part of
/// the rule and the policy adds the rest (a time limit, a field the schema leaves optional).
///
/// Every record names one; an expectation or field assertion may name its own, else its record's holds for it.
/// `OpenAPIText` checks that every citation names a real operation, schema, property or section of the bundled
/// OpenAPI and that its quote occurs there verbatim, so a source cannot be invented.
public struct RuleSource: Sendable, CustomStringConvertible {
    /// What the spec says, each with its quote. Empty for a policy alone.
    public var spec: [SpecCitation]
    /// Otter's certification policy: what it adds to the spec and why. Nil when the spec states the whole rule.
    public var policy: String?
    /// A verbatim quote of Otter's certification process document backing the policy, when it states it.
    public var process: String?
    /// Where the source is written (`$.records[3].source`), for messages.
    public var at: String

    /// The three kinds of source.
    public enum Kind: String, Sendable, CaseIterable {
        /// The spec states the rule.
        case spec
        /// Otter's certification policy states it; the spec does not.
        case policy
        /// The spec states part of it; the policy adds the rest.
        case specAndPolicy = "spec+policy"
    }

    /// Which kind this source is.
    public var kind: Kind {
        if spec.isEmpty { return .policy }
        return policy == nil ? .spec : .specAndPolicy
    }

    /// Whether two sources say the same (where they are written aside).
    public func sameRule(as other: RuleSource) -> Bool {
        spec.map(\.key) == other.spec.map(\.key) && policy == other.policy && process == other.process
    }

    /// One line per part: `spec: operation requestDeliveryQuoteCallback: "…"`, `policy: …`, `process document: "…"`.
    public var lines: [String] {
        var out = spec.map { "spec: \($0.label): \"\($0.quote)\"" }
        if let p = policy { out.append("policy: " + p) }
        if let q = process { out.append("process document: \"\(q)\"") }
        return out
    }

    public var description: String { lines.joined(separator: "; ") }
}

/// One thing in the bundled OpenAPI (`checklists/openapi/otter-public-api.json`) a rule rests on, and its words.
public struct SpecCitation: Sendable {
    /// What is cited.
    public enum Target: Sendable, Equatable {
        /// An operation by its `operationId`: an endpoint under `paths` or a webhook under `x-webhooks`.
        case operation(String)
        /// A schema under `components/schemas`, or one of its properties (a dotted path: `cost.baseCost`).
        case schema(String, property: String?)
        /// A Markdown section of the spec's prose: a heading of `info.description` (`Expected Response`) or of a
        /// security scheme's description (`Token Usage`).
        case section(String)
    }

    /// What is cited.
    public var target: Target
    /// A short verbatim quote of its text (its summary or a description), stating the rule.
    public var quote: String
    /// With an operation: an OAuth scope its `security` requires.
    public var scope: String?
    /// With a property: the schema lists it as `required`.
    public var required: Bool
    /// Where the citation is written (`$.records[3].source.spec`), for messages.
    public var at: String

    /// `operation requestDeliveryQuoteCallback`, `schema Order.currencyCode (required)`, `section "Token Usage"`.
    public var label: String {
        switch target {
        case .operation(let id): return "operation \(id)" + (scope.map { " (scope \($0))" } ?? "")
        case .schema(let name, let property):
            return "schema \(name)" + (property.map { "." + $0 } ?? "") + (required ? " (required)" : "")
        case .section(let title): return "section \"\(title)\""
        }
    }

    /// What the citation says, without where it is written.
    var key: String { label + "\u{0}" + quote }
}

extension RuleSource {
    /// The keys a source object may hold.
    static let keys: Set<String> = ["spec", "policy", "process"]

    /// How to write one, for messages.
    static let hint = #"{"spec": {"operation": "…", "quote": "…"}} or {"policy": "why Otter requires it"} (docs/checklist-format.md)"#

    init(node: JSONNode) throws(DataError) {
        _ = try node.object(allowed: RuleSource.keys)
        at = node.path
        if let s = node.child("spec") {
            if case .array = s.value {
                let items = try s.array()
                if items.isEmpty { throw s.error("spec must cite at least one thing; leave it out for a policy alone") }
                spec = try items.map { n throws(DataError) in try SpecCitation(node: n) }
            } else {
                spec = [try SpecCitation(node: s)]
            }
        } else {
            spec = []
        }
        policy = try node.child("policy")?.nonEmptyString()
        process = try node.child("process")?.nonEmptyString()
        if spec.isEmpty && policy == nil {
            throw node.error("a source needs 'spec' (what the OpenAPI states) or 'policy' (why Otter requires it): " + RuleSource.hint)
        }
        if process != nil && policy == nil {
            throw node.child("process")!.error("'process' quotes the process document for a policy: add 'policy' with the reason")
        }
    }
}

extension SpecCitation {
    /// The longest quote: a citation quotes the words that state the rule, not a page.
    public static let maxQuoteLength = 400

    init(node: JSONNode) throws(DataError) {
        _ = try node.object(allowed: ["operation", "schema", "property", "section", "quote", "scope", "required"])
        at = node.path
        let named = ["operation", "schema", "section"].filter { node.child($0) != nil }
        guard named.count == 1 else {
            throw node.error(named.isEmpty ? "a spec citation names one of 'operation' (an operationId), 'schema' or 'section'"
                                           : "a spec citation names one thing, found \(named.joined(separator: " and "))")
        }
        switch named[0] {
        case "operation": target = .operation(try node.required("operation").nonEmptyString())
        case "schema":
            target = .schema(try node.required("schema").nonEmptyString(), property: try node.child("property")?.nonEmptyString())
        default: target = .section(try node.required("section").nonEmptyString())
        }
        if let p = node.child("property"), named[0] != "schema" { throw p.error("'property' belongs to a 'schema' citation") }
        scope = try node.child("scope")?.nonEmptyString()
        if let s = node.child("scope"), named[0] != "operation" { throw s.error("'scope' belongs to an 'operation' citation") }
        required = false
        if let r = node.child("required") {
            guard try r.bool() else { throw r.error("required takes true only (leave it out otherwise)") }
            guard case .schema(_, .some) = target else { throw r.error("'required' belongs to a 'schema' citation with a 'property'") }
            required = true
        }
        let qNode = try node.required("quote")
        quote = try qNode.nonEmptyString()
        if quote.count > SpecCitation.maxQuoteLength {
            throw qNode.error("a quote is short: at most \(SpecCitation.maxQuoteLength) characters, got \(quote.count)")
        }
    }
}

extension RuleSource {
    /// The source as report JSON: `{kind, spec: [{operation | schema, property | section, quote, scope, required}], policy, process}`.
    public var json: JSONValue {
        var o = JSONObject([("kind", .string(kind.rawValue))])
        if !spec.isEmpty { o["spec"] = .array(spec.map(\.json)) }
        if let p = policy { o["policy"] = .string(p) }
        if let q = process { o["process"] = .string(q) }
        return .object(o)
    }
}

extension SpecCitation {
    /// The citation as report JSON, keyed as in the checklist.
    public var json: JSONValue {
        var o = JSONObject()
        switch target {
        case .operation(let id): o["operation"] = .string(id)
        case .schema(let name, let property):
            o["schema"] = .string(name)
            if let p = property { o["property"] = .string(p) }
        case .section(let title): o["section"] = .string(title)
        }
        if let s = scope { o["scope"] = .string(s) }
        if required { o["required"] = .bool(true) }
        o["quote"] = .string(quote)
        return .object(o)
    }
}

/// One rule of a record as a partner reads it: an expectation or a field assertion, with the source that holds for it.
public struct SourcedRule: Sendable {
    /// `acknowledgement of trigger`, `POST /v1/orders`, `$.currencyCode matches ^[A-Z]{3}$`.
    public var label: String
    /// 0 for an expectation, 1 for an `anyOf` alternative or a field assertion, 2 for a field of an alternative.
    public var depth: Int
    /// Whether it is a field assertion.
    public var isField: Bool
    /// The source it names itself, when that says something else than the one it would inherit.
    public var own: RuleSource?
    /// The source that holds for it: its own, else its expectation's, else its record's.
    public var effective: RuleSource
}

extension Record {
    /// Every expectation (an `anyOf`'s alternatives included) and every field assertion it checks, in checklist
    /// order, each with its source.
    public var sourcedRules: [SourcedRule] {
        var out: [SourcedRule] = []
        func differs(_ s: RuleSource?, from parent: RuleSource) -> RuleSource? {
            guard let s, !s.sameRule(as: parent) else { return nil }
            return s
        }
        func walk(_ e: Expectation, depth: Int, parent: RuleSource) {
            let eff = e.source ?? parent
            out.append(SourcedRule(label: e.label, depth: depth, isField: false, own: differs(e.source, from: parent), effective: eff))
            for f in e.fieldAssertions {
                out.append(SourcedRule(label: f.description, depth: depth + 1, isField: true, own: differs(f.source, from: eff), effective: f.source ?? eff))
            }
            if case .anyOf(let a) = e { for x in a.of { walk(x, depth: depth + 1, parent: eff) } }
        }
        for e in expect { walk(e, depth: 0, parent: source) }
        return out
    }
}

extension Record {
    /// The kind of the record's rules taken together: its own source and every expectation's and field's.
    public var rulesSourceKind: RuleSource.Kind {
        RuleSource.Kind.combined([source] + sourcedRules.map(\.effective))
    }
}

extension RuleSource.Kind {
    /// `spec+policy` when some of the sources cite the spec and some state a policy, else the one they share.
    public static func combined(_ sources: [RuleSource]) -> RuleSource.Kind {
        let spec = sources.contains { !$0.spec.isEmpty }, policy = sources.contains { $0.policy != nil }
        return spec && policy ? .specAndPolicy : (policy ? .policy : .spec)
    }
}

extension Checklist {
    /// How many records, and how many of their rules (expectations and field assertions, by the source that holds
    /// for each), rest on the spec, on policy, or on both.
    public var sourceCounts: (records: [RuleSource.Kind: Int], rules: [RuleSource.Kind: Int]) {
        var records: [RuleSource.Kind: Int] = [:], rules: [RuleSource.Kind: Int] = [:]
        for r in self.records {
            records[r.source.kind, default: 0] += 1
            for x in r.sourcedRules { rules[x.effective.kind, default: 0] += 1 }
        }
        return (records, rules)
    }
}
