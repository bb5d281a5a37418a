import Foundation
import OtterClient
import OtterCore

/// Sends callbacks and the partner's own requests to the Otter Public API, with the retry rules
/// the platform asks for:
///
/// - 2xx: done.
/// - 5xx or no answer at all: transient. Send the *identical* request again (same X-Event-Id,
///   same body bytes, so Otter can tell it is a retry) after 0.2 s, 0.4 s, 0.8 s, 1.6 s:
///   at most 5 attempts.
/// - 429: rate limited. Wait at least `Retry-After` seconds (1 s when absent), then retry.
///   Retrying sooner only burns the quota again.
/// - 401: the token went stale; fetch a new one and retry once.
/// - any other 4xx: the request itself is wrong. Retrying cannot help, so report it.
final class OtterAPI: @unchecked Sendable {
    enum Outcome: Sendable {
        case delivered(status: Int)
        /// Otter refused the request (4xx); the message is its error text.
        case rejected(status: Int, message: String)
        /// Retries exhausted, or no token.
        case gaveUp(String)

        var succeeded: Bool {
            if case .delivered = self { return true }
            return false
        }

        var text: String {
            switch self {
            case .delivered(let status): return "HTTP \(status)"
            case .rejected(let status, let message): return "rejected with HTTP \(status): \(message)"
            case .gaveUp(let why): return "gave up: \(why)"
            }
        }
    }

    static let maxAttempts = 5

    private let client: HTTPClient
    private let baseURL: String
    private let tokens: AccessTokenProvider
    private let fault: Fault?

    init(client: HTTPClient, baseURL: String, tokens: AccessTokenProvider, fault: Fault?) {
        self.client = client
        self.baseURL = baseURL
        self.tokens = tokens
        self.fault = fault
    }

    /// Sends `callback`, retrying as described above; blocks until it is settled.
    @discardableResult
    func send(_ callback: Callback) -> Outcome {
        if fault == .skipCallback && callback.isWebhookSuccess {
            Log.info("[fault skip-callback] not sending \(callback.method) \(callback.path)")
            return .delivered(status: 0)
        }
        // Headers and body are fixed once, before the first attempt: a retry is the same request.
        let body = callback.body.serializedBytes()
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        // A store Otter is still creating has no id yet (stores.upsert without a storeId): no X-Store-Id then.
        if fault == .wrongStore { headers.append(("X-Store-Id", "other-store")) }
        else if !callback.storeId.isEmpty { headers.append(("X-Store-Id", callback.storeId)) }
        if let eventId = callback.eventId {
            headers.append(("X-Event-Id", fault == .wrongEventId ? UUID().uuidString.lowercased() : eventId))
        }
        if let applicationId = callback.applicationId { headers.append(("X-Application-Id", applicationId)) }
        let url = baseURL + callback.path
        let label = "\(callback.method) \(callback.path)"

        var refreshedToken = false
        var attempt = 1
        while true {
            var request = ClientRequest(method: callback.method, url: url, headers: headers, body: body, timeout: 15)
            var token: String?
            if fault != .noToken {
                do {
                    token = try tokens.token()
                } catch {
                    Log.info("\(label): no access token: \(error)")
                    return .gaveUp("no access token: \(error)")
                }
                request.headers.insert(("Authorization", "Bearer \(token!)"), at: 0)
            }

            let wait: TimeInterval
            switch client.send(request) {
            case .failure(let error):
                Log.info("\(label): attempt \(attempt) failed: \(error)")
                guard attempt < Self.maxAttempts else { return .gaveUp(error.description) }
                wait = Self.backoff(attempt)
            case .success(let response):
                let status = response.status
                Log.info("\(label) -> \(status)" + (attempt > 1 ? " (attempt \(attempt))" : ""))
                switch status {
                case 200..<300:
                    return .delivered(status: status)
                case 401 where !refreshedToken && token != nil:
                    tokens.invalidate(token!)
                    refreshedToken = true
                    wait = 0
                case 429:
                    guard attempt < Self.maxAttempts else { return .gaveUp("still rate limited (429)") }
                    if fault == .ignoreRetryAfter {
                        wait = 0.1
                    } else {
                        // A few ms on top so the retry lands after the window, not on its edge.
                        wait = Self.retryAfter(response.header("Retry-After")) + 0.05
                    }
                case 500...:
                    guard fault != .noRetry else {
                        Log.info("[fault no-retry] giving up on \(label) after HTTP \(status)")
                        return .gaveUp("HTTP \(status), not retried")
                    }
                    guard attempt < Self.maxAttempts else { return .gaveUp("HTTP \(status) after \(attempt) attempts") }
                    wait = Self.backoff(attempt)
                default:
                    return .rejected(status: status, message: Self.errorMessage(response.body))
                }
            }
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            attempt += 1
        }
    }

    /// 0.2 s, 0.4 s, 0.8 s, 1.6 s.
    static func backoff(_ attempt: Int) -> TimeInterval {
        0.2 * pow(2, Double(attempt - 1))
    }

    /// Retry-After is either delta-seconds or an HTTP date; anything unreadable means 1 s.
    static func retryAfter(_ value: String?) -> TimeInterval {
        guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return 1 }
        if let seconds = Double(raw), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: raw) { return max(0, date.timeIntervalSinceNow) }
        return 1
    }

    private static func errorMessage(_ body: [UInt8]) -> String {
        if let json = try? JSONValue.parse(body), let message = json["message"]?.stringValue ?? json["error"]?.stringValue {
            return message
        }
        return String(decoding: body.prefix(300), as: UTF8.self)
    }
}
