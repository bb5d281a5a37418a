import Foundation

/// The partner → Otter endpoints the harness knows, as the OpenAPI states them (`OpenAPISpec.endpoints`):
/// scope, required headers and query parameters, rate limit, body schema, documented answers.
public struct EndpointTable: Sendable {
    /// One documented answer of an operation.
    public struct Response: Sendable {
        /// The status as the spec writes it: `200`, `204`, `2XX`.
        public var status: String
        /// The numeric status, when the spec names one.
        public var code: Int? { Int(status) }
        /// The spec's description of the answer.
        public var description: String
        /// The body's schema (a name in `OpenAPISpec.schemaDocument`'s `$defs`), when the answer has a JSON body.
        public var schema: String?
        /// The spec's example body, when it gives one.
        public var example: JSONValue?
    }

    /// One endpoint.
    public struct Endpoint: Sendable {
        /// HTTP method.
        public var method: String
        /// Path template.
        public var path: PathTemplate
        /// The spec's operationId (`updateDeliveryStatus`).
        public var operationId: String
        /// The spec's summary line.
        public var summary: String
        /// Headers the call must carry besides Authorization.
        public var requiredHeaders: [String]
        /// Query parameters the call must carry.
        public var requiredQuery: [String]
        /// Query parameters the spec documents, required or not.
        public var query: [String]
        /// OAuth scope the token needs (nil: none).
        public var scope: String?
        /// Documented rate limit per minute, when any (the operation description's `RATE LIMIT: N per minute`).
        public var ratePerMinute: Int?
        /// Body schema name, when the call has a body.
        public var bodySchema: String?
        /// The body's media type (`application/json`, `application/x-www-form-urlencoded`).
        public var bodyContentType: String?
        /// Documented answers, in spec order.
        public var responses: [Response]

        /// Documented numeric answer statuses.
        public var answers: [Int] { responses.compactMap(\.code) }
        /// `POST /v1/orders`.
        public var label: String { "\(method) \(path.text)" }
        /// The documented success: the first 2xx the spec names.
        public var success: Response? { responses.first { ($0.code.map { (200..<300).contains($0) }) ?? ($0.status == "2XX") } }
        /// The documented answer for `status`, exact or by class (`4XX`).
        public func response(for status: Int) -> Response? {
            responses.first { $0.code == status } ?? responses.first { $0.status == "\(status / 100)XX" }
        }
    }

    /// All endpoints, in spec order.
    public var endpoints: [Endpoint] { didSet { index = Index(endpoints) } }
    /// The endpoints by method and segment count, for `endpoint(method:path:)`.
    private var index: Index

    /// Creates a table.
    public init(_ endpoints: [Endpoint] = []) { self.endpoints = endpoints; index = Index(endpoints) }

    /// The endpoint serving a concrete method and path; literal segments win over variables (among templates with
    /// as many literals, the first in spec order).
    ///
    /// This runs for every call of a log: the templates are indexed by method and segment count, each already in
    /// the order of preference, and an ASCII path is compared byte by byte, segment by segment, without copying or
    /// decoding it (a variable matches any non-empty segment, whatever its escapes decode to). A path with other
    /// characters is matched as Characters by `PathTemplate.match`, as it always was.
    public func endpoint(method: String, path: String) -> Endpoint? {
        let i = index.find(method: method, path: path) ?? index.slowFind(method: method, path: path, endpoints)
        return i < 0 ? nil : endpoints[i]
    }

    /// The table's templates compiled for matching bytes.
    private final class Index: Sendable {
        /// One template: its segments (literal bytes, or nil for a variable or `*`), literal count, spec position.
        struct Shape: Sendable { let literals: [[UInt8]?]; let matchesAll: Bool; let position: Int }
        /// Method → segment count → shapes, most literal segments first, then spec order; templates `*` are in
        /// every list of their method (and in `anyCount`).
        let byCount: [String: [Int: [Shape]]]
        let anyCount: [String: [Shape]]

        init(_ endpoints: [Endpoint]) {
            var all: [String: [Shape]] = [:]
            for (i, e) in endpoints.enumerated() {
                let lits: [[UInt8]?] = e.path.segments.map { if case .literal(let l) = $0 { return Array(l.utf8) } else { return nil } }
                all[e.method, default: []].append(Shape(literals: lits, matchesAll: e.path.matchesAll, position: i))
            }
            var byCount: [String: [Int: [Shape]]] = [:], anyCount: [String: [Shape]] = [:]
            for (m, shapes) in all {
                let ordered = shapes.sorted {
                    let a = $0.literals.count { $0 != nil }, b = $1.literals.count { $0 != nil }
                    return a != b ? a > b : $0.position < $1.position
                }
                let wild = ordered.filter(\.matchesAll)
                anyCount[m] = wild
                var counts: [Int: [Shape]] = [:]
                for s in ordered where !s.matchesAll { counts[s.literals.count, default: []].append(s) }
                for (n, list) in counts {
                    // A `*` template (no literals) comes after every template of the count with a literal, and
                    // before the others only by spec order.
                    counts[n] = (list + wild).sorted {
                        let a = $0.literals.count { $0 != nil }, b = $1.literals.count { $0 != nil }
                        return a != b ? a > b : $0.position < $1.position
                    }
                }
                byCount[m] = counts
            }
            self.byCount = byCount; self.anyCount = anyCount
        }

        /// The position of the endpoint for an ASCII path (-1: none), or nil when the path is not ASCII.
        func find(method: String, path: String) -> Int? {
            var path = path
            return path.withUTF8 { u -> Int? in
                for c in u where c >= 0x80 { return nil }
                guard u.first == 0x2F else { return anyCount[method]?.first?.position ?? -1 }
                // Segment boundaries after the first slash: segment k is bounds[k] ..< bounds[k + 1] - 1.
                var bounds: [Int] = [1]
                bounds.reserveCapacity(8)
                for k in 1..<u.count where u[k] == 0x2F { bounds.append(k + 1) }
                bounds.append(u.count + 1)
                let count = bounds.count - 1
                guard let shapes = byCount[method]?[count] else { return anyCount[method]?.first?.position ?? -1 }
                shapeLoop: for s in shapes {
                    if s.matchesAll { return s.position }
                    for (k, lit) in s.literals.enumerated() {
                        let from = bounds[k], to = bounds[k + 1] - 1
                        if let lit {
                            guard lit.count == to - from else { continue shapeLoop }
                            for j in 0..<lit.count where lit[j] != u[from + j] { continue shapeLoop }
                        } else if to == from {
                            continue shapeLoop
                        }
                    }
                    return s.position
                }
                return -1
            }
        }

        /// The position of the endpoint for any path, by `PathTemplate.match` (-1: none).
        func slowFind(method: String, path: String, _ endpoints: [Endpoint]) -> Int {
            var best: (Int, Int)?
            let parts = PathBytes.parts(path)
            for (i, e) in endpoints.enumerated() where e.method == method {
                let matched = parts.map { e.path.match(parts: $0, bound: [:]) } ?? e.path.match(path, bound: [:])
                guard matched != nil else { continue }
                let literals = e.path.segments.count { if case .literal = $0 { return true } else { return false } }
                if best == nil || literals > best!.1 { best = (i, literals) }
            }
            return best?.0 ?? -1
        }
    }

    /// The endpoint with this exact template.
    public func endpoint(method: String, template: PathTemplate) -> Endpoint? {
        endpoints.first { $0.method == method && $0.path.text == template.text }
    }
}
