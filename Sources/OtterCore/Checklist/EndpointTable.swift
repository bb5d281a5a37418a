import Foundation

/// The partner → Otter endpoints the harness knows: scope, required headers, rate limit, body schema, answers.
public struct EndpointTable: Sendable {
    /// One endpoint.
    public struct Endpoint: Sendable {
        /// HTTP method.
        public var method: String
        /// Path template.
        public var path: PathTemplate
        /// Headers the call must carry besides Authorization.
        public var requiredHeaders: [String]
        /// OAuth scope the token needs (nil: none).
        public var scope: String?
        /// Documented rate limit per minute, when any.
        public var ratePerMinute: Int?
        /// Body schema name, when any.
        public var bodySchema: String?
        /// Documented answer statuses.
        public var answers: [Int]
    }

    /// All endpoints, in file order.
    public var endpoints: [Endpoint]

    /// Decodes `checklists/endpoints.json`.
    public init(json: JSONValue) throws(DataError) {
        let root = JSONNode(json)
        _ = try root.object(allowed: ["version", "endpoints"])
        endpoints = try root.required("endpoints").array().map { n throws(DataError) in
            _ = try n.object(allowed: ["method", "path", "requiredHeaders", "scope", "ratePerMinute", "bodySchema", "answers"])
            return Endpoint(method: try parseMethod(try n.required("method")), path: try n.required("path").pathTemplate(),
                            requiredHeaders: try (n.child("requiredHeaders")?.array() ?? []).map { h throws(DataError) in try h.string() },
                            scope: n.child("scope").flatMap { $0.value.stringValue },
                            ratePerMinute: n.child("ratePerMinute").flatMap { $0.value.intValue },
                            bodySchema: n.child("bodySchema").flatMap { $0.value.stringValue },
                            answers: try (n.child("answers")?.array() ?? []).map { a throws(DataError) in try a.int() })
        }
    }

    /// Creates an empty table.
    public init() { endpoints = [] }

    /// The endpoint serving a concrete method and path; literal segments win over variables.
    public func endpoint(method: String, path: String) -> Endpoint? {
        var best: (Endpoint, Int)?
        for e in endpoints where e.method == method {
            guard e.path.match(path, bound: [:]) != nil else { continue }
            let literals = e.path.segments.filter { if case .literal = $0 { return true } else { return false } }.count
            if best == nil || literals > best!.1 { best = (e, literals) }
        }
        return best?.0
    }

    /// The endpoint with this exact template.
    public func endpoint(method: String, template: PathTemplate) -> Endpoint? {
        endpoints.first { $0.method == method && $0.path.text == template.text }
    }
}
