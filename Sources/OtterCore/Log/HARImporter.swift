import Foundation

/// What a HAR capture held: its entries in file order, and what a reader must know about the capture as a whole.
public struct HARImport: Sendable {
    /// The classified entries, redacted, in file order; `seq` is the entry's number in the capture (1-based).
    public var entries: [LogEntry]
    /// Entries that were neither a webhook nor an Otter API call, left out.
    public var unclassified: Int
    /// Warnings about the capture as a whole, each said once (not once per entry).
    public var warnings: [String]
    /// Why bearer tokens cannot be judged from this capture (its Authorization headers were stripped), or nil.
    public var bearerUnavailable: String?

    /// Creates an import.
    public init(entries: [LogEntry] = [], unclassified: Int = 0, warnings: [String] = [], bearerUnavailable: String? = nil) {
        self.entries = entries; self.unclassified = unclassified; self.warnings = warnings; self.bearerUnavailable = bearerUnavailable
    }
}

/// Reads HAR 1.2 captures (browsers, mitmproxy, Charles, Postman) into log entries.
///
/// Each entry is classified: a JSON body with `eventId` and `eventType` is a webhook (Otter → partner),
/// `…/v1/auth/token` is a token call, and any other `/v1/…` or `/manager/…` path is a call to the
/// Public API. Anything else is counted as unclassified and left out. Secrets are redacted on the way in.
///
/// Captures as tools write them are accepted: a UTF-8 byte order mark, form bodies given only as
/// `postData.params`, `startedDateTime` without a UTC offset (read as UTC, with one warning), and
/// Authorization headers removed by the tool's sanitizer (one warning; bearer checks are then not judged).
public enum HARImporter {
    /// The entries of a capture, in file order, and how many were left out as unclassified.
    public static func entries(from bytes: [UInt8], redactor: Redactor) throws(LogError) -> (entries: [LogEntry], unclassified: Int) {
        let r = try read(bytes, redactor: redactor)
        return (r.entries, r.unclassified)
    }

    /// The `run` facts an event log converted from a capture starts with: the redaction salt, where it came from,
    /// and the capture's warnings and `bearerUnavailable`, so observing that log judges what observing the capture did.
    public static func runNote(_ imported: HARImport, salt: String, capture: String) -> RunNote {
        var extra = JSONObject([("importedFrom", .string("har")), ("capture", .string(capture))])
        if let why = imported.bearerUnavailable { extra["bearerUnavailable"] = .string(why) }
        if !imported.warnings.isEmpty { extra["importWarnings"] = .array(imported.warnings.map { .string($0) }) }
        return RunNote(redactionSalt: salt, extra: extra)
    }

    /// What `runNote` stored, read back from an event log's `run` line: its warnings and `bearerUnavailable`.
    public static func importFacts(_ run: RunNote) -> (warnings: [String], bearerUnavailable: String?) {
        guard run.extra["importedFrom"]?.stringValue == "har" else { return ([], nil) }
        return (run.extra["importWarnings"]?.arrayValue?.compactMap(\.stringValue) ?? [], run.extra["bearerUnavailable"]?.stringValue)
    }

    /// Reads a capture held whole in memory: its entries, the entries left out, and the warnings about it.
    /// (`HARStreamReader` reads one as it arrives, an entry at a time.)
    public static func read(_ bytes: [UInt8], redactor: Redactor) throws(LogError) -> HARImport {
        var reader = HARStreamReader(redactor: redactor)
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        var entries: [LogEntry] = []
        let result: Result<Void, LogError> = bytes.withUnsafeBytes { raw in
            do throws(LogError) {
                entries += try reader.feed(UnsafeRawBufferPointer(rebasing: raw[(hasBOM ? 3 : 0)...]))
                entries += try reader.finish()
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
        var out = reader.summary
        out.entries = entries
        return out
    }

    /// What the entries of a capture said about it as a whole, counted as they are read.
    struct Tally: Sendable {
        var unclassified = 0
        var localTimes = 0
        var firstLocalTime: (entry: Int, text: String)?
        var calls = 0, callsWithAuthorization = 0

        /// The capture's warnings and `bearerUnavailable`, once every entry was counted.
        var summary: HARImport {
            var out = HARImport(unclassified: unclassified)
            if let first = firstLocalTime {
                let which = localTimes == 1 ? "HAR entry \(first.entry) has" : "\(localTimes) HAR entries have"
                out.warnings.append("\(which) a startedDateTime without a UTC offset (first: entry \(first.entry), '\(short(first.text, 40))'); "
                                    + "read as UTC: if the tool wrote local time, deadlines are still judged right but the times shown are shifted")
            }
            if calls > 0 && callsWithAuthorization == 0 {
                let why = "none of the capture's \(calls) call(s) to the Otter API carries an Authorization header (the recording tool's "
                    + "sanitizer strips it), so bearer-token checks cannot be judged from this capture"
                out.bearerUnavailable = why
                out.warnings.append(why)
            }
            return out
        }
    }

    /// One element of `log.entries` (entry `n`, 1-based) as a redacted log entry, or nil when it is neither a webhook
    /// nor an Otter API call (counted in `tally`).
    static func entry(_ item: JSONValue, number n: Int, redactor: Redactor, tally: inout Tally) throws(LogError) -> LogEntry? {
        func fail(_ m: String) -> LogError { LogError(line: n, message: "HAR entry \(n): \(m)") }
        guard case .object(let e) = item else { throw fail("expected an object") }
        guard let req = e["request"]?.objectValue, let method = req["method"]?.stringValue, let url = req["url"]?.stringValue else {
            throw fail("needs request.method and request.url")
        }
        guard let started = e["startedDateTime"]?.stringValue else { throw fail("startedDateTime is missing (or not a string)") }
        let t: Double
        if let utc = Timestamp.parse(started) {
            t = utc
        } else if let local = Timestamp.parse(started + "Z") {
            // No UTC offset: the time is read as UTC, and the capture gets one warning for all such entries.
            t = local
            tally.localTimes += 1
            if tally.firstLocalTime == nil { tally.firstLocalTime = (n, started) }
        } else {
            throw fail("startedDateTime '\(short(started, 40))' is not an ISO 8601 time")
        }
        let requestBody = try postData(req["postData"], fail)
        let request = Message(method: method.uppercased(), url: url, headers: headers(req["headers"]), body: requestBody)
        var response: Message?
        var failure: TransportFailure?
        if let resp = e["response"]?.objectValue, let status = resp["status"]?.intValue, status > 0 {
            guard (100...599).contains(status) else { throw fail("response.status \(status) is not an HTTP status") }
            response = Message(status: status, headers: headers(resp["headers"]),
                               body: text(resp["content"]?["text"], encoding: resp["content"]?["encoding"]?.stringValue))
        } else {
            failure = TransportFailure(kind: "other", message: e["response"]?["_error"]?.stringValue ?? "no response in the capture")
        }
        let kind: LogEntry.Kind
        let path = request.path
        if let j = try? JSONValue.parse(requestBody), j["eventId"]?.stringValue != nil, j["eventType"]?.stringValue != nil {
            kind = .webhook
        } else if path.hasSuffix("/v1/auth/token") {
            kind = .token
        } else if path.hasPrefix("/v1/") || path.hasPrefix("/manager/") || path.contains("/v1/") {
            kind = .callback
            tally.calls += 1
            if request.header("Authorization") != nil { tally.callsWithAuthorization += 1 }
        } else {
            tally.unclassified += 1
            return nil
        }
        let duration = e["time"]?.doubleValue ?? 0
        // Redacted whole: URL, headers, bodies (a webhook whose body had to change is tagged, so its signature is
        // not judged as wrong), the transport error.
        return redactor.entry(LogEntry(seq: n, direction: kind == .webhook ? .otterToPartner : .partnerToOtter, kind: kind, startedAt: t,
                                       durationMs: max(0, duration), request: request, response: response, error: failure))
    }

    /// The request body: `postData.text`, or the form rebuilt from `postData.params` when the tool gave only those.
    private static func postData(_ v: JSONValue?, _ fail: (String) -> LogError) throws(LogError) -> String {
        guard let pd = v, case .object = pd else { return "" }
        let body = text(pd["text"], encoding: pd["encoding"]?.stringValue)
        guard body.isEmpty, let params = pd["params"] else { return body }
        guard case .array(let items) = params else { throw fail("postData.params must be an array") }
        var pairs: [String] = []
        for (j, p) in items.enumerated() {
            guard let name = p["name"]?.stringValue else { throw fail("postData.params[\(j)] needs a string 'name'") }
            pairs.append(formEncode(name) + "=" + formEncode(p["value"]?.stringValue ?? ""))
        }
        return pairs.joined(separator: "&")
    }

    /// Percent-encodes a form name or value: everything but the unreserved characters of RFC 3986.
    static func formEncode(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
            }
        }
        return out
    }

    private static func headers(_ v: JSONValue?) -> [(name: String, value: String)] {
        (v?.arrayValue ?? []).compactMap { h in
            guard let n = h["name"]?.stringValue, let v = h["value"]?.stringValue else { return nil }
            if n.hasPrefix(":") { return nil }   // HTTP/2 pseudo-headers
            return (n, v)
        }
    }

    private static func text(_ v: JSONValue?, encoding: String?) -> String {
        guard let s = v?.stringValue else { return "" }
        if encoding == "base64", let d = Data(base64Encoded: s) { return String(decoding: d, as: UTF8.self) }
        return s
    }
}
