/// Whether what Otter's side of a log said is what the spec says Otter says: every webhook valid against its
/// webhook's schema, and every answer to the partner's calls a status the operation documents, with a body valid
/// against that status's schema, or no body where the spec documents none. It judges the harness (the sandbox and
/// the webhooks it builds), not the partner: a partner can only be held to the spec if the harness keeps to it.
public enum SpecConformance {
    /// One line per departure, `POST /v1/orders → 200: $.storeId: expected string …`; empty when all is as specified.
    ///
    /// Statuses the spec's general sections allow for any operation are not departures: 429 (its rate-limiting
    /// guide) and 5xx (its "5XX Server-Side Errors"); nor are answers to calls no operation serves (404/405).
    public static func problems(in entries: [LogEntry], spec: OpenAPISpec) -> [String] {
        var out: [String] = []
        for e in entries {
            switch e.kind {
            case .webhook:
                guard let body = e.request?.json else {
                    out.append("line \(e.seq): webhook body is not JSON"); continue
                }
                guard let type = body["eventType"]?.stringValue, let hook = spec.webhook(eventType: type) else {
                    out.append("webhook \(body["eventType"]?.serialized() ?? "without eventType"): not a webhook of the spec"); continue
                }
                for v in spec.schemas.validate(body, against: hook.schema) { out.append("webhook \(type): \(v.description)") }
            case .token, .callback:
                guard let request = e.request, let response = e.response,
                      let endpoint = spec.endpoints.endpoint(method: request.method, path: request.path) else { continue }
                let status = response.status, label = "\(endpoint.label) → \(status)"
                if status == 429 || status >= 500 { continue }
                guard let documented = endpoint.response(for: status) else {
                    out.append("\(label): not a status the spec documents for \(endpoint.operationId) (\(endpoint.responses.map(\.status).joined(separator: ", ")))")
                    continue
                }
                guard let schema = documented.schema else {
                    if !response.body.isEmpty { out.append("\(label): the spec documents no body, the answer had \(response.body.utf8.count) bytes") }
                    continue
                }
                guard let json = response.json else { out.append("\(label): the answer is not JSON, the spec documents \(schema)"); continue }
                for v in spec.schemas.validate(json, against: schema) { out.append("\(label): \(v.description)") }
            case .action, .run, .end, .repeats, .harness:
                continue
            }
        }
        return out
    }
}
