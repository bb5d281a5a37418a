import Foundation

/// The words of the bundled Otter OpenAPI (`checklists/openapi/otter-public-api.json`) and of Otter's certification
/// process document that a rule's source may quote, and the check that a citation is real: what it names exists and
/// its quote occurs there verbatim.
///
/// - An operation's text: its summary and description, the descriptions of its parameters, request body and
///   responses (`$ref`s followed), and the descriptions of the OAuth scopes its `security` lists.
/// - A schema's text: its title and description; a property's: the property's title and description and those of
///   the schema it refers to. A dotted property (`cost.baseCost`) is looked up through `$ref`, `allOf` and array items.
/// - A section's text: from a Markdown heading of `info.description` or of a security scheme's description to the
///   next heading of the same or a higher level.
public struct OpenAPIText: Sendable {
    let document: JSONValue
    /// operationId → the operation object.
    let operations: [String: JSONValue]
    /// The process document's text, when given.
    let processDocument: String?

    /// Reads the OpenAPI document (and the process document's text, to check its quotes too).
    public init(openAPI: JSONValue, processDocument: String? = nil) {
        document = openAPI
        self.processDocument = processDocument
        var ops: [String: JSONValue] = [:]
        for group in ["paths", "x-webhooks"] {
            for (_, item) in openAPI[group]?.objectValue ?? JSONObject() {
                for (_, op) in item.objectValue ?? JSONObject() {
                    if let id = op["operationId"]?.stringValue { ops[id] = op }
                }
            }
        }
        operations = ops
    }

    // MARK: Texts

    /// The text of an operation (nil when no operation has that id).
    public func texts(operation id: String) -> [String]? {
        guard let op = operations[id] else { return nil }
        var t: [String] = []
        func add(_ v: JSONValue?, _ keys: [String] = ["summary", "description"]) {
            for k in keys { if let s = v?[k]?.stringValue { t.append(s) } }
        }
        add(op)
        for p in op["parameters"]?.arrayValue ?? [] {
            let p = resolve(p)
            add(p, ["description"])
            add(resolve(p["schema"] ?? .null), ["description"])
        }
        add(op["requestBody"].map(resolve), ["description"])
        for (_, r) in op["responses"]?.objectValue ?? JSONObject() { add(resolve(r), ["description"]) }
        for scope in scopes(of: op) {
            for (_, scheme) in document["components"]?["securitySchemes"]?.objectValue ?? JSONObject() {
                for (_, flow) in scheme["flows"]?.objectValue ?? JSONObject() {
                    if let s = flow["scopes"]?[scope]?.stringValue { t.append(s) }
                }
            }
        }
        return t
    }

    /// The OAuth scopes an operation's `security` lists.
    func scopes(of op: JSONValue) -> [String] {
        (op["security"]?.arrayValue ?? []).flatMap { req in
            (req.objectValue ?? JSONObject()).flatMap { $0.value.arrayValue?.compactMap(\.stringValue) ?? [] }
        }
    }

    /// The text of a schema or one of its properties, and whether the property is required; or why it is not there.
    public func texts(schema name: String, property: String?) -> Result<(texts: [String], required: Bool), SourceProblem> {
        guard let root = document["components"]?["schemas"]?[name] else {
            let hint = suggestion(for: name, among: (document["components"]?["schemas"]?.objectValue ?? JSONObject()).keys)
            return .failure(SourceProblem("schema '\(name)' is not in the OpenAPI's components/schemas" + (hint.map { " (did you mean '\($0)'?)" } ?? "")))
        }
        func own(_ v: JSONValue) -> [String] { ["title", "description"].compactMap { v[$0]?.stringValue } }
        guard let property else { return .success((own(root) + own(resolve(root)), false)) }
        var current = root
        var trail = name
        var required = false
        for segment in property.split(separator: ".").map(String.init) {
            var object = resolve(current)
            if object["properties"] == nil, let items = object["items"] { object = resolve(items) }
            let (props, req) = members(of: object)
            guard let next = props[segment] else {
                let hint = suggestion(for: segment, among: props.keys).map { " (did you mean '\($0)'?)" } ?? ""
                return .failure(SourceProblem("schema \(trail) has no property '\(segment)'\(hint)"
                                              + (props.isEmpty ? "" : "; its properties: " + props.keys.sorted().joined(separator: ", "))))
            }
            required = req.contains(segment)
            current = next
            trail += "." + segment
        }
        return .success((own(current) + own(resolve(current)), required))
    }

    /// A schema's properties and required names, its `allOf` members' included.
    func members(of schema: JSONValue, depth: Int = 0) -> (JSONObject, Set<String>) {
        var props = schema["properties"]?.objectValue ?? JSONObject()
        var req = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        if depth < 8 {
            for part in schema["allOf"]?.arrayValue ?? [] {
                let (p, r) = members(of: resolve(part), depth: depth + 1)
                for (k, v) in p where props[k] == nil { props[k] = v }
                req.formUnion(r)
            }
        }
        return (props, req)
    }

    /// The texts of every section with this heading (empty when there is none).
    public func texts(section title: String) -> [String] {
        proseDocuments.flatMap { sections(of: $0).filter { $0.title == title }.map(\.text) }
    }

    /// Every section heading of the spec's prose, for messages.
    public var sectionTitles: [String] { proseDocuments.flatMap { sections(of: $0).map(\.title) } }

    /// `info.description` and each security scheme's description.
    var proseDocuments: [String] {
        [document["info"]?["description"]?.stringValue].compactMap { $0 }
            + (document["components"]?["securitySchemes"]?.objectValue ?? JSONObject()).compactMap { $0.value["description"]?.stringValue }
    }

    /// The Markdown sections of a text: each heading's title and its text up to the next heading of its level or higher.
    func sections(of text: String) -> [(title: String, text: String)] {
        let lines = text.components(separatedBy: "\n")
        var heads: [(line: Int, level: Int, title: String)] = []
        var fenced = false
        for (i, l) in lines.enumerated() {
            if l.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced else { continue }
            let level = l.prefix { $0 == "#" }.count
            if (1...6).contains(level), l.dropFirst(level).first == " " {
                heads.append((i, level, l.dropFirst(level).trimmingCharacters(in: .whitespaces)))
            }
        }
        return heads.enumerated().map { (k, h) in
            let end = heads[(k + 1)...].first { $0.level <= h.level }?.line ?? lines.count
            return (h.title, lines[h.line..<end].joined(separator: "\n"))
        }
    }

    /// Follows `$ref`s within the document.
    func resolve(_ v: JSONValue) -> JSONValue {
        var v = v
        for _ in 0..<16 {
            guard let ref = v["$ref"]?.stringValue, ref.hasPrefix("#/") else { return v }
            var target: JSONValue? = document
            for part in ref.dropFirst(2).split(separator: "/") {
                target = target?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
            }
            guard let t = target else { return v }
            v = t
        }
        return v
    }

    // MARK: Checks

    /// Why a citation is not real, or nil when what it names exists and its quote occurs in that text verbatim.
    public func problem(_ c: SpecCitation) -> SourceProblem? {
        let texts: [String]
        let what: String
        switch c.target {
        case .operation(let id):
            guard let t = self.texts(operation: id) else {
                let hint = suggestion(for: id, among: operations.keys).map { " (did you mean '\($0)'?)" } ?? ""
                return SourceProblem("operation '\(id)' is not in the OpenAPI: no operationId in paths or x-webhooks\(hint)", key: "operation")
            }
            if let s = c.scope {
                let have = scopes(of: operations[id]!)
                if !have.contains(s) {
                    return SourceProblem("operation \(id) does not require scope '\(s)' (its security lists: \(have.isEmpty ? "none" : have.joined(separator: ", ")))", key: "scope")
                }
            }
            texts = t
            what = "operation \(id)'s summary and descriptions"
        case .schema(let name, let property):
            switch self.texts(schema: name, property: property) {
            case .failure(var p): p.key = property == nil ? "schema" : "property"; return p
            case .success(let (t, required)):
                if c.required && !required {
                    return SourceProblem("schema \(name) does not list '\(property!.split(separator: ".").last!)' as required", key: "required")
                }
                texts = t
                what = "the description of schema \(name)" + (property.map { "." + $0 } ?? "")
            }
        case .section(let title):
            let t = self.texts(section: title)
            if t.isEmpty {
                let hint = suggestion(for: title, among: sectionTitles).map { " (did you mean '\($0)'?)" } ?? ""
                return SourceProblem("no section '\(title)' in the OpenAPI's prose (info.description, security schemes)\(hint)", key: "section")
            }
            texts = t
            what = "section '\(title)'"
        }
        if texts.contains(where: { $0.contains(c.quote) }) { return nil }
        return SourceProblem("the quote does not occur verbatim in \(what): \"\(c.quote)\"", key: "quote")
    }

    /// Why a quote of the process document is not in it, or nil (also nil when the document was not given).
    public func problem(process quote: String) -> SourceProblem? {
        guard let doc = processDocument else { return nil }
        return doc.contains(quote) ? nil : SourceProblem("the quote does not occur verbatim in the process document: \"\(quote)\"", key: "process")
    }

    /// Every problem of a checklist's sources, each with its record and the JSON path of the offending value.
    public func problems(in checklist: Checklist) -> [DataError] {
        var out: [DataError] = []
        func check(_ s: RuleSource?, _ record: String?) {
            guard let s else { return }
            for c in s.spec {
                if let p = problem(c) { out.append(DataError(path: c.at + "." + p.key, recordId: record, message: p.message)) }
            }
            if let q = s.process, let p = problem(process: q) { out.append(DataError(path: s.at + ".process", recordId: record, message: p.message)) }
        }
        for p in checklist.policies { check(p, nil) }
        for r in checklist.records {
            check(r.source, r.id)
            for s in r.steps { for f in s.webhook?.match ?? [] { check(f.source, r.id) } }
            r.forEachExpectation { e in
                check(e.source, r.id)
                for f in e.fieldAssertions { check(f.source, r.id) }
            }
        }
        return out
    }
}

/// What is wrong with a citation, and which of its keys (`quote`, `operation` …) is wrong.
public struct SourceProblem: Error, Sendable, CustomStringConvertible {
    /// The message.
    public var message: String
    /// The citation key it is about.
    public var key: String
    init(_ message: String, key: String = "quote") { self.message = message; self.key = key }
    public var description: String { message }
}

extension Record {
    /// Every expectation, the alternatives of an `anyOf` included, in checklist order.
    public func forEachExpectation(_ body: (Expectation) -> Void) {
        func walk(_ e: Expectation) {
            body(e)
            if case .anyOf(let a) = e { a.of.forEach(walk) }
        }
        expect.forEach(walk)
    }
}

extension Expectation {
    /// The expectation's own field assertions (not those of an `anyOf`'s alternatives).
    public var fieldAssertions: [FieldAssertion] {
        switch self {
        case .request(let r): return r.fields
        case .sequence(let s): return s.fromState?.fields ?? []
        case .absent(let a): return a.unless
        case .ack, .anyOf, .token: return []
        }
    }
}
