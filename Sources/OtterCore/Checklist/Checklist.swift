import Foundation

/// The three kinds of Otter integration that are certified, each with its own checklist.
public enum IntegrationType: String, Sendable, CaseIterable, Codable {
    case delivery, pos, orders
}

/// A certification checklist: the event records a partner of one integration type must complete.
public struct Checklist: Sendable {
    /// The integration type this checklist certifies.
    public var integrationType: IntegrationType
    /// The checklist's own version, reported next to every verdict.
    public var version: String
    /// A human title.
    public var title: String
    /// A short description of what the checklist covers.
    public var description: String
    /// Where the partner reports a webhook it could not process.
    public var errorCallback: RequestPattern?
    /// Variables bound from every webhook a record sends (name → JSONPath into the webhook body).
    public var vars: [(name: String, path: JSONPath)]
    /// The vars that identify one resource (a delivery, an order): exchanges carrying the same value belong to the
    /// same record. Store-wide values (`storeId`, an order `source`) are not among them.
    public var resourceIds: [String] = []
    /// Policies that hold for every record (how deadlines are meant), with their reasons.
    public var policies: [RuleSource] = []
    /// The records, in the order they are run and reported.
    public var records: [Record]

    /// The record with this id, if any.
    public func record(_ id: String) -> Record? { records.first { $0.id == id } }
}

/// One event record: something the partner's integration must do, how it is triggered and how it is judged.
public struct Record: Sendable {
    /// Stable id such as `DEL-04`; reports and `--only` use it.
    public var id: String
    /// One-line title.
    public var title: String
    /// Whether certification needs this record to pass.
    public var required: Bool
    /// What the partner must do, in words a partner can act on.
    public var rationale: String
    /// Where its rule comes from: the spec (with its words), Otter's policy (with the reason), or both. Its
    /// expectations and field assertions may name their own.
    public var source: RuleSource
    /// Steps that prepare the trigger (their own outcome is not judged).
    public var setup: [Step]
    /// The step whose outcome the expectations judge.
    public var trigger: Step
    /// Answers the sandbox injects while this record runs (503 once, 429 with Retry-After).
    public var faults: [Fault]
    /// What must (or must not) happen.
    public var expect: [Expectation]
    /// Whether the record must run alone (`run --parallel` starts nothing else while it runs): it changes something
    /// every other record depends on, such as pausing the whole store.
    public var exclusive = false

    /// Setup steps followed by the trigger.
    public var steps: [Step] { setup + [trigger] }
}

/// One step of a record: a webhook Otter sends, or a move the partner makes on its side.
public struct Step: Sendable {
    /// The step's name; expectations refer to it (`"step": "pause"`). The trigger is called `trigger`.
    public var name: String
    /// What happens in this step.
    public var source: Source
    /// A request the step waits for before the next step starts (and the variables it exports).
    public var awaiting: RequestPattern?

    /// Webhook or partner action.
    public enum Source: Sendable {
        /// A webhook built from a fixture template under `Fixtures/webhooks/`.
        case webhook(WebhookStep)
        /// A named partner action such as `pos.confirm_order`, with instructions for the operator.
        case action(name: String, instructions: String)
    }

    /// The webhook's event type, when the step is a webhook and its fixture is known.
    public var webhook: WebhookStep? {
        if case .webhook(let w) = source { return w }
        return nil
    }
}

/// How a webhook step is sent.
public struct WebhookStep: Sendable {
    /// Fixture path relative to `Fixtures/webhooks/`.
    public var fixture: String
    /// The fixture's `eventType` (filled in when the checklist is loaded with its fixtures).
    public var eventType: String?
    /// `valid` or `invalid`: an invalid signature checks that the partner rejects it.
    public var signature: Signature
    /// How many times the identical webhook is delivered (2 checks idempotency).
    public var deliveries: Int
    /// Conditions the webhook body must meet to be this step (identifies it in a log without record tags).
    public var match: [FieldAssertion]
    /// The `{{name}}` placeholders of its fixture: the values this webhook carries (and so shares with other steps).
    public var templateVars: [String] = []
    /// Where a placeholder fills a whole string value of the fixture: its name and the object keys leading to it
    /// (`orderId` at `metadata.resourceId`), so the value can be read back from a webhook built from it.
    public var templateVarPaths: [(name: String, keys: [String])] = []

    /// The signature a webhook carries.
    public enum Signature: String, Sendable { case valid, invalid }
}

/// A method and path template, with variables to export from the matching request.
public struct RequestPattern: Sendable {
    /// HTTP method, or `*` for any.
    public var method: String
    /// Path template such as `/v1/delivery/{deliveryReferenceId}/quotes`; `*` matches one segment, a lone `*` any path.
    public var path: PathTemplate
    /// Variables to bind from the matching request's JSON body (name → JSONPath).
    public var export: [(name: String, path: JSONPath)]
}

/// An answer the sandbox gives instead of its normal one, a number of times.
public struct Fault: Sendable {
    /// Method of the request to answer.
    public var method: String
    /// Path template of the request to answer.
    public var path: PathTemplate
    /// Status to answer with (503, 429 …).
    public var status: Int
    /// How many attempts get the fault before the normal answer.
    public var times: Int
    /// Headers to add (`Retry-After`).
    public var headers: [(name: String, value: String)]

    /// The requests it answers.
    public var pattern: RequestPattern { RequestPattern(method: method, path: path, export: []) }
}

extension RequestPattern {
    /// The one way a request is matched against a pattern: the method (or `*`) and the path template, with the
    /// variables already bound. Returns the variables the path captured, or nil when the request does not match.
    public func matches(method m: String, path p: String, bound: [String: String] = [:]) -> [String: String]? {
        guard method == "*" || method == m else { return nil }
        return path.match(p, bound: bound)
    }
}
