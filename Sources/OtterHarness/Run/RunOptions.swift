import Foundation
import OtterCore

/// Everything a live run needs to know.
public struct RunOptions: Sendable {
    /// Integration type.
    public var type: IntegrationType
    /// A checklist file instead of the bundled one.
    public var checklistPath: String?
    /// An OpenAPI description instead of the bundled one (`--openapi`).
    public var openapiPath: String?
    /// The partner's webhook URL.
    public var partnerURL: String
    /// The webhook secret.
    public var webhookSecret: String
    /// OAuth client id the partner uses against the sandbox.
    public var clientId: String
    /// OAuth client secret.
    public var clientSecret: String
    /// The store id (`X-Store-Id`).
    public var storeId: String
    /// The application id (`X-Application-Id`).
    public var applicationId = "otter-cert-app"
    /// The run is `otter-cert demo` (its partner and ports are its own; a record is rerun with `demo --only`).
    public var demo = false
    /// `--sandbox-listen` as given (`0.0.0.0:8089`), for the reproduce line.
    public var sandboxListen: String?
    /// Where the sandbox listens.
    public var sandboxHost = "127.0.0.1"
    /// Sandbox port (0: any free port).
    public var sandboxPort = 0
    /// Where `events.jsonl` and the reports go (nil: in memory only).
    public var reportDir: String?
    /// Only these records (nil: all).
    public var only: Set<String>?
    /// Which certification attempt this is.
    public var attempt = 1
    /// The report of the previous attempt, when rerunning.
    public var previousReport: String?
    /// That report's verdicts: the records this run does not rerun keep them (with their attempt).
    public var earlierVerdicts: [Verdict] = []
    /// The command that performs partner actions.
    public var actionHook: String?
    /// Whether an operator is at a terminal.
    public var interactive = false
    /// How many records run side by side at most (`--parallel`); exclusive records still run alone.
    public var parallel = RunOptions.defaultParallel
    /// The default of `--parallel`: enough for every bundled checklist to last about as long as its longest records
    /// (delivery 5.5 s instead of 21 s), while a partner's sandbox never has more than four records' webhooks and
    /// callbacks in flight at once. The rate limits do not bound it: Otter counts them per store and resource per
    /// minute, and a whole run fits in a minute either way.
    public static let defaultParallel = 4
    /// Multiplies every deadline and window.
    public var timeoutScale = 1.0
    /// How webhooks are authenticated.
    public var webhookAuth: WebhookAuth = .hmac(encoding: .base64)
    /// CA bundle for the partner's TLS certificate.
    public var caFile: String?
    /// Skip TLS verification (said loudly in the report).
    public var insecure = false
    /// Whether a run with `insecure` may still certify (`--allow-insecure-certification`); it never does otherwise.
    public var allowInsecureCertification = false
    /// Lifetime of the sandbox's access tokens, in seconds.
    public var tokenTTL = SandboxConfiguration.specTokenTTL
    /// Sandbox rate limits.
    public var rateLimits: RateLimitMode = .otter
    /// How long a webhook may take to be answered before it counts as timed out.
    public var webhookTimeout = 10.0

    /// Creates options with the required values.
    public init(type: IntegrationType, partnerURL: String, webhookSecret: String, clientId: String, clientSecret: String, storeId: String) {
        self.type = type; self.partnerURL = partnerURL; self.webhookSecret = webhookSecret
        self.clientId = clientId; self.clientSecret = clientSecret; self.storeId = storeId
    }
}

/// What a live run reports as it goes.
public protocol RunProgress: AnyObject {
    /// A record starts.
    func started(_ record: Record, index: Int, of total: Int)
    /// A record is waiting for something, with how long is left.
    func waiting(_ record: Record, for what: String, secondsLeft: Double)
    /// A record is decided.
    func finished(_ verdict: Verdict)
    /// Something the operator should read.
    func say(_ text: String)
}
