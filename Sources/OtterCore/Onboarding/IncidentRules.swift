import Foundation

/// What counts as an incident at a live location: certification expectations applied to production traffic.
///
/// Loaded from `checklists/incident-rules.json`; `IncidentRules.defaults` holds the same rules built in.
public struct IncidentRules: Sendable {
    /// The rules file's own version, reported in the tracker.
    public var version: String
    /// A location-day with fewer exchanges than this is not a live day (and so not a clean one).
    public var minLiveExchanges: Int
    /// How long after a callback's deadline a late log line may still arrive before the callback counts as missing.
    public var reorderWindowSeconds: Double
    /// Every webhook must be acknowledged in time with an accepted status.
    public var ack: AckRule
    /// Webhooks that must be answered by a callback request carrying their `X-Event-Id`.
    public var callbacks: [CallbackRule]
    /// Requests that report a webhook the partner could not process (each one is an incident).
    public var errorCallbacks: [RequestPattern]
    /// Cause of an error-callback incident.
    public var errorCallbackCause: String
    /// Webhooks whose body itself reports a failure (a failed POS injection).
    public var webhookFailures: [WebhookFailureRule]
    /// Partner requests whose answer is a failure (a rejected menu upsert).
    public var requestFailures: [RequestFailureRule]
    /// Many transient failures in a short window.
    public var storm: StormRule?

    /// The acknowledgement every webhook needs.
    public struct AckRule: Sendable {
        /// Accepted statuses.
        public var status: StatusSet
        /// Deadline for the answer, in milliseconds.
        public var withinMs: Double
        /// Cause of the incident when it breaks.
        public var cause: String
    }

    /// After webhook `eventType`, a request matching `request` with the same `X-Event-Id`, answered `status`, within `withinSeconds`.
    public struct CallbackRule: Sendable {
        /// The webhook's event type.
        public var eventType: String
        /// The callback's method and path.
        public var request: RequestPattern
        /// Answers that count as the callback having been accepted.
        public var status: StatusSet
        /// Deadline after the webhook, in seconds.
        public var withinSeconds: Double
        /// Cause of the incident when the callback is missing or late.
        public var cause: String
    }

    /// A webhook of `eventType` whose body meets every assertion in `when` is an incident.
    public struct WebhookFailureRule: Sendable {
        /// The webhook's event type.
        public var eventType: String
        /// Assertions on the webhook body that together mean failure.
        public var when: [FieldAssertion]
        /// Cause of the incident.
        public var cause: String
    }

    /// A request matching `request` answered with a status in `status` (when set) and whose response body meets `when`.
    public struct RequestFailureRule: Sendable {
        /// Method and path.
        public var request: RequestPattern
        /// Failing statuses; nil means any status.
        public var status: StatusSet?
        /// Assertions on the response body that together mean failure (empty: the status alone decides).
        public var when: [FieldAssertion]
        /// Cause of the incident.
        public var cause: String
    }

    /// `count` answers with a status in `status` within `windowSeconds` at one location is one incident.
    public struct StormRule: Sendable {
        /// Statuses counted (5xx, 429).
        public var status: StatusSet
        /// How many make a storm.
        public var count: Int
        /// Window length in seconds.
        public var windowSeconds: Double
        /// Cause of the incident.
        public var cause: String
    }
}
