import Foundation

/// JSON Schema (draft 2020-12 subset) validator.
///
/// Built from a document whose `$defs` (or `definitions`) holds named schemas; local `$ref`s
/// (`#/$defs/Name`, nested pointers such as `#/$defs/A/properties/b`) are resolved when the schema holding them is
/// compiled. Supported keywords: type, properties, required, additionalProperties, patternProperties, items,
/// prefixItems, enum, const, pattern, minLength, maxLength, minimum, maximum, exclusiveMinimum,
/// exclusiveMaximum (number, or OpenAPI 3.0 boolean form), multipleOf, minItems, maxItems, uniqueItems,
/// minProperties, maxProperties, allOf, anyOf, oneOf, not, $ref, format (date-time, date, uuid, email,
/// uri) and OpenAPI 3.0 `nullable`. Other keywords are ignored as annotations.
///
/// `init(document:)` compiles the whole document at once and throws the first mistake in it. `init(lazy:)` compiles
/// nothing up front: each named schema (with what it refers to) is compiled the first time it is used, once, however
/// many threads ask at the same time; `prepare(_:)` and `prepareAll()` compile ahead and throw what `init(document:)`
/// would. A lazily compiled schema validates exactly as an eagerly compiled one.
public struct JSONSchemaValidator: Sendable {
    /// Most violations reported by one `validate` call.
    public static let maxViolations = 50

    let store: SchemaStore

    /// Compiles `document`; a malformed schema throws with the JSON path of the offending part.
    public init(document: JSONValue) throws(JSONSchemaError) {
        store = SchemaStore(document: document)
        try prepareAll()
    }

    /// Reads which schemas `document` names without compiling any; only a `$defs` (or `definitions`) that is not an
    /// object throws here.
    public init(lazy document: JSONValue) throws(JSONSchemaError) {
        store = SchemaStore(document: document)
        if let e = store.containerError { throw e }
    }

    /// The names of the schemas in `$defs` (and `definitions`), sorted.
    public var schemaNames: [String] { store.names }

    /// Whether the document names a schema `name` (without compiling it).
    public func hasSchema(_ name: String) -> Bool { store.definitions[name] != nil }

    /// Compiles the named schemas now (unknown names are skipped), throwing the first mistake in them.
    public func prepare(_ names: some Sequence<String>) throws(JSONSchemaError) {
        for name in names where store.definitions[name] != nil { _ = try store.node(named: name).get() }
    }

    /// Compiles the whole document now, in the order `init(document:)` does, throwing the first mistake.
    public func prepareAll() throws(JSONSchemaError) { try store.compileAll() }

    /// The names compiled so far, sorted.
    public var compiledSchemaNames: [String] { store.compiledNames }

    /// Validates `value` against the named schema; an unknown name yields one violation saying so, and a schema that
    /// cannot be compiled one violation saying why.
    public func validate(_ value: JSONValue, against name: String) -> [SchemaViolation] {
        guard store.definitions[name] != nil else {
            return [SchemaViolation(path: "$", message: "unknown schema '\(name)'")]
        }
        switch store.node(named: name) {
        case .success(let (nodes, id)): return Self.run(nodes, id, value)
        case .failure(let e): return [SchemaViolation(path: "$", message: "schema '\(name)' cannot be compiled: \(e)")]
        }
    }

    /// Validates `value` against the document root itself.
    public func validate(_ value: JSONValue) -> [SchemaViolation] {
        switch store.rootNode() {
        case .success(let (nodes, id)): return Self.run(nodes, id, value)
        case .failure(let e): return [SchemaViolation(path: "$", message: "the schema cannot be compiled: \(e)")]
        }
    }

    /// True if `value` satisfies the named schema (false for an unknown name).
    public func isValid(_ value: JSONValue, against name: String) -> Bool {
        validate(value, against: name).isEmpty
    }

    private static func run(_ nodes: [SchemaNode], _ node: Int, _ value: JSONValue) -> [SchemaViolation] {
        var ev = SchemaEvaluator(nodes: nodes, cap: maxViolations)
        ev.validate(node, value, refChain: [])
        return ev.finish()
    }
}

/// The compiled schemas of one document, compiled on first use under a lock; shared by every copy of a validator.
/// A compilation that fails leaves nothing behind (a later one that needs the same part fails the same way).
final class SchemaStore: @unchecked Sendable {
    /// Name → the pointer it is compiled from (`$defs` wins over `definitions` on a name in both).
    let definitions: [String: [String]]
    /// `definitions`' names, sorted.
    let names: [String]
    private let document: JSONValue
    private let lock = NSLock()
    private var compiler: SchemaCompiler
    private var named: [String: Int] = [:]
    private var failed: [String: JSONSchemaError] = [:]
    private var root: Result<Int, JSONSchemaError>?
    private var all: Result<Void, JSONSchemaError>?
    /// How many compilations ran (one per name asked for the first time, one for the root, one for `compileAll`).
    private(set) var compilations = 0

    /// Why `document`'s `$defs` (or `definitions`) cannot hold schemas, when it cannot.
    let containerError: JSONSchemaError?

    init(document: JSONValue) {
        self.document = document
        compiler = SchemaCompiler(root: document)
        var definitions: [String: [String]] = [:]
        var containerError: JSONSchemaError?
        for container in ["definitions", "$defs"] {  // "$defs" wins on a name in both
            guard let defs = document[container] else { continue }
            guard case .object(let o) = defs else {
                containerError = containerError ?? Self.notSchemas(container)
                continue
            }
            for (name, _) in o { definitions[name] = [container, name] }
        }
        self.definitions = definitions
        self.containerError = containerError
        names = definitions.keys.sorted()
    }

    static func notSchemas(_ container: String) -> JSONSchemaError {
        JSONSchemaError(path: SchemaCompiler.pathString([container]), message: "expected an object of schemas")
    }

    var compiledNames: [String] {
        lock.lock(); defer { lock.unlock() }
        return named.keys.sorted()
    }

    /// Runs one compilation: on failure, everything it added is taken back.
    private func transaction<T>(_ body: (inout SchemaCompiler) throws(JSONSchemaError) -> T) -> Result<T, JSONSchemaError> {
        compilations += 1
        let mark = compiler.nodes.count
        do {
            let value = try body(&compiler)
            try compiler.resolveRefs()
            return .success(value)
        } catch {
            compiler.rollBack(to: mark)
            return .failure(error)
        }
    }

    /// The node table and the compiled node of a defined name, compiling it on first use.
    func node(named name: String) -> Result<([SchemaNode], Int), JSONSchemaError> {
        lock.lock(); defer { lock.unlock() }
        if let id = named[name] { return .success((compiler.nodes, id)) }
        if let e = failed[name] { return .failure(e) }
        guard let pointer = definitions[name], let schema = document[pointer[0]]?[pointer[1]] else {
            return .failure(JSONSchemaError(path: "$", message: "unknown schema '\(name)'"))
        }
        switch transaction({ (c: inout SchemaCompiler) throws(JSONSchemaError) in try c.compile(schema, pointer: pointer) }) {
        case .success(let id):
            named[name] = id
            return .success((compiler.nodes, id))
        case .failure(let e):
            failed[name] = e
            return .failure(e)
        }
    }

    /// The node table and the document root's node.
    func rootNode() -> Result<([SchemaNode], Int), JSONSchemaError> {
        lock.lock(); defer { lock.unlock() }
        if root == nil {
            root = transaction { (c: inout SchemaCompiler) throws(JSONSchemaError) in try c.compile(document, pointer: []) }
        }
        return root!.map { (compiler.nodes, $0) }
    }

    /// Compiles the root, then every definition in document order, then the references: the first mistake throws.
    func compileAll() throws(JSONSchemaError) {
        lock.lock(); defer { lock.unlock() }
        if all == nil {
            let document = self.document, definitions = self.definitions
            var ids: [String: Int] = [:]
            let result = transaction { (c: inout SchemaCompiler) throws(JSONSchemaError) -> Int in
                let root = try c.compile(document, pointer: [])
                for container in ["definitions", "$defs"] {
                    guard let defs = document[container] else { continue }
                    guard case .object(let o) = defs else { throw SchemaStore.notSchemas(container) }
                    for (name, schema) in o {
                        let id = try c.compile(schema, pointer: [container, name])
                        if definitions[name] == [container, name] { ids[name] = id }
                    }
                }
                return root
            }
            switch result {
            case .success(let r):
                root = .success(r)
                named.merge(ids) { _, new in new }
                failed = [:]
                all = .success(())
            case .failure(let e):
                all = .failure(e)
            }
        }
        try all!.get()
    }
}

// MARK: - Compiled form

/// Bit set of JSON Schema type names.
struct SchemaTypes: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let null = SchemaTypes(rawValue: 1)
    static let boolean = SchemaTypes(rawValue: 2)
    static let number = SchemaTypes(rawValue: 4)
    static let integer = SchemaTypes(rawValue: 8)
    static let string = SchemaTypes(rawValue: 16)
    static let array = SchemaTypes(rawValue: 32)
    static let object = SchemaTypes(rawValue: 64)

    static let names: [(String, SchemaTypes)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("integer", .integer), ("string", .string),
    ]

    var description: String {
        Self.names.filter { contains($0.1) }.map(\.0).joined(separator: " or ")
    }

    func admits(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return contains(.null)
        case .bool: return contains(.boolean)
        case .number(let d): return contains(.number) || (contains(.integer) && d.isFinite && d == d.rounded())
        case .string: return contains(.string)
        case .array: return contains(.array)
        case .object: return contains(.object)
        }
    }
}

/// One compiled (sub)schema; children are indices into the validator's node table.
struct SchemaNode: Sendable {
    var isFalse = false
    var pointer = ""
    var types: SchemaTypes?
    var nullable = false
    var ref: Int?
    var constValue: JSONValue?
    var enumValues: [JSONValue]?
    var minLength: Int?
    var maxLength: Int?
    var pattern: RegexPattern?
    var format: SchemaFormat?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var multipleOf: Double?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    var prefixItems: [Int] = []
    var items: Int?
    var required: [String] = []
    var minProperties: Int?
    var maxProperties: Int?
    var properties: [String: Int] = [:]
    var patternProperties: [(RegexPattern, Int)] = []
    var additionalProperties: Int?
    var allOf: [Int] = []
    var anyOf: [Int] = []
    var oneOf: [Int] = []
    var not: Int?
}

// MARK: - Compiler

struct SchemaCompiler {
    let root: JSONValue
    var nodes: [SchemaNode] = []
    var byPointer: [String: Int] = [:]
    var pendingRefs: [(node: Int, ref: String, at: [String])] = []

    init(root: JSONValue) { self.root = root }

    static func pathString(_ tokens: [String]) -> String {
        var s = "$"
        for t in tokens {
            if let n = Int(t), n >= 0, String(n) == t {
                s += "[\(n)]"
            } else {
                s += JSONPath.memberSuffix(t)
            }
        }
        return s
    }

    /// `#/a/b~1c`: the JSON pointer (RFC 6901) of `tokens` as a URI fragment, `~` written `~0` and `/` written `~1`.
    static func pointerString(_ tokens: [String]) -> String {
        var s = "#"
        for t in tokens {
            s += "/"
            s += escapePointerToken(t)
        }
        return s
    }

    /// One reference token escaped for a JSON pointer: `~` → `~0`, `/` → `~1` (the token itself when it has neither).
    static func escapePointerToken(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count + 4)
        for b in token.utf8 {
            switch b {
            case UInt8(ascii: "~"): out += [UInt8(ascii: "~"), UInt8(ascii: "0")]
            case UInt8(ascii: "/"): out += [UInt8(ascii: "~"), UInt8(ascii: "1")]
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One reference token read back: `~1` → `/`, `~0` → `~`; any other `~` is kept as it is.
    static func unescapePointerToken<S: StringProtocol>(_ token: S) -> String {
        guard token.utf8.contains(UInt8(ascii: "~")) else { return String(token) }
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        var tilde = false
        for b in token.utf8 {
            if tilde {
                tilde = false
                switch b {
                case UInt8(ascii: "1"): out.append(UInt8(ascii: "/")); continue
                case UInt8(ascii: "0"): out.append(UInt8(ascii: "~")); continue
                default: out.append(UInt8(ascii: "~"))
                }
            }
            if b == UInt8(ascii: "~") { tilde = true } else { out.append(b) }
        }
        if tilde { out.append(UInt8(ascii: "~")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `%XX` escapes decoded, as a URI fragment is; nil when an escape is not two hex digits or the bytes are not UTF-8.
    static func percentDecoded(_ s: String) -> String? {
        guard s.utf8.contains(UInt8(ascii: "%")) else { return s }
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Takes back every node compiled since the table had `count` nodes (a compilation that failed).
    mutating func rollBack(to count: Int) {
        pendingRefs.removeAll()
        guard nodes.count > count else { return }
        nodes.removeSubrange(count...)
        byPointer = byPointer.filter { $0.value < count }
    }

    private func fail(_ at: [String], _ message: String) -> JSONSchemaError {
        JSONSchemaError(path: Self.pathString(at), message: message)
    }

    /// Compiles the schema at `pointer` (tokens from the document root), memoized by pointer.
    mutating func compile(_ schema: JSONValue, pointer: [String]) throws(JSONSchemaError) -> Int {
        let key = Self.pointerString(pointer)
        if let done = byPointer[key] { return done }
        guard pointer.count < 400 else { throw fail(pointer, "schema nesting too deep") }
        let id = nodes.count
        nodes.append(SchemaNode(pointer: key))
        byPointer[key] = id
        var node = SchemaNode(pointer: key)
        switch schema {
        case .bool(let b):
            node.isFalse = !b
        case .object(let o):
            try compileKeywords(o, pointer: pointer, into: &node, nodeID: id)
        default:
            throw fail(pointer, "a schema must be an object or a boolean, found \(schema.typeName)")
        }
        nodes[id] = node
        return id
    }

    private func nonNegativeInt(_ v: JSONValue, _ at: [String]) throws(JSONSchemaError) -> Int {
        guard let n = v.intValue, n >= 0 else { throw fail(at, "expected a non-negative integer") }
        return n
    }

    private func number(_ v: JSONValue, _ at: [String]) throws(JSONSchemaError) -> Double {
        guard let d = v.doubleValue else { throw fail(at, "expected a number, found \(v.typeName)") }
        return d
    }

    private func regex(_ v: JSONValue, _ at: [String]) throws(JSONSchemaError) -> RegexPattern {
        guard let s = v.stringValue else { throw fail(at, "expected a regular expression string") }
        return try regex(s, at)
    }

    private func regex(_ s: String, _ at: [String]) throws(JSONSchemaError) -> RegexPattern {
        guard let r = RegexPattern(s) else { throw fail(at, "invalid regular expression '\(s)'") }
        return r
    }

    private mutating func schemaArray(_ v: JSONValue, _ at: [String]) throws(JSONSchemaError) -> [Int] {
        guard case .array(let a) = v, !a.isEmpty else { throw fail(at, "expected a non-empty array of schemas") }
        var out: [Int] = []
        for (k, s) in a.enumerated() { out.append(try compile(s, pointer: at + [String(k)])) }
        return out
    }

    private mutating func compileKeywords(_ o: JSONObject, pointer: [String], into node: inout SchemaNode, nodeID: Int)
        throws(JSONSchemaError)
    {
        var exclusiveMinFlag = false
        var exclusiveMaxFlag = false
        for (keyword, v) in o {
            let at = pointer + [keyword]
            switch keyword {
            case "type":
                var set: SchemaTypes = []
                let names: [JSONValue]
                switch v {
                case .string: names = [v]
                case .array(let a) where !a.isEmpty: names = a
                default: throw fail(at, "expected a type name or a non-empty array of type names")
                }
                for (k, n) in names.enumerated() {
                    guard let s = n.stringValue, let t = SchemaTypes.names.first(where: { $0.0 == s }) else {
                        let where_ = names.count == 1 && v.stringValue != nil ? at : at + [String(k)]
                        throw fail(where_, "unknown type \(n.serialized())")
                    }
                    set.insert(t.1)
                }
                node.types = set
            case "nullable":
                guard let b = v.boolValue else { throw fail(at, "expected a boolean") }
                node.nullable = b
            case "$ref":
                guard let s = v.stringValue else { throw fail(at, "expected a string") }
                guard s.hasPrefix("#") else { throw fail(at, "only local $refs (\"#/...\") are supported, found '\(s)'") }
                pendingRefs.append((nodeID, s, at))
            case "const":
                node.constValue = v
            case "enum":
                guard case .array(let a) = v else { throw fail(at, "expected an array") }
                node.enumValues = a
            case "minLength": node.minLength = try nonNegativeInt(v, at)
            case "maxLength": node.maxLength = try nonNegativeInt(v, at)
            case "pattern": node.pattern = try regex(v, at)
            case "format":
                guard let s = v.stringValue else { throw fail(at, "expected a string") }
                node.format = SchemaFormat(s)
            case "minimum": node.minimum = try number(v, at)
            case "maximum": node.maximum = try number(v, at)
            case "exclusiveMinimum":
                if let b = v.boolValue { exclusiveMinFlag = b } else { node.exclusiveMinimum = try number(v, at) }
            case "exclusiveMaximum":
                if let b = v.boolValue { exclusiveMaxFlag = b } else { node.exclusiveMaximum = try number(v, at) }
            case "multipleOf":
                let d = try number(v, at)
                guard d > 0 else { throw fail(at, "expected a number greater than 0") }
                node.multipleOf = d
            case "minItems": node.minItems = try nonNegativeInt(v, at)
            case "maxItems": node.maxItems = try nonNegativeInt(v, at)
            case "uniqueItems":
                guard let b = v.boolValue else { throw fail(at, "expected a boolean") }
                node.uniqueItems = b
            case "prefixItems":
                node.prefixItems = try schemaArray(v, at)
            case "items":
                if case .array = v {  // draft 2019 tuple form
                    node.prefixItems = try schemaArray(v, at)
                } else {
                    node.items = try compile(v, pointer: at)
                }
            case "required":
                guard case .array(let a) = v else { throw fail(at, "expected an array of property names") }
                for (k, n) in a.enumerated() {
                    guard let s = n.stringValue else { throw fail(at + [String(k)], "expected a string") }
                    if !node.required.contains(s) { node.required.append(s) }
                }
            case "minProperties": node.minProperties = try nonNegativeInt(v, at)
            case "maxProperties": node.maxProperties = try nonNegativeInt(v, at)
            case "properties":
                guard case .object(let props) = v else { throw fail(at, "expected an object of schemas") }
                for (name, s) in props { node.properties[name] = try compile(s, pointer: at + [name]) }
            case "patternProperties":
                guard case .object(let props) = v else { throw fail(at, "expected an object of schemas") }
                for (p, s) in props {
                    let r = try regex(p, at + [p])
                    node.patternProperties.append((r, try compile(s, pointer: at + [p])))
                }
            case "additionalProperties":
                node.additionalProperties = try compile(v, pointer: at)
            case "allOf": node.allOf = try schemaArray(v, at)
            case "anyOf": node.anyOf = try schemaArray(v, at)
            case "oneOf": node.oneOf = try schemaArray(v, at)
            case "not": node.not = try compile(v, pointer: at)
            case "$defs", "definitions":
                // Compiled on demand: when named (document root) or referenced.
                guard case .object = v else { throw fail(at, "expected an object of schemas") }
            default:
                break  // annotations (title, description, default, examples, $comment, x-*, …) and unsupported keywords
            }
        }
        if exclusiveMinFlag {
            guard let m = node.minimum else { throw fail(pointer + ["exclusiveMinimum"], "boolean exclusiveMinimum needs minimum") }
            node.exclusiveMinimum = m
            node.minimum = nil
        }
        if exclusiveMaxFlag {
            guard let m = node.maximum else { throw fail(pointer + ["exclusiveMaximum"], "boolean exclusiveMaximum needs maximum") }
            node.exclusiveMaximum = m
            node.maximum = nil
        }
    }

    /// Decodes a `#/a/b~1c` fragment into tokens (percent-decoding, then `~1`→`/`, `~0`→`~`).
    static func pointerTokens(_ ref: String) -> [String]? {
        var fragment = String(ref.dropFirst())
        if let decoded = percentDecoded(fragment) { fragment = decoded }
        if fragment.isEmpty { return [] }
        guard fragment.hasPrefix("/") else { return nil }
        return fragment.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { unescapePointerToken($0) }
    }

    mutating func resolveRefs() throws(JSONSchemaError) {
        while let (nodeID, ref, at) = pendingRefs.popLast() {
            guard let tokens = Self.pointerTokens(ref) else {
                throw fail(at, "unsupported $ref '\(ref)' (only JSON pointers like \"#/$defs/Name\")")
            }
            var target = root
            for t in tokens {
                switch target {
                case .object(let o):
                    guard let next = o[t] else { throw fail(at, "unresolvable $ref '\(ref)'") }
                    target = next
                case .array(let a):
                    guard let k = Int(t), k >= 0, k < a.count else { throw fail(at, "unresolvable $ref '\(ref)'") }
                    target = a[k]
                default:
                    throw fail(at, "unresolvable $ref '\(ref)'")
                }
            }
            nodes[nodeID].ref = try compile(target, pointer: tokens)
        }
    }
}

// MARK: - Evaluation

/// A step in the instance path; `ordinal` orders violations in document order.
private enum PathStep {
    case key(String, ordinal: Int)
    case index(Int)

    var ordinal: Int {
        switch self {
        case .key(_, let o): return o
        case .index(let i): return i
        }
    }
}

struct SchemaEvaluator {
    let nodes: [SchemaNode]
    let cap: Int
    private var path: [PathStep] = []
    private var found: [(order: [Int], seq: Int, violation: SchemaViolation)] = []
    /// Path depth where a branch evaluation started, and whether the value's type failed right there.
    private var baseDepth = 0
    private var typeMismatchAtBase = false

    init(nodes: [SchemaNode], cap: Int) {
        self.nodes = nodes
        self.cap = cap
    }

    var count: Int { found.count }
    var isFull: Bool { found.count >= cap }

    /// The violations in document order (stable for equal locations).
    func finish() -> [SchemaViolation] {
        found.sorted { a, b in
            if a.order != b.order { return a.order.lexicographicallyPrecedes(b.order) }
            return a.seq < b.seq
        }.map(\.violation)
    }

    private var pathString: String {
        var s = "$"
        for step in path {
            switch step {
            case .key(let k, _): s += JSONPath.memberSuffix(k)
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    private mutating func report(_ message: String) {
        guard !isFull else { return }
        found.append((path.map(\.ordinal), found.count, SchemaViolation(path: pathString, message: message)))
    }

    private mutating func report(child: PathStep, _ message: String) {
        path.append(child)
        report(message)
        path.removeLast()
    }

    private static func show(_ v: JSONValue) -> String {
        let s = v.serialized()
        guard s.count > 60 else { return s }
        return String(s.prefix(57)) + "..."
    }

    private static func num(_ d: Double) -> String { JSONSerializer.format(d) }

    /// A sub-evaluation at the current path (for anyOf/oneOf/not branches).
    private func branch(_ node: Int, _ value: JSONValue, refChain: [Int]) -> SchemaEvaluator {
        var sub = SchemaEvaluator(nodes: nodes, cap: cap)
        sub.path = path
        sub.baseDepth = path.count
        sub.validate(node, value, refChain: refChain)
        return sub
    }

    /// Validates `value` against `nodes[id]`; `refChain` holds $ref targets entered since the last descent into a child value.
    mutating func validate(_ id: Int, _ value: JSONValue, refChain: [Int]) {
        if isFull { return }
        let node = nodes[id]
        if node.isFalse {
            report("no value is allowed here (schema is false)")
            return
        }
        if node.nullable, case .null = value { return }
        if let types = node.types {
            var allowed = types
            if node.nullable { allowed.insert(.null) }
            if !allowed.admits(value) {
                var found = value.typeName
                if allowed.contains(.integer), case .number = value { found = "number with a fraction" }
                report("expected \(allowed.description), found \(found)")
                if path.count == baseDepth { typeMismatchAtBase = true }
                return
            }
        }
        if let target = node.ref {
            if refChain.contains(target) || path.count > 1000 {
                report("circular $ref to \(nodes[target].pointer)")
            } else {
                validate(target, value, refChain: refChain + [target])
            }
        }
        if let c = node.constValue, c != value {
            report("expected constant \(Self.show(c)), found \(Self.show(value))")
        }
        if let e = node.enumValues, !e.contains(value) {
            let shown = e.prefix(8).map(Self.show).joined(separator: ", ")
            let more = e.count > 8 ? ", … (\(e.count - 8) more)" : ""
            report("\(Self.show(value)) is not one of \(shown)\(more)")
        }
        switch value {
        case .string(let s): checkString(node, s)
        case .number(let d): checkNumber(node, d)
        case .array(let a): checkArray(node, a)
        case .object(let o): checkObject(node, o)
        default: break
        }
        checkCombinators(node, value, refChain: refChain)
    }

    private mutating func checkString(_ node: SchemaNode, _ s: String) {
        if node.minLength != nil || node.maxLength != nil {
            let n = s.unicodeScalars.count
            if let m = node.minLength, n < m { report("expected at least \(m) characters, found \(n)") }
            if let m = node.maxLength, n > m { report("expected at most \(m) characters, found \(n)") }
        }
        if let p = node.pattern, !p.matches(s) { report("string does not match pattern '\(p.source)'") }
        if let f = node.format, !f.accepts(s) { report("not a valid \(f.label): \(Self.show(.string(s)))") }
    }

    private mutating func checkNumber(_ node: SchemaNode, _ d: Double) {
        if let m = node.minimum, !(d >= m) { report("expected a number >= \(Self.num(m)), found \(Self.num(d))") }
        if let m = node.exclusiveMinimum, !(d > m) { report("expected a number > \(Self.num(m)), found \(Self.num(d))") }
        if let m = node.maximum, !(d <= m) { report("expected a number <= \(Self.num(m)), found \(Self.num(d))") }
        if let m = node.exclusiveMaximum, !(d < m) { report("expected a number < \(Self.num(m)), found \(Self.num(d))") }
        if let m = node.multipleOf {
            let q = d / m
            if !q.isFinite || abs(q - q.rounded()) > 1e-9 * max(1, abs(q)) {
                report("expected a multiple of \(Self.num(m)), found \(Self.num(d))")
            }
        }
    }

    private mutating func checkArray(_ node: SchemaNode, _ a: [JSONValue]) {
        if let m = node.minItems, a.count < m { report("expected at least \(m) item\(m == 1 ? "" : "s"), found \(a.count)") }
        if let m = node.maxItems, a.count > m { report("expected at most \(m) item\(m == 1 ? "" : "s"), found \(a.count)") }
        if node.uniqueItems {
            var seen: [JSONValue: Int] = [:]
            for (k, v) in a.enumerated() {
                if let first = seen[v] {
                    report("items \(first) and \(k) are equal (uniqueItems)")
                    break
                }
                seen[v] = k
            }
        }
        guard !node.prefixItems.isEmpty || node.items != nil else { return }
        for (k, v) in a.enumerated() {
            if isFull { return }
            let schema = k < node.prefixItems.count ? node.prefixItems[k] : node.items
            guard let schema else { continue }
            path.append(.index(k))
            validate(schema, v, refChain: [])
            path.removeLast()
        }
    }

    private mutating func checkObject(_ node: SchemaNode, _ o: JSONObject) {
        for name in node.required where o[name] == nil {
            report("missing required property \(Self.show(.string(name)))")
        }
        if let m = node.minProperties, o.count < m {
            report("expected at least \(m) propert\(m == 1 ? "y" : "ies"), found \(o.count)")
        }
        if let m = node.maxProperties, o.count > m {
            report("expected at most \(m) propert\(m == 1 ? "y" : "ies"), found \(o.count)")
        }
        guard !node.properties.isEmpty || !node.patternProperties.isEmpty || node.additionalProperties != nil else { return }
        for (ordinal, (key, v)) in o.enumerated() {
            if isFull { return }
            let step = PathStep.key(key, ordinal: ordinal)
            var matched = false
            if let s = node.properties[key] {
                matched = true
                path.append(step)
                validate(s, v, refChain: [])
                path.removeLast()
            }
            for (r, s) in node.patternProperties where r.matches(key) {
                matched = true
                path.append(step)
                validate(s, v, refChain: [])
                path.removeLast()
            }
            if !matched, let s = node.additionalProperties {
                if nodes[s].isFalse {
                    report(child: step, "property not allowed (additionalProperties is false)")
                } else {
                    path.append(step)
                    validate(s, v, refChain: [])
                    path.removeLast()
                }
            }
        }
    }

    /// Lower is closer: violation count, with a type mismatch at the branch's own location counted as far.
    private func closeness(_ sub: SchemaEvaluator) -> Int {
        sub.typeMismatchAtBase ? 1_000_000 + sub.count : sub.count
    }

    private mutating func noneMatched(_ branches: [Int], _ value: JSONValue, refChain: [Int]) {
        var best: (score: Int, index: Int, violations: [SchemaViolation])?
        for (k, b) in branches.enumerated() {
            let sub = branch(b, value, refChain: refChain)
            let score = closeness(sub)
            if best == nil || score < best!.score { best = (score, k, sub.finish()) }
        }
        var message = "matches none of \(branches.count) alternative\(branches.count == 1 ? "" : "s")"
        if let best, let first = best.violations.first, branches.count > 1 {
            message += "; closest (#\(best.index + 1)): \(first)"
            if best.violations.count > 1 { message += " (+\(best.violations.count - 1) more)" }
        } else if let best, let first = best.violations.first {
            message += ": \(first)"
        }
        report(message)
    }

    private mutating func checkCombinators(_ node: SchemaNode, _ value: JSONValue, refChain: [Int]) {
        for s in node.allOf {
            if isFull { return }
            validate(s, value, refChain: refChain)
        }
        if !node.anyOf.isEmpty {
            let ok = node.anyOf.contains { branch($0, value, refChain: refChain).count == 0 }
            if !ok { noneMatched(node.anyOf, value, refChain: refChain) }
        }
        if !node.oneOf.isEmpty {
            let passing = node.oneOf.indices.filter { branch(node.oneOf[$0], value, refChain: refChain).count == 0 }
            if passing.isEmpty {
                noneMatched(node.oneOf, value, refChain: refChain)
            } else if passing.count > 1 {
                let which = passing.map { "#\($0 + 1)" }.joined(separator: ", ")
                report("matches \(passing.count) of \(node.oneOf.count) alternatives (\(which)); expected exactly one")
            }
        }
        if let n = node.not, branch(n, value, refChain: refChain).count == 0 {
            report("must not match the schema in 'not'")
        }
    }
}
