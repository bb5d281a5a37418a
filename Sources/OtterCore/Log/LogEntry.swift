import Foundation

/// One line of the event log: an HTTP exchange between Otter (or the harness playing it) and the partner,
/// or a note the harness makes (run start, a partner action).
public struct LogEntry: Sendable {
    /// Which way an exchange went.
    public enum Direction: String, Sendable { case otterToPartner = "otter->partner", partnerToOtter = "partner->otter" }
    /// What the line records.
    public enum Kind: String, Sendable, CaseIterable {
        /// A webhook Otter sent to the partner.
        case webhook
        /// A `POST /v1/auth/token` call.
        case token
        /// Any other call of the partner to the Public API.
        case callback
        /// A partner action the harness asked for (start and outcome).
        case action
        /// The start of a run: type, partner, store, harness and checklist versions, redaction salt.
        case run
        /// When a run settled a record (its verdict could no longer change), tagged with the record and its status.
        case end
        /// A step of a record the harness could not carry out (a webhook fixture it could not read), with why in
        /// `error`: the record fails as a harness error, not as the partner's.
        case harness
    }

    /// Sequence number in the log (1-based), or the line number when absent.
    public var seq: Int
    /// The record the harness was running, when known.
    public var record: String?
    /// The step of that record, when known.
    public var step: String?
    /// Direction of the exchange (nil for notes).
    public var direction: Direction?
    /// What the line records.
    public var kind: Kind
    /// When the request started, in seconds since 1970.
    public var startedAt: Double
    /// How long the exchange took, in milliseconds.
    public var durationMs: Double
    /// Attempt number for retried requests, when the sender counts them.
    public var attempt: Int?
    /// The request.
    public var request: Message?
    /// The response, when one came.
    public var response: Message?
    /// Why no response came (timeout, refused …), or for `harness` lines why the step could not be carried out.
    public var error: TransportFailure?
    /// Labels the harness attaches (`invalid-signature`).
    public var tags: [String]
    /// For `action` lines: the action name, its outcome and message.
    public var action: ActionNote?
    /// For `run` lines: the run's facts.
    public var run: RunNote?

    /// Creates an entry.
    public init(seq: Int, record: String? = nil, step: String? = nil, direction: Direction?, kind: Kind, startedAt: Double,
                durationMs: Double = 0, attempt: Int? = nil, request: Message? = nil, response: Message? = nil,
                error: TransportFailure? = nil, tags: [String] = [], action: ActionNote? = nil, run: RunNote? = nil) {
        self.seq = seq; self.record = record; self.step = step; self.direction = direction; self.kind = kind
        self.startedAt = startedAt; self.durationMs = durationMs; self.attempt = attempt; self.request = request
        self.response = response; self.error = error; self.tags = tags; self.action = action; self.run = run
    }
}

/// An HTTP request or response as recorded (secrets already redacted).
public struct Message: Sendable {
    /// Request method (empty for responses).
    public var method: String
    /// Request URL (empty for responses).
    public var url: String
    /// Response status (0 for requests).
    public var status: Int
    /// Headers in order.
    public var headers: [(name: String, value: String)]
    /// The body text (UTF-8; base64 decoded when the log says so).
    public var body: String

    /// Creates a message.
    public init(method: String = "", url: String = "", status: Int = 0, headers: [(name: String, value: String)] = [], body: String = "") {
        self.method = method; self.url = url; self.status = status; self.headers = headers; self.body = body
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The URL's path (without query), or the URL itself when it is already a path.
    public var path: String {
        var s = Substring(url)
        if let r = s.range(of: "://") {
            s = s[r.upperBound...]
            if let slash = s.firstIndex(of: "/") { s = s[slash...] } else { s = "/" }
        }
        if let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<q] }
        return String(s)
    }

    /// The body parsed as JSON, when it is JSON.
    public var json: JSONValue? {
        guard !body.isEmpty else { return nil }
        return try? JSONValue.parse(body)
    }
}

/// Why an exchange got no response.
public struct TransportFailure: Sendable {
    /// `refused`, `dns`, `tls`, `timeout`, `aborted` (the harness gave up: the run was interrupted) or `other`; on a
    /// `harness` line, what the harness could not do (`fixture`).
    public var kind: String
    /// The transport's own message.
    public var message: String
    /// Creates a failure.
    public init(kind: String, message: String) { self.kind = kind; self.message = message }
}

/// A partner action the harness asked for.
public struct ActionNote: Sendable {
    /// Action name (`pos.confirm_order`).
    public var name: String
    /// `ok`, `failed` or `skipped`.
    public var outcome: String
    /// The hook's stderr, or why it was skipped.
    public var message: String?
    /// Creates a note.
    public init(name: String, outcome: String, message: String? = nil) { self.name = name; self.outcome = outcome; self.message = message }
}

/// The facts of a run, written as the log's first line.
public struct RunNote: Sendable {
    /// Integration type.
    public var integrationType: String?
    /// Partner webhook URL.
    public var partnerURL: String?
    /// The store id used.
    public var storeId: String?
    /// `otter-cert x.y.z`.
    public var harness: String?
    /// Checklist version.
    public var checklistVersion: String?
    /// SHA-256 of the checklist file.
    public var checklistSHA256: String?
    /// Salt of the redaction hashes in this log.
    public var redactionSalt: String?
    /// Other facts (attempt number, TLS verification off …).
    public var extra: JSONObject
    /// Creates a note.
    public init(integrationType: String? = nil, partnerURL: String? = nil, storeId: String? = nil, harness: String? = nil,
                checklistVersion: String? = nil, checklistSHA256: String? = nil, redactionSalt: String? = nil, extra: JSONObject = JSONObject()) {
        self.integrationType = integrationType; self.partnerURL = partnerURL; self.storeId = storeId; self.harness = harness
        self.checklistVersion = checklistVersion; self.checklistSHA256 = checklistSHA256; self.redactionSalt = redactionSalt; self.extra = extra
    }
}
