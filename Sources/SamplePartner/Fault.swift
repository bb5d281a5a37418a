/// One realistic integration bug the sample partner can be told to have (`--fault NAME`).
///
/// The certification harness must catch each of them; running the partner with a fault is how
/// the project proves a check actually fails when the partner is wrong. Exactly one at a time.
enum Fault: String, CaseIterable, Sendable {
    case acceptBadSignature = "accept-bad-signature"
    case slowAck = "slow-ack"
    case errorAck = "error-ack"
    case skipCallback = "skip-callback"
    case wrongEventId = "wrong-event-id"
    case noToken = "no-token"
    case noRetry = "no-retry"
    case ignoreRetryAfter = "ignore-retry-after"
    case duplicateSideEffects = "duplicate-side-effects"
    case statusesOutOfOrder = "statuses-out-of-order"
    case noErrorCallback = "no-error-callback"
    case badTotals = "bad-totals"
    case wrongStore = "wrong-store"
    case emptyAnswer = "empty-answer"

    /// What the partner does wrong, for `--help` and the docs.
    var summary: String {
        switch self {
        case .acceptBadSignature: return "skip X-HMAC-SHA256 verification: forged webhooks are acted on"
        case .slowAck: return "acknowledge webhooks only after 4 s"
        case .errorAck: return "do the work but acknowledge every webhook with HTTP 500"
        case .skipCallback: return "never send the success callback of a webhook (quotes, accept, order-created, menus...)"
        case .wrongEventId: return "send a random X-Event-Id instead of the webhook's eventId"
        case .noToken: return "send callbacks without the Authorization header"
        case .noRetry: return "give up on a callback after a 5xx instead of retrying"
        case .ignoreRetryAfter: return "retry a 429 after 0.1 s, whatever Retry-After says"
        case .duplicateSideEffects: return "no eventId dedupe: a redelivered webhook is processed again"
        case .statusesOutOfOrder: return "courier statuses ALLOCATED, PICKED_UP, ARRIVED_AT_PICKUP, ..."
        case .noErrorCallback: return "stay silent when a webhook cannot be served (no error callback)"
        case .badTotals: return "POST/PUT /v1/orders with orderTotal.total 1.00 less than its parts"
        case .wrongStore: return "send X-Store-Id \"other-store\" on callbacks"
        case .emptyAnswer: return "answer stores.fetch_credentials with an empty 200, like any other webhook"
        }
    }
}

extension SamplePartner {
    /// The faults the sample partner can be told to have (`--fault NAME`), with what each does wrong.
    public static var faults: [(name: String, summary: String)] { Fault.allCases.map { ($0.rawValue, $0.summary) } }
}
