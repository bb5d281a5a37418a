import Foundation

/// Reads HAR 1.2 captures (browsers, mitmproxy, Charles, Postman) into log entries.
///
/// Each entry is classified: a JSON body with `eventId` and `eventType` is a webhook (Otter → partner),
/// `…/v1/auth/token` is a token call, and any other `/v1/…` or `/manager/…` path is a call to the
/// Public API. Anything else is counted as unclassified and left out. Secrets are redacted on the way in.
public enum HARImporter {
    /// The entries of a capture, in file order, and how many were left out as unclassified.
    public static func entries(from bytes: [UInt8], redactor: Redactor) throws(LogError) -> (entries: [LogEntry], unclassified: Int) {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw LogError(line: error.line, message: "not a HAR file (invalid JSON): \(error.description)") }
        guard let log = root["log"]?.objectValue else { throw LogError(line: 1, message: "not a HAR file: no top-level 'log' object") }
        guard case .array(let items)? = log["entries"] else { throw LogError(line: 1, message: "not a HAR file: 'log.entries' must be an array") }
        var out: [LogEntry] = []
        var unclassified = 0
        for (i, item) in items.enumerated() {
            let n = i + 1
            func fail(_ m: String) -> LogError { LogError(line: n, message: "HAR entry \(n): \(m)") }
            guard case .object(let e) = item else { throw fail("expected an object") }
            guard let req = e["request"]?.objectValue, let method = req["method"]?.stringValue, let url = req["url"]?.stringValue else {
                throw fail("needs request.method and request.url")
            }
            guard let started = e["startedDateTime"]?.stringValue, let t = Timestamp.parse(started) else {
                throw fail("startedDateTime is missing or not an ISO 8601 time")
            }
            let requestBody = text(req["postData"]?["text"], encoding: req["postData"]?["encoding"]?.stringValue)
            var request = Message(method: method.uppercased(), url: url, headers: headers(req["headers"]), body: requestBody)
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
            } else {
                unclassified += 1
                continue
            }
            request.headers = redactor.headers(request.headers)
            request.body = redactor.body(request.body)
            if var r = response { r.headers = redactor.headers(r.headers); r.body = redactor.body(r.body); response = r }
            let duration = e["time"]?.doubleValue ?? 0
            out.append(LogEntry(seq: n, direction: kind == .webhook ? .otterToPartner : .partnerToOtter, kind: kind, startedAt: t,
                                durationMs: max(0, duration), request: request, response: response, error: failure))
        }
        return (out, unclassified)
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
