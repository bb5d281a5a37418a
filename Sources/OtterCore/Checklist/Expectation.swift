import Foundation

/// Something that must, or must not, happen for a record to pass. Deadlines, counts and windows are data.
public indirect enum Expectation: Sendable {
    /// The step's webhook is acknowledged with a status in `status` within `withinMs`.
    case ack(AckExpectation)
    /// A partner → Otter request arrives, correlated to the step, and is right.
    case request(RequestExpectation)
    /// A series of requests carries a field through states in a valid order (the courier lifecycle).
    case sequence(SequenceExpectation)
    /// No matching request arrives within a window.
    case absent(AbsentExpectation)
    /// At least one of several expectations holds.
    case anyOf(AnyOfExpectation)
    /// An OAuth client-credentials token with a scope is obtained and used as Bearer on every call.
    case token(TokenExpectation)

    /// A short label for messages: `ack`, `POST /v1/orders` …
    public var label: String {
        switch self {
        case .ack(let a): return "acknowledgement of \(a.step)" + (a.schema.map { " answered with a \($0)" } ?? "")
        case .request(let r): return "\(r.pattern.method) \(r.pattern.path.text)"
        case .sequence(let s): return "\(s.pattern.method) \(s.pattern.path.text) sequence"
        case .absent(let a): return "no \(a.method ?? "request") \(a.path.text)"
        case .anyOf(let a): return a.of.map(\.label).joined(separator: " or ")
        case .token(let t): return "token with scope \(t.scope)"
        }
    }

    /// The expectation's own source, when it names one (else its record's holds for it).
    public var source: RuleSource? {
        switch self {
        case .ack(let a): return a.source
        case .request(let r): return r.source
        case .sequence(let s): return s.source
        case .absent(let a): return a.source
        case .anyOf(let a): return a.source
        case .token(let t): return t.source
        }
    }
}

/// Several expectations of which at least one must hold.
public struct AnyOfExpectation: Sendable {
    /// The alternatives.
    public var of: [Expectation]
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource?
}

/// A class of HTTP statuses (`2xx`) or an explicit list.
public struct StatusSet: Sendable, CustomStringConvertible {
    /// The accepted statuses.
    public var ranges: [ClosedRange<Int>]
    /// As written in the checklist.
    public var text: String

    /// Parses `2xx`, `4xx`, `204` or a list of those.
    public init(_ text: String) throws(TemplateError) {
        self.text = text
        var rs: [ClosedRange<Int>] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part.count == 3, part.hasSuffix("xx"), let d = Int(part.prefix(1)), (1...5).contains(d) {
                rs.append(d * 100...d * 100 + 99)
            } else if let n = Int(part), (100...599).contains(n) {
                rs.append(n...n)
            } else {
                throw TemplateError(message: "status must be like 2xx, 4xx or 204, got '\(part)'")
            }
        }
        ranges = rs
    }

    /// Whether a status is in the set.
    public func contains(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }
    public var description: String { text }
}

/// The webhook of a step must be acknowledged in time with the right status (and, for a webhook answered
/// synchronously such as `stores.fetch_credentials`, with the right body).
public struct AckExpectation: Sendable {
    /// Which step's webhook.
    public var step: String
    /// Accepted statuses.
    public var status: StatusSet
    /// Deadline for the answer, in milliseconds.
    public var withinMs: Double
    /// The schema the answer's JSON body must be valid against: one of the answers the spec documents for the
    /// webhook (`ViewCredentialsArray`), or nil when the body is not judged.
    public var schema: String? = nil
    /// Field assertions on the answer's JSON body.
    public var fields: [FieldAssertion] = []

    /// Whether the answer's body is judged at all.
    public var checksBody: Bool { schema != nil || !fields.isEmpty }
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource? = nil
}

/// A request the partner must send to Otter.
public struct RequestExpectation: Sendable {
    /// A name other expectations may refer to.
    public var name: String?
    /// Method and path template (and exported variables).
    public var pattern: RequestPattern
    /// The step it answers: its eventId is the expected `X-Event-Id` and its start the clock's zero.
    public var step: String
    /// Deadline after the step, in seconds.
    public var withinSeconds: Double
    /// Whether `X-Event-Id` must equal the step's eventId.
    public var eventId: Bool
    /// Extra header checks (name → template; `*` means present).
    public var headers: [(name: String, value: String)]
    /// Whether a valid bearer token is required (scope from the endpoint table, or `scope`).
    public var auth: Bool
    /// Scope override.
    public var scope: String?
    /// Body schema name override (default: the endpoint table's).
    public var schema: String?
    /// Field assertions on the JSON body.
    public var fields: [FieldAssertion]
    /// Accepted-request count bounds (`max: 1` is exactly-once).
    public var count: CountBounds
    /// How long after the deadline extra requests are still counted.
    public var countWindowSeconds: Double
    /// A failed first attempt that must be retried.
    public var retry: RetryRule?
    /// Requests that must have been accepted before this one (fulfil after ready).
    public var requiresEarlier: [RequestPattern]
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource? = nil
}

/// Bounds on how many requests may be accepted.
public struct CountBounds: Sendable {
    /// At least this many.
    public var min: Int
    /// At most this many, when set.
    public var max: Int?
}

/// The retry a partner owes after a transient answer.
public struct RetryRule: Sendable {
    /// The answer that must be retried (503, 429).
    public var status: Int
    /// Minimum delay before the retry.
    public var minDelaySeconds: Double
    /// Whether the delay must also be at least the answer's Retry-After.
    public var honourRetryAfter: Bool
}

/// A series of requests whose field walks through states in order.
public struct SequenceExpectation: Sendable {
    /// Method and path of the requests.
    public var pattern: RequestPattern
    /// The step it follows.
    public var step: String
    /// JSONPath of the state field.
    public var field: JSONPath
    /// The allowed states in order; a state may repeat but never go back.
    public var order: [String]
    /// States that must appear.
    public var require: [String]
    /// The last state, when set.
    public var final: String?
    /// Deadline for the whole series, after the step.
    public var withinSeconds: Double
    /// From this state on, these fields must be present (the courier once allocated).
    public var fromState: (state: String, fields: [FieldAssertion])?
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource? = nil
}

/// Requests that must not arrive within a window.
public struct AbsentExpectation: Sendable {
    /// Method, or nil for any.
    public var method: String?
    /// Path template (`*` for any).
    public var path: PathTemplate
    /// Only requests carrying the step's eventId.
    public var eventId: Bool
    /// The step that opens the window.
    public var step: String
    /// Window length in seconds.
    public var windowSeconds: Double
    /// Requests meeting all these are allowed (a `CANCELED` status after a cancel).
    public var unless: [FieldAssertion]
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource? = nil
}

/// A token from `POST /v1/auth/token` with a scope, used on every call.
public struct TokenExpectation: Sendable {
    /// The scope the token must carry.
    public var scope: String
    /// Where the rule comes from, when not its record's.
    public var source: RuleSource? = nil
}

/// An assertion on a JSON body field.
public struct FieldAssertion: Sendable, CustomStringConvertible {
    /// The field's JSONPath as written.
    public var path: JSONPath
    /// The check.
    public var check: Check
    /// Where the rule comes from, when not its record's (or its expectation's).
    public var source: RuleSource? = nil

    /// The kinds of check.
    public enum Check: Sendable {
        /// Equal to a JSON value; strings may hold `{var}` templates.
        case equals(JSONValue)
        /// Present (true) or absent (false).
        case exists(Bool)
        /// One of these values.
        case oneOf([JSONValue])
        /// A string matching this regular expression.
        case matches(String)
        /// A number within bounds (inclusive).
        case range(min: Double?, max: Double?)
        /// A non-empty string, array or object.
        case nonEmpty
        /// Never seen before in the same field of earlier requests to the same endpoint.
        case unique
        /// A number equal (±0.01) to the sum of other fields; a `-` prefix subtracts, a missing field counts 0.
        case sum([(negative: Bool, path: JSONPath)])
        /// A number not less (−0.01) than the sum of other fields: a total that includes them and may include more
        /// (the spec's `OrderTotal.total`: "including everything paid by the customer", service and bag fees too).
        case atLeastSum([(negative: Bool, path: JSONPath)])
        /// A number (or RFC 3339 timestamp) not less than another field.
        case atLeastField(JSONPath)
    }

    public var description: String {
        switch check {
        case .equals(let v): return "\(path) equals \(v.serialized())"
        case .exists(let b): return b ? "\(path) exists" : "\(path) is absent"
        case .oneOf(let vs): return "\(path) is one of \(vs.map { $0.serialized() }.joined(separator: ", "))"
        case .matches(let r): return "\(path) matches \(r)"
        case .range(let lo, let hi):
            return "\(path) in [\(lo.map { formatNumber($0) } ?? "-inf"), \(hi.map { formatNumber($0) } ?? "inf")]"
        case .nonEmpty: return "\(path) is not empty"
        case .unique: return "\(path) is unique"
        case .sum(let terms): return "\(path) = " + terms.map { ($0.negative ? "-" : "+") + $0.path.description }.joined(separator: " ")
        case .atLeastSum(let terms): return "\(path) >= " + terms.map { ($0.negative ? "-" : "+") + $0.path.description }.joined(separator: " ")
        case .atLeastField(let p): return "\(path) >= \(p)"
        }
    }
}

/// Formats a number without a trailing `.0` for integral values, deterministically.
public func formatNumber(_ x: Double) -> String {
    if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(x)
}
