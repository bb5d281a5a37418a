/// The direct decoder of the common event-log line: one pass over the bytes fills a `LogEntry` without building a
/// `JSONValue` tree of the envelope. It takes only exchange lines of the usual shape (`webhook`, `token`, `callback`
/// and `end` lines, keys without escapes, each key once, values of the expected types, no `bodyBase64` or truncated
/// bodies) and gives nil for anything else, valid or not: `LogCodec` then decodes the line with the tree decoder,
/// which gives the same entry or the precise error. Whatever it accepts is strict JSON (the same string, number and
/// nesting rules as `JSONParser`), and its entry equals the tree decoder's.
extension JSONParser {
    /// The entry of `bytes`, or nil when the line is not of the common shape (or is not valid).
    static func decodeLogEntry(_ bytes: UnsafeRawBufferPointer, lineNumber: Int) -> LogEntry? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var parser = JSONParser(base, bytes.count)
        do { return try parser.logEntry(lineNumber: lineNumber) } catch { return nil }
    }

    private static let quote = UInt8(ascii: "\""), colon = UInt8(ascii: ":"), comma = UInt8(ascii: ",")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")

    /// At an object key's opening quote: steps past the key and its colon, returns the key's bytes (nil for a key with
    /// an escape, or no colon).
    private mutating func key() throws(JSONParseError) -> UnsafeRawBufferPointer? {
        guard i < n, byte(i) == Self.quote else { return nil }
        i += 1
        let start = i
        while i < n {
            let c = byte(i)
            if c == Self.quote { break }
            // Escapes and non-ASCII keys are not among the keys read here: the tree decoder sees them.
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return nil }
            i += 1
        }
        guard i < n else { return nil }
        let k = UnsafeRawBufferPointer(start: p + start, count: i - start)
        i += 1
        skipWhitespace()
        guard i < n, byte(i) == Self.colon else { return nil }
        i += 1
        skipWhitespace()
        return i < n ? k : nil
    }

    @inline(__always) private static func same(_ k: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard k.count == count else { return false }
        let w = name.utf8Start
        for j in 0..<count where k[j] != w[j] { return false }
        return true
    }

    /// Marks a key as seen; false when it was already (a repeated key: the tree decoder keeps the last value).
    @inline(__always) private static func first(_ seen: inout UInt32, _ bit: UInt32) -> Bool {
        if seen & bit != 0 { return false }
        seen |= bit
        return true
    }

    private mutating func stringValue() throws(JSONParseError) -> String? {
        guard byte(i) == Self.quote else { return nil }
        i += 1
        return try parseString()
    }

    private mutating func numberValue() throws(JSONParseError) -> Double? {
        let c = byte(i)
        guard c == UInt8(ascii: "-") || (c &- UInt8(ascii: "0")) < 10 else { return nil }
        return try parseNumber()
    }

    /// A time in a string without escapes, read in place (nil for anything else).
    private mutating func timestamp() -> Double? {
        guard byte(i) == Self.quote else { return nil }
        let start = i + 1
        var j = start
        while j < n {
            let c = byte(j)
            if c == Self.quote { break }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return nil }
            j += 1
        }
        guard j < n else { return nil }
        i = j + 1
        return Timestamp.parse(utf8: UnsafeBufferPointer(start: (p + start).assumingMemoryBound(to: UInt8.self), count: j - start))
    }

    /// After a member: true at the closing brace (consumed), false after a comma (whitespace skipped).
    private mutating func objectGoesOn() throws(JSONParseError) -> Bool {
        !(try endOfElement(Self.closeBrace, after: "object member"))
    }

    private mutating func logEntry(lineNumber: Int) throws(JSONParseError) -> LogEntry? {
        skipWhitespace()
        guard i < n, byte(i) == Self.openBrace else { return nil }
        i += 1
        depth = 1
        skipWhitespace()
        var seen: UInt32 = 0
        var seq: Int?, record: String?, step: String?, direction: LogEntry.Direction?, kind: LogEntry.Kind?
        var startedAt: Double?, durationMs = 0.0, attempt: Int?, tags: [String] = []
        var request: Message?, response: Message?
        repeat {
            guard let k = try key() else { return nil }
            if Self.same(k, "v") {
                guard Self.first(&seen, 1), let v = try numberValue(), Int(exactly: v) == LogCodec.version else { return nil }
            } else if Self.same(k, "seq") {
                guard Self.first(&seen, 2), let v = try numberValue(), let s = Int(exactly: v) else { return nil }
                seq = s
            } else if Self.same(k, "record") {
                guard Self.first(&seen, 4), let s = try stringValue() else { return nil }
                record = s
            } else if Self.same(k, "step") {
                guard Self.first(&seen, 8), let s = try stringValue() else { return nil }
                step = s
            } else if Self.same(k, "dir") {
                guard Self.first(&seen, 16), let s = try stringValue(), let d = LogEntry.Direction(rawValue: s) else { return nil }
                direction = d
            } else if Self.same(k, "kind") {
                guard Self.first(&seen, 32), let s = try stringValue(), let kd = LogEntry.Kind(rawValue: s),
                      kd == .webhook || kd == .callback || kd == .token || kd == .end else { return nil }
                kind = kd
            } else if Self.same(k, "startedAt") {
                guard Self.first(&seen, 64), let t = timestamp() else { return nil }
                startedAt = t
            } else if Self.same(k, "durationMs") {
                guard Self.first(&seen, 128), let v = try numberValue() else { return nil }
                durationMs = v
            } else if Self.same(k, "attempt") {
                guard Self.first(&seen, 256), let v = try numberValue(), let a = Int(exactly: v) else { return nil }
                attempt = a
            } else if Self.same(k, "tags") {
                guard Self.first(&seen, 512), let t = try stringArray() else { return nil }
                tags = t
            } else if Self.same(k, "request") {
                guard Self.first(&seen, 1024), let m = try message(isRequest: true) else { return nil }
                request = m
            } else if Self.same(k, "response") {
                guard Self.first(&seen, 2048), let m = try message(isRequest: false) else { return nil }
                response = m
            } else if Self.same(k, "error") || Self.same(k, "action") || Self.same(k, "run") || Self.same(k, "repeats") {
                return nil
            } else {
                // A key the decoder does not read: validated, then dropped, as the tree decoder does. Repeats of it
                // are harmless (its value is not used).
                _ = try parseValue()
            }
        } while try objectGoesOn()
        depth = 0
        skipWhitespace()
        guard i == n, let kind, let startedAt else { return nil }
        if kind != .end {
            guard request != nil else { return nil }
            if direction == nil { direction = kind == .webhook ? .otterToPartner : .partnerToOtter }
        }
        var entry = LogEntry(seq: seq ?? lineNumber, record: record, step: step, direction: direction, kind: kind,
                             startedAt: startedAt, durationMs: durationMs, attempt: attempt)
        entry.request = request
        entry.response = response
        entry.tags = tags
        return entry
    }

    /// `[ "a", "b" ]`, or nil for anything else.
    private mutating func stringArray() throws(JSONParseError) -> [String]? {
        guard byte(i) == Self.openBracket else { return nil }
        i += 1
        skipWhitespace()
        var out: [String] = []
        guard i < n else { return nil }
        if byte(i) == Self.closeBracket { i += 1; return out }
        repeat {
            guard i < n, let s = try stringValue() else { return nil }
            out.append(s)
        } while !(try endOfElement(Self.closeBracket, after: "array element"))
        return out
    }

    /// A request or response object of the usual shape, or nil.
    private mutating func message(isRequest: Bool) throws(JSONParseError) -> Message? {
        guard byte(i) == Self.openBrace else { return nil }
        i += 1
        depth = 2
        skipWhitespace()
        var msg = Message()
        var seen: UInt32 = 0
        repeat {
            guard let k = try key() else { return nil }
            if isRequest && Self.same(k, "method") {
                guard Self.first(&seen, 1), let s = try stringValue() else { return nil }
                msg.method = s
            } else if isRequest && Self.same(k, "url") {
                guard Self.first(&seen, 2), let s = try stringValue() else { return nil }
                msg.url = s
            } else if !isRequest && Self.same(k, "status") {
                guard Self.first(&seen, 1), let v = try numberValue(), let st = Int(exactly: v), (100...599).contains(st) else { return nil }
                msg.status = st
            } else if Self.same(k, "headers") {
                guard Self.first(&seen, 4), let hs = try headerPairs() else { return nil }
                msg.headers = hs
            } else if Self.same(k, "body") {
                guard Self.first(&seen, 8), let s = try stringValue() else { return nil }
                msg.body = s
            } else if Self.same(k, "bodyBase64") || Self.same(k, "bodyTruncated") || Self.same(k, "bodySize") || Self.same(k, "bodySha256") {
                return nil
            } else {
                _ = try parseValue()
            }
        } while try objectGoesOn()
        depth = 1
        guard seen & (isRequest ? 3 : 1) == (isRequest ? 3 : 1) else { return nil }
        return msg
    }

    /// `[["name", "value"], ...]`, or nil for anything else.
    private mutating func headerPairs() throws(JSONParseError) -> [(name: String, value: String)]? {
        guard byte(i) == Self.openBracket else { return nil }
        i += 1
        skipWhitespace()
        var out: [(name: String, value: String)] = []
        guard i < n else { return nil }
        if byte(i) == Self.closeBracket { i += 1; return out }
        repeat {
            guard i < n, byte(i) == Self.openBracket else { return nil }
            i += 1
            skipWhitespace()
            guard i < n, let name = try stringValue() else { return nil }
            skipWhitespace()
            guard i < n, byte(i) == Self.comma else { return nil }
            i += 1
            skipWhitespace()
            guard i < n, let value = try stringValue() else { return nil }
            skipWhitespace()
            guard i < n, byte(i) == Self.closeBracket else { return nil }
            i += 1
            out.append((name, value))
        } while !(try endOfElement(Self.closeBracket, after: "array element"))
        return out
    }
}
