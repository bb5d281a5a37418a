/// One departure from the OpenAPI description in a log, with the side that made it.
public struct SpecFinding: Sendable, Equatable {
    /// Who departed from the spec: Otter (a webhook it sent, an answer it gave) or the partner (a call it made).
    public enum Side: String, Sendable { case otter, partner }
    /// Who departed.
    public var side: Side
    /// The log line (`seq`) of the exchange.
    public var line: Int
    /// The exchange: `webhook orders.new_order`, `POST /v1/orders → 200`, `POST /v1/orders (request)`.
    public var exchange: String
    /// What is not as the spec says.
    public var problem: String
    /// Creates a finding.
    public init(side: Side, line: Int, exchange: String, problem: String) {
        self.side = side; self.line = line; self.exchange = exchange; self.problem = problem
    }
    /// How many findings a result keeps (the count goes on): enough to read, bounded for a long session.
    public static let kept = 200
    /// `exchange: problem`.
    public var text: String { "\(exchange): \(problem)" }
}

/// Whether each side of a log said what the spec says it says, exchange by exchange, as Stoplight Prism's validation
/// proxy checks traffic:
/// - Otter's side: every webhook valid against its webhook's schema, and every answer to the partner's calls a status
///   the operation documents, with a body valid against that status's schema, or no body where the spec documents none;
/// - the partner's side: every call to an operation of the spec, with a request body valid against its schema.
public enum SpecConformance {
    /// Otter's side of a log (the harness's own, in a run), one line per departure,
    /// `POST /v1/orders → 200: $.storeId: expected string …`; empty when all is as specified.
    ///
    /// Statuses the spec's general sections allow for any operation are not departures: 429 (its rate-limiting
    /// guide) and 5xx (its "5XX Server-Side Errors"); nor are answers to calls no operation serves (404/405).
    public static func problems(in entries: [LogEntry], spec: OpenAPISpec) -> [String] {
        entries.flatMap { findings(in: $0, spec: spec) }.filter { $0.side == .otter }.map(\.text)
    }

    /// The departures of one exchange, of both sides.
    public static func findings(in e: LogEntry, spec: OpenAPISpec) -> [SpecFinding] {
        var out: [SpecFinding] = []
        func otter(_ exchange: String, _ problem: String) { out.append(SpecFinding(side: .otter, line: e.seq, exchange: exchange, problem: problem)) }
        func partner(_ exchange: String, _ problem: String) { out.append(SpecFinding(side: .partner, line: e.seq, exchange: exchange, problem: problem)) }
        switch e.kind {
        case .webhook:
            guard let body = e.request?.json else { otter("line \(e.seq)", "webhook body is not JSON"); return out }
            guard let type = body["eventType"]?.stringValue, let hook = spec.webhook(eventType: type) else {
                otter("webhook \(body["eventType"]?.serialized() ?? "without eventType")", "not a webhook of the spec"); return out
            }
            for v in spec.schemas.validate(body, against: hook.schema) { otter("webhook \(type)", v.description) }
        case .token, .callback:
            guard let request = e.request else { return out }
            guard let endpoint = spec.endpoints.endpoint(method: request.method, path: request.path) else {
                partner("\(request.method) \(request.path)", "no operation of the spec serves this method and path"); return out
            }
            if let schema = endpoint.bodySchema, (endpoint.bodyContentType ?? "application/json").contains("json"), !request.body.isEmpty, request.truncated == nil {
                if let json = request.json {
                    for v in spec.schemas.validate(json, against: schema) { partner("\(endpoint.label) (request)", v.description) }
                } else if (request.header("Content-Type") ?? "").lowercased().contains("json") {
                    partner("\(endpoint.label) (request)", "the request body is not JSON, the spec documents \(schema)")
                }
            }
            // No answer (the upstream failed: the proxy's own 502/504) is no answer of Otter's.
            guard let response = e.response, e.error == nil else { return out }
            let status = response.status, label = "\(endpoint.label) → \(status)"
            if status == 429 || status >= 500 { return out }
            guard let documented = endpoint.response(for: status) else {
                otter(label, "not a status the spec documents for \(endpoint.operationId) (\(endpoint.responses.map(\.status).joined(separator: ", ")))")
                return out
            }
            guard let schema = documented.schema else {
                if !response.body.isEmpty { otter(label, "the spec documents no body, the answer had \(response.body.utf8.count) bytes") }
                return out
            }
            guard let json = response.json else { otter(label, "the answer is not JSON, the spec documents \(schema)"); return out }
            for v in spec.schemas.validate(json, against: schema) { otter(label, v.description) }
        case .action, .run, .end, .repeats, .harness:
            break
        }
        return out
    }
}
