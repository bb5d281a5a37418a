import Foundation

/// A log entry being evaluated, with its path and JSON bodies parsed at most once.
final class Exchange {
    let entry: LogEntry
    let method: String
    let path: String
    private var requestJSONState: JSONValue??
    private var responseJSONState: JSONValue??
    /// Whether the request body came parsed by the reader (then it is the reader's to free).
    private let requestParsedByReader: Bool

    /// Takes the entry (moved in, not copied: a copy retains and releases each of its dozen references).
    init(_ entry: consuming LogEntry, parsedRequest: ParsedBody? = nil) {
        if let parsedRequest { requestJSONState = .some(parsedRequest.json) }
        requestParsedByReader = parsedRequest != nil
        let m = entry.request?.method ?? ""
        // Methods are almost always logged in capitals already: then there is nothing to convert.
        method = m.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A } ? m : m.uppercased()
        path = entry.request?.path ?? ""
        self.entry = entry
    }

    var t: Double { entry.startedAt }

    /// Forgets the bodies this exchange parsed itself (they are parsed again if asked for), so that they are freed
    /// on the thread that parsed them, not where the exchange is freed.
    func dropOwnParses() {
        if !requestParsedByReader { requestJSONState = nil }
        responseJSONState = nil
    }

    /// The request body as JSON, nil when empty or not JSON.
    var requestJSON: JSONValue? {
        if let s = requestJSONState { return s }
        let v = entry.request?.json
        requestJSONState = .some(v)
        return v
    }

    /// The response body as JSON.
    var responseJSON: JSONValue? {
        if let s = responseJSONState { return s }
        let v = entry.response?.json
        responseJSONState = .some(v)
        return v
    }

    func header(_ name: String) -> String? { entry.request?.header(name) }

    /// The status Otter answered, nil when no answer was recorded.
    var status: Int? { entry.response?.status }

    /// Accepted by Otter: answered 2xx, or recorded without an answer (a capture that lacks responses).
    var accepted: Bool {
        if let s = status { return (200...299).contains(s) }
        return entry.error == nil
    }

    /// `POST /v1/x` for messages.
    var label: String { "\(method) \(path)" }
}

/// Whether Otter answered for good: 2xx, or a 4xx other than 429 (no retry of the same request will be accepted).
func isFinalAnswer(_ status: Int) -> Bool {
    (200...299).contains(status) || ((400...499).contains(status) && status != 429)
}

/// Seconds with one decimal, for messages ("41.2 s").
func seconds(_ s: Double) -> String { String(format: "%.1f s", s) }

/// Milliseconds without decimals ("412 ms").
func millis(_ ms: Double) -> String { String(format: "%.0f ms", ms) }

/// A value shortened for a message: long ids keep their start and end.
func short(_ s: String, _ n: Int = 40) -> String {
    if s.count <= n { return s }
    return String(s.prefix(n - 10)) + "…" + String(s.suffix(8))
}

/// A JSON value as it appears in a message.
func show(_ v: JSONValue) -> String {
    if case .string(let s) = v { return "'" + short(s) + "'" }
    return short(v.serialized())
}
