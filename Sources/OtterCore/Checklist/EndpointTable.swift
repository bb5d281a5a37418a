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
    public var endpoints: [Endpoint]

    /// Creates a table.
    public init(_ endpoints: [Endpoint] = []) { self.endpoints = endpoints }

    /// The endpoint serving a concrete method and path; literal segments win over variables.
    public func endpoint(method: String, path: String) -> Endpoint? {
        var best: (Endpoint, Int)?
        // The path is cut at its slashes once, not once per template (this runs for every call of a log).
        let parts = path.hasPrefix("/") ? path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() : nil
        for e in endpoints where e.method == method {
            let matched = parts.map { e.path.match(parts: $0, bound: [:]) } ?? e.path.match(path, bound: [:])
            guard matched != nil else { continue }
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
