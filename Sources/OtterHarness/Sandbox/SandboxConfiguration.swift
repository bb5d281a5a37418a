import Foundation

/// How the embedded Otter sandbox listens and whom it accepts.
public struct SandboxConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind (0: an ephemeral port; read `OtterSandbox.baseURL` after `start()`).
    public var port: Int = 0
    /// The partner's OAuth client id.
    public var clientId: String
    /// The partner's OAuth client secret.
    public var clientSecret: String
    /// The store the partner must name in `X-Store-Id`.
    public var storeId: String
    /// The application the partner must name in `X-Application-Id`.
    public var applicationId: String = "otter-cert-app"
    /// Lifetime of issued access tokens, in seconds: 30 days, as the spec says ("all tokens are valid for 30 days").
    public var tokenTTL: Int = SandboxConfiguration.specTokenTTL
    /// The spec's token lifetime.
    public static let specTokenTTL = 30 * 24 * 3600
    /// Rate-limit enforcement.
    public var rateLimits: RateLimitMode = .otter

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 0, clientId: String, clientSecret: String, storeId: String,
                applicationId: String = "otter-cert-app", tokenTTL: Int = SandboxConfiguration.specTokenTTL, rateLimits: RateLimitMode = .otter) {
        self.host = host; self.port = port; self.clientId = clientId; self.clientSecret = clientSecret
        self.storeId = storeId; self.applicationId = applicationId; self.tokenTTL = tokenTTL; self.rateLimits = rateLimits
    }
}
