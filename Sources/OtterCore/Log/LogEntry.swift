import Foundation
import OtterCrypto

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
        /// A count of further exchanges identical to an earlier line (a flood of unauthenticated requests), which
        /// were not logged one by one; see `Repeats`.
        case repeats
        /// A step of a record the harness could not carry out (a webhook fixture it could not read), with why in
        /// `error`: the record fails as a harness error, not as the partner's.
        case harness
    }

    // The fields live in one shared box, copied on write: an entry is handed from the reader to the evaluator, through
    // the reorder heap and into its exchange, and each copy of the plain struct retained and released every one of its
    // dozen references (a tenth of observe's CPU). Now a copy is one reference, and a read borrows in place (`_read`).
    @usableFromInline struct Fields: Sendable {
        @usableFromInline var seq: Int
        @usableFromInline var record: String?
        @usableFromInline var step: String?
        @usableFromInline var direction: Direction?
        @usableFromInline var kind: Kind
        @usableFromInline var startedAt: Double
        @usableFromInline var durationMs: Double
        @usableFromInline var attempt: Int?
        @usableFromInline var request: Message?
        @usableFromInline var response: Message?
        @usableFromInline var error: TransportFailure?
        @usableFromInline var tags: [String]
        @usableFromInline var action: ActionNote?
        @usableFromInline var run: RunNote?
        @usableFromInline var repeats: Repeats?
    }

    @usableFromInline final class Box: @unchecked Sendable {
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    /// The fields, in a box made this entry's own first, for a change.
    @inlinable var unique: Box {
        mutating get {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            return box
        }
    }

    /// Sequence number in the log (1-based), or the line number when absent.
    @inlinable public var seq: Int {
        _read { yield box.fields.seq }
        _modify { yield &unique.fields.seq }
    }
    /// The record the harness was running, when known.
    @inlinable public var record: String? {
        _read { yield box.fields.record }
        _modify { yield &unique.fields.record }
    }
    /// The step of that record, when known.
    @inlinable public var step: String? {
        _read { yield box.fields.step }
        _modify { yield &unique.fields.step }
    }
    /// Direction of the exchange (nil for notes).
    @inlinable public var direction: Direction? {
        _read { yield box.fields.direction }
        _modify { yield &unique.fields.direction }
    }
    /// What the line records.
    @inlinable public var kind: Kind {
        _read { yield box.fields.kind }
        _modify { yield &unique.fields.kind }
    }
    /// When the request started, in seconds since 1970.
    @inlinable public var startedAt: Double {
        _read { yield box.fields.startedAt }
        _modify { yield &unique.fields.startedAt }
    }
    /// How long the exchange took, in milliseconds.
    @inlinable public var durationMs: Double {
        _read { yield box.fields.durationMs }
        _modify { yield &unique.fields.durationMs }
    }
    /// Attempt number for retried requests, when the sender counts them.
    @inlinable public var attempt: Int? {
        _read { yield box.fields.attempt }
        _modify { yield &unique.fields.attempt }
    }
    /// The request.
    @inlinable public var request: Message? {
        _read { yield box.fields.request }
        _modify { yield &unique.fields.request }
    }
    /// The response, when one came.
    @inlinable public var response: Message? {
        _read { yield box.fields.response }
        _modify { yield &unique.fields.response }
    }
    /// Why no response came (timeout, refused …), or for `harness` lines why the step could not be carried out.
    @inlinable public var error: TransportFailure? {
        _read { yield box.fields.error }
        _modify { yield &unique.fields.error }
    }
    /// Labels the harness attaches (`invalid-signature`).
    @inlinable public var tags: [String] {
        _read { yield box.fields.tags }
        _modify { yield &unique.fields.tags }
    }
    /// For `action` lines: the action name, its outcome and message.
    @inlinable public var action: ActionNote? {
        _read { yield box.fields.action }
        _modify { yield &unique.fields.action }
    }
    /// For `run` lines: the run's facts.
    @inlinable public var run: RunNote? {
        _read { yield box.fields.run }
        _modify { yield &unique.fields.run }
    }
    /// For `repeats` lines: which line was repeated, how often, until when.
    @inlinable public var repeats: Repeats? {
        _read { yield box.fields.repeats }
        _modify { yield &unique.fields.repeats }
    }

    /// Creates an entry.
    public init(seq: Int, record: String? = nil, step: String? = nil, direction: Direction?, kind: Kind, startedAt: Double,
                durationMs: Double = 0, attempt: Int? = nil, request: Message? = nil, response: Message? = nil,
                error: TransportFailure? = nil, tags: [String] = [], action: ActionNote? = nil, run: RunNote? = nil,
                repeats: Repeats? = nil) {
        box = Box(Fields(seq: seq, record: record, step: step, direction: direction, kind: kind, startedAt: startedAt,
                         durationMs: durationMs, attempt: attempt, request: request, response: response, error: error,
                         tags: tags, action: action, run: run, repeats: repeats))
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
    /// The body text (UTF-8; base64 decoded when the log says so): the whole body, or its first bytes when
    /// `truncated` is set.
    public var body: String
    /// Set when `body` holds only the body's first bytes: the whole body's size and SHA-256.
    public var truncated: TruncatedBody?

    /// The most of a body a log line holds (256 KiB); above it the line keeps the first bytes and `truncated`.
    public static let bodyLogCap = 256 * 1024

    /// Creates a message.
    public init(method: String = "", url: String = "", status: Int = 0, headers: [(name: String, value: String)] = [], body: String = "",
                truncated: TruncatedBody? = nil) {
        self.method = method; self.url = url; self.status = status; self.headers = headers; self.body = body
        self.truncated = truncated
    }

    /// Sets `body` from the bytes received: whole up to `cap`, else the first `cap` bytes at most (cut before an
    /// incomplete UTF-8 character) with `truncated` holding the size and SHA-256 of all of `bytes`.
    public mutating func setBody(_ bytes: [UInt8], cap: Int = Message.bodyLogCap) {
        if bytes.count <= cap {
            body = String(decoding: bytes, as: UTF8.self)
            truncated = nil
        } else {
            setBody(prefix: bytes, size: bytes.count, sha256: Digest.sha256(bytes), cap: cap)
        }
    }

    /// Sets `body` from the first bytes of a body that was not kept whole (`size` bytes in all, SHA-256 `sha256`):
    /// at most `cap` of them are logged, and `truncated` says so (also when `prefix` itself is under the cap).
    public mutating func setBody(prefix: [UInt8], size: Int, sha256: [UInt8], cap: Int = Message.bodyLogCap) {
        var end = min(prefix.count, cap)
        if end < prefix.count || size > prefix.count {
            // Do not split a UTF-8 sequence: step back over continuation bytes to the start of the cut character,
            // and drop that character unless it is complete.
            var i = end
            while i > 0 && i > end - 3 && prefix[i - 1] & 0xC0 == 0x80 { i -= 1 }
            if i > 0 {
                let lead = prefix[i - 1]
                let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                if end - (i - 1) < need { end = i - 1 }
            }
        }
        body = String(decoding: prefix[0..<end], as: UTF8.self)
        truncated = TruncatedBody(size: size, sha256: Digest.hex(sha256))
    }

    /// "body truncated in the log (1048576 bytes, sha256 3f2a…)", for messages about a body the log holds only in part.
    public var truncationNote: String? {
        truncated.map { "body truncated in the log (\($0.size) bytes, sha256 \($0.sha256))" }
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { PathBytes.sameHeaderName($0.name, name) }?.value
    }

    /// The URL's path (without query), or the URL itself when it is already a path.
    public var path: String { PathBytes.path(ofURL: url) }

    /// The body parsed as JSON, when it is JSON (never for a truncated body: its first bytes are not the document).
    public var json: JSONValue? {
        guard !body.isEmpty, truncated == nil else { return nil }
        return try? JSONValue.parse(body)
    }
}

/// What a log line says about a body it holds only in part.
public struct TruncatedBody: Sendable, Equatable {
    /// The whole body's size in bytes, as received.
    public var size: Int
    /// SHA-256 of the whole body as received (before redaction), lowercase hex.
    public var sha256: String
    /// Creates the description.
    public init(size: Int, sha256: String) { self.size = size; self.sha256 = sha256 }
}

/// What a `repeats` line counts: exchanges identical to line `of` (same kind, record, method, target, body size
/// and SHA-256, status and answer body) that were not logged one by one. Headers may have differed.
public struct Repeats: Sendable, Equatable {
    /// `seq` of the first line of the flood, the exchange repeated.
    public var of: Int
    /// How many exchanges this line counts (not counting line `of` or earlier `repeats` lines).
    public var count: Int
    /// When the last of them started, seconds since 1970 (the line's `startedAt` is when the first started).
    public var lastAt: Double
    /// Creates a count.
    public init(of: Int, count: Int, lastAt: Double) { self.of = of; self.count = count; self.lastAt = lastAt }
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

/// A request body parsed as JSON ahead of its evaluation (by a reader thread): what `Message.json` gives, nil when the
/// body is empty, truncated or not JSON.
public struct ParsedBody: Sendable {
    /// The body's JSON.
    public let json: JSONValue?
    /// Wraps a parsed body.
    public init(_ json: JSONValue?) { self.json = json }
}
