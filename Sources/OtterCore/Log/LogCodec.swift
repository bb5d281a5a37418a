import Foundation

/// Reads and writes event-log lines (JSON Lines, one entry per line, format version 1).
public enum LogCodec {
    /// The format version written in every line's `v`.
    public static let version = 1

    /// Decodes one line. `lineNumber` is used as `seq` when the line has none, and in errors.
    public static func decode(line bytes: UnsafeRawBufferPointer, lineNumber: Int) throws(LogError) -> LogEntry {
        // The common exchange line in one pass; anything else (and every error) through the tree.
        if let entry = JSONParser.decodeLogEntry(bytes, lineNumber: lineNumber) { return entry }
        return try decodeTree(line: bytes, lineNumber: lineNumber)
    }

    /// Decodes one line through a parsed `JSONValue` tree: every shape, and the precise error for a malformed line.
    static func decodeTree(line bytes: UnsafeRawBufferPointer, lineNumber: Int) throws(LogError) -> LogEntry {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw LogError(line: lineNumber, message: "not valid JSON: \(error.description)")
        }
        return try decode(value, lineNumber: lineNumber)
    }

    /// Decodes one parsed line.
    public static func decode(_ value: JSONValue, lineNumber: Int) throws(LogError) -> LogEntry {
        func fail(_ m: String) -> LogError { LogError(line: lineNumber, message: m) }
        guard case .object(let o) = value else { throw fail("expected a JSON object, found \(value.typeName)") }
        if let v = o["v"], v.intValue != version { throw fail("unsupported log format version \(v.serialized()); this harness reads version \(version)") }
        guard let kindText = o["kind"]?.stringValue else { throw fail("missing string 'kind'") }
        guard let kind = LogEntry.Kind(rawValue: kindText) else {
            throw fail("unknown kind '\(kindText)' (expected \(LogEntry.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let startedText = o["startedAt"]?.stringValue else { throw fail("missing string 'startedAt'") }
        guard let startedAt = Timestamp.parse(startedText) else { throw fail("'startedAt' is not an RFC 3339 time: '\(startedText)'") }
        var direction: LogEntry.Direction?
        if let d = o["dir"] {
            guard let s = d.stringValue, let dir = LogEntry.Direction(rawValue: s) else {
                throw fail("'dir' must be \"otter->partner\" or \"partner->otter\", got \(d.serialized())")
            }
            direction = dir
        }
        if [.webhook, .token, .callback].contains(kind), direction == nil {
            direction = kind == .webhook ? .otterToPartner : .partnerToOtter
        }
        func message(_ key: String, isRequest: Bool) throws(LogError) -> Message? {
            guard let m = o[key] else { return nil }
            guard case .object(let mo) = m else { throw fail("'\(key)' must be an object") }
            var msg = Message()
            if isRequest {
                guard let method = mo["method"]?.stringValue, let url = mo["url"]?.stringValue else {
                    throw fail("'\(key)' needs string 'method' and 'url'")
                }
                msg.method = method; msg.url = url
            } else {
                guard let st = mo["status"]?.intValue, (100...599).contains(st) else { throw fail("'\(key).status' must be an HTTP status (100-599)") }
                msg.status = st
            }
            if let hs = mo["headers"] {
                guard case .array(let arr) = hs else { throw fail("'\(key).headers' must be an array of [name, value] pairs") }
                for h in arr {
                    guard case .array(let pair) = h, pair.count == 2, let n = pair[0].stringValue, let v = pair[1].stringValue else {
                        throw fail("'\(key).headers' must be an array of [name, value] pairs")
                    }
                    msg.headers.append((n, v))
                }
            }
            if let b = mo["body"] {
                guard let s = b.stringValue else { throw fail("'\(key).body' must be a string") }
                msg.body = s
            } else if let b64 = mo["bodyBase64"]?.stringValue {
                guard let data = Data(base64Encoded: b64) else { throw fail("'\(key).bodyBase64' is not base64") }
                msg.body = String(decoding: data, as: UTF8.self)
            }
            if let t = mo["bodyTruncated"] {
                guard case .bool(let truncated) = t else { throw fail("'\(key).bodyTruncated' must be true or false") }
                if truncated {
                    guard let size = mo["bodySize"]?.intValue, size >= 0 else {
                        throw fail("'\(key).bodySize' must be the truncated body's size in bytes")
                    }
                    guard let sha = mo["bodySha256"]?.stringValue, sha.utf8.count == 64,
                          sha.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                        throw fail("'\(key).bodySha256' must be the truncated body's SHA-256 (64 lowercase hex digits)")
                    }
                    msg.truncated = TruncatedBody(size: size, sha256: sha)
                }
            }
            return msg
        }
        var entry = LogEntry(seq: o["seq"]?.intValue ?? lineNumber, record: o["record"]?.stringValue, step: o["step"]?.stringValue,
                             direction: direction, kind: kind, startedAt: startedAt, durationMs: o["durationMs"]?.doubleValue ?? 0,
                             attempt: o["attempt"]?.intValue)
        entry.request = try message("request", isRequest: true)
        entry.response = try message("response", isRequest: false)
        if [.webhook, .token, .callback].contains(kind), entry.request == nil { throw fail("a \(kind.rawValue) line needs a 'request'") }
        if let e = o["error"]?.objectValue {
            entry.error = TransportFailure(kind: e["kind"]?.stringValue ?? "other", message: e["message"]?.stringValue ?? "")
        }
        entry.tags = o["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if kind == .harness, entry.error == nil { throw fail("a harness line needs 'error': {kind, message}") }
        if kind == .action {
            guard let a = o["action"]?.objectValue, let name = a["name"]?.stringValue, let outcome = a["outcome"]?.stringValue else {
                throw fail("an action line needs 'action': {name, outcome}")
            }
            entry.action = ActionNote(name: name, outcome: outcome, message: a["message"]?.stringValue)
        }
        if kind == .repeats { entry.repeats = try repeatsNote(o, lineNumber: lineNumber) }
        if kind == .run, let r = o["run"]?.objectValue {
            var extra = r
            for k in ["integrationType", "partnerUrl", "storeId", "harness", "checklistVersion", "checklistSha256", "redactionSalt"] { extra[k] = nil }
            entry.run = RunNote(integrationType: r["integrationType"]?.stringValue, partnerURL: r["partnerUrl"]?.stringValue,
                                storeId: r["storeId"]?.stringValue, harness: r["harness"]?.stringValue,
                                checklistVersion: r["checklistVersion"]?.stringValue, checklistSHA256: r["checklistSha256"]?.stringValue,
                                redactionSalt: r["redactionSalt"]?.stringValue, extra: extra)
        }
        return entry
    }

    /// The `repeats` object of a `repeats` line.
    private static func repeatsNote(_ o: JSONObject, lineNumber: Int) throws(LogError) -> Repeats {
        guard let r = o["repeats"]?.objectValue, let of = r["of"]?.intValue, of >= 1, let count = r["count"]?.intValue, count >= 1,
              let lastText = r["lastAt"]?.stringValue else {
            throw LogError(line: lineNumber, message: "a repeats line needs 'repeats': {of: line seq, count >= 1, lastAt}")
        }
        guard let lastAt = Timestamp.parse(lastText) else {
            throw LogError(line: lineNumber, message: "'repeats.lastAt' is not an RFC 3339 time: '\(lastText)'")
        }
        return Repeats(of: of, count: count, lastAt: lastAt)
    }

    /// Encodes an entry as one JSON line (no trailing newline), keys in a fixed order.
    public static func encode(_ e: LogEntry) -> String {
        var o = JSONObject()
        o["v"] = .number(Double(version))
        o["seq"] = .number(Double(e.seq))
        if let r = e.record { o["record"] = .string(r) }
        if let s = e.step { o["step"] = .string(s) }
        if let d = e.direction { o["dir"] = .string(d.rawValue) }
        o["kind"] = .string(e.kind.rawValue)
        o["startedAt"] = .string(Timestamp.format(e.startedAt))
        o["durationMs"] = .number((e.durationMs * 1000).rounded() / 1000)
        if let a = e.attempt { o["attempt"] = .number(Double(a)) }
        if !e.tags.isEmpty { o["tags"] = .array(e.tags.map { .string($0) }) }
        func msg(_ m: Message, isRequest: Bool) -> JSONValue {
            var mo = JSONObject()
            if isRequest { mo["method"] = .string(m.method); mo["url"] = .string(m.url) } else { mo["status"] = .number(Double(m.status)) }
            mo["headers"] = .array(m.headers.map { .array([.string($0.name), .string($0.value)]) })
            mo["body"] = .string(m.body)
            if let t = m.truncated {
                mo["bodyTruncated"] = .bool(true)
                mo["bodySize"] = .number(Double(t.size))
                mo["bodySha256"] = .string(t.sha256)
            }
            return .object(mo)
        }
        if let r = e.request { o["request"] = msg(r, isRequest: true) }
        if let r = e.response { o["response"] = msg(r, isRequest: false) }
        if let err = e.error { o["error"] = .object(JSONObject([("kind", .string(err.kind)), ("message", .string(err.message))])) }
        if let a = e.action {
            var ao = JSONObject([("name", .string(a.name)), ("outcome", .string(a.outcome))])
            if let m = a.message { ao["message"] = .string(m) }
            o["action"] = .object(ao)
        }
        if let r = e.repeats {
            o["repeats"] = .object(JSONObject([("of", .number(Double(r.of))), ("count", .number(Double(r.count))),
                                               ("lastAt", .string(Timestamp.format(r.lastAt)))]))
        }
        if let r = e.run {
            var ro = JSONObject()
            let pairs: [(String, String?)] = [("integrationType", r.integrationType), ("partnerUrl", r.partnerURL), ("storeId", r.storeId),
                                              ("harness", r.harness), ("checklistVersion", r.checklistVersion),
                                              ("checklistSha256", r.checklistSHA256), ("redactionSalt", r.redactionSalt)]
            for (k, v) in pairs { if let v { ro[k] = .string(v) } }
            for (k, v) in r.extra { ro[k] = v }
            o["run"] = .object(ro)
        }
        return JSONValue.object(o).serialized()
    }
}

/// A malformed event-log line.
public struct LogError: Error, Sendable, CustomStringConvertible, Equatable {
    /// 1-based line number (or HAR entry number).
    public var line: Int
    /// What is wrong.
    public var message: String
    /// The file, once known.
    public var file: String?
    /// Creates an error.
    public init(line: Int, message: String, file: String? = nil) { self.line = line; self.message = message; self.file = file }
    public var description: String { "\(file.map { $0 + ":" } ?? "line ")\(line): \(message)" }
}
