import OtterCore

/// One request from the partner to the Otter Public API.
///
/// The headers are derived from these fields in one place (`OtterAPI`), so every callback gets
/// them right: `X-Store-Id` always, `X-Event-Id` when answering a webhook on an endpoint that
/// requires it, `X-Application-Id` for `POST /v1/stores`.
struct Callback: Sendable {
    var method: String
    /// Path below the Otter base URL, with ids already percent-encoded (see `Callback.segment`).
    var path: String
    var body: JSONValue
    var storeId: String
    /// The eventId of the webhook this request answers; nil for the partner's own moves and for
    /// endpoints that do not take `X-Event-Id`.
    var eventId: String?
    var applicationId: String?

    /// True for the "it worked" answer to a webhook, as opposed to an error callback or an action.
    /// (Only used by the `skip-callback` fault.)
    var isWebhookSuccess = false

    /// An id placed in a URL path: ids come from webhooks, so never paste them in raw.
    static func segment(_ id: String) -> String {
        var allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        allowed.remove(UInt8(ascii: "/"))
        var out = ""
        for byte in id.utf8 {
            if allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
