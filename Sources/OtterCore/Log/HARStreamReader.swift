import Foundation

/// Reads a HAR capture as its bytes arrive, one entry at a time, so memory is bounded by the largest entry and not
/// by the capture.
///
/// A small tokenizer walks the document's outer structure (the top-level object, its `log` object, the
/// `log.entries` array), respecting strings and escapes, and finds the byte range of each value at those levels.
/// Each entry is then parsed on its own with the strict JSON parser and classified like `HARImporter.read` does;
/// every other member (`version`, `creator`, `pages`, `comment`, any extension) is parsed the same way, to be
/// validated, and dropped. The whole document must still be one valid JSON text: syntax errors anywhere are reported
/// with their line and column in the file, as the parser would for the whole file.
///
/// A UTF-8 byte order mark is not JSON: the caller skips it. Feed the bytes in order with `feed` (chunks may split anything, even a UTF-8 sequence), then call `finish`;
/// `summary` then holds the capture's unclassified count, warnings and `bearerUnavailable`. Each byte is scanned
/// once: the work is linear in the capture's size whatever the chunking.
public struct HARStreamReader {
    /// Entries (and other members) larger than this are refused rather than buffered.
    public var maxEntryBytes: Int

    private let redactor: Redactor
    private var tally = HARImporter.Tally()
    /// Bytes not yet consumed, from `buf[keep]`; `pos` is the next byte to scan.
    private var buf: [UInt8] = []
    private var pos = 0
    /// Position of `buf[pos]` in the file: 1-based line, and column in Unicode scalars (as `JSONParseError` counts).
    private var line = 1, col = 1

    /// The containers of the outer structure the tokenizer is inside.
    private enum Level { case root, log, entries }
    private var stack: [Level] = []
    /// What the next token at the current level must be.
    private enum Expect { case document, firstKey, key, colon, memberValue, firstElement, element, commaOrClose, end }
    private var expect: Expect = .document
    private var memberKey = ""
    private var keysSeen: [Set<String>] = []
    private var entryNumber = 0

    /// A value being captured: where it starts, how it is being scanned, and what it is for.
    private struct Capture {
        enum Kind { case string, container, scalar }
        enum Purpose { case key, member, entry }
        var start: Int
        var line: Int, col: Int
        var kind: Kind
        var purpose: Purpose
        var depth = 0
        var inString = false
        var escaped = false
    }
    private var capture: Capture?

    /// Creates a reader that redacts entries with `redactor`.
    public init(redactor: Redactor, maxEntryBytes: Int = 128 << 20) {
        self.redactor = redactor
        self.maxEntryBytes = maxEntryBytes
    }

    /// The capture's warnings, unclassified count and `bearerUnavailable` (meaningful once `finish` returned; its
    /// `entries` are empty: they were returned by `feed` and `finish`).
    public var summary: HARImport { tally.summary }

    /// Bytes held: the part of the input not consumed yet (at most a partial entry and the last chunk, plus up to as
    /// many bytes again before they are dropped).
    public var bufferedBytes: Int { buf.count }

    /// Takes the next bytes of the capture; returns the entries completed by them (classified, redacted), in file order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(LogError) -> [LogEntry] {
        compact()
        buf.append(contentsOf: bytes)
        return try scan(atEnd: false)
    }

    /// Ends the capture: returns the entries still held (a last value ended by the end of the input) and checks that
    /// the document is complete.
    public mutating func finish() throws(LogError) -> [LogEntry] {
        let out = try scan(atEnd: true)
        if expect != .end { throw syntax("unexpected end of input") }
        return out
    }

    // MARK: - Scanning

    /// Drops consumed bytes once they are at least half the buffer, so each byte is moved at most once on average.
    private mutating func compact() {
        let keep = capture?.start ?? pos
        guard keep > 0, keep >= buf.count - keep else { return }
        buf.removeSubrange(0..<keep)
        pos -= keep
        capture?.start -= keep
    }

    private mutating func scan(atEnd: Bool) throws(LogError) -> [LogEntry] {
        var out: [LogEntry] = []
        while true {
            if capture != nil {
                guard continueCapture(atEnd: atEnd) else {
                    if let c = capture, pos - c.start > maxEntryBytes { throw tooLarge(c) }
                    if atEnd, let c = capture {
                        // The value never ends: the parser says where it goes wrong (the end, or an error before it).
                        _ = try deliver(c, end: pos)
                        throw syntax("unexpected end of input")
                    }
                    return out
                }
                let c = capture!
                capture = nil
                // A scalar is parsed with the byte that ended it, so that `-{` is "expected digit after '-'", as the
                // parser says it in the whole file, not the end of input (what follows a scalar is the structure's).
                if let e = try deliver(c, end: c.kind == .scalar ? min(pos + 1, buf.count) : pos) { out.append(e) }
                continue
            }
            guard pos < buf.count else { return out }
            let b = buf[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { advance(b); continue }
            try structure(b)
        }
    }

    @inline(__always) private mutating func advance(_ b: UInt8) {
        pos += 1
        if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
    }

    private mutating func begin(_ purpose: Capture.Purpose, _ b: UInt8) throws(LogError) {
        let kind: Capture.Kind
        switch b {
        case UInt8(ascii: "\""): kind = .string
        case UInt8(ascii: "{"), UInt8(ascii: "["): kind = .container
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): kind = .scalar
        default: throw syntax("expected a JSON value, found \(show(b))")
        }
        var c = Capture(start: pos, line: line, col: col, kind: kind, purpose: purpose)
        if kind != .scalar {
            if kind == .container { c.depth = 1 }
            advance(b)
        }
        capture = c
    }

    /// Scans the value being captured as far as the buffer goes; true once it is complete (`pos` just past it).
    private mutating func continueCapture(atEnd: Bool) -> Bool {
        guard var c = capture else { return true }
        var i = pos, ln = line, cl = col
        let n = buf.count
        var complete = false
        buf.withUnsafeBufferPointer { p in
            switch c.kind {
            case .scalar:
                while i < n {
                    let b = p[i]
                    switch b {
                    case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"),
                         UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "{"):
                        complete = true
                    default: break
                    }
                    if complete { break }
                    i += 1
                    if b & 0xC0 != 0x80 { cl += 1 }
                }
                if atEnd { complete = true }
            case .string, .container:
                var inString = c.kind == .string || c.inString, escaped = c.escaped, depth = c.depth
                while i < n {
                    let b = p[i]
                    i += 1
                    if b == 0x0A { ln += 1; cl = 1 } else if b & 0xC0 != 0x80 { cl += 1 }
                    if inString {
                        if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") {
                            inString = false
                            if c.kind == .string { complete = true; break }
                        }
                    } else if b == UInt8(ascii: "\"") {
                        inString = true
                    } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                        depth += 1
                    } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { complete = true; break }
                    }
                }
                c.inString = inString; c.escaped = escaped; c.depth = depth
            }
        }
        pos = i; line = ln; col = cl
        capture = c
        return complete
    }

    /// A byte of the outer structure (not whitespace, not inside a captured value).
    private mutating func structure(_ b: UInt8) throws(LogError) {
        switch expect {
        case .document:
            guard b == UInt8(ascii: "{") else {
                if b == UInt8(ascii: "[") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "-") || (0x30...0x39).contains(b)
                    || b == UInt8(ascii: "t") || b == UInt8(ascii: "f") || b == UInt8(ascii: "n") {
                    throw LogError(line: line, message: "not a HAR file: no top-level 'log' object")
                }
                throw syntax("expected a JSON value, found \(show(b))")
            }
            open(.root)
        case .firstKey, .key:
            if b == UInt8(ascii: "}") {
                if expect == .key { throw syntax("trailing comma before '}'") }
                try close()
                return
            }
            guard b == UInt8(ascii: "\"") else { throw syntax("expected '\"' to begin an object key") }
            try begin(.key, b)
        case .colon:
            guard b == UInt8(ascii: ":") else { throw syntax("expected ':' after object key") }
            advance(b)
            expect = .memberValue
        case .memberValue:
            let level = stack.last!
            if level == .root && memberKey == "log" {
                guard b == UInt8(ascii: "{") else { throw LogError(line: line, message: "not a HAR file: no top-level 'log' object") }
                open(.log)
            } else if level == .log && memberKey == "entries" {
                guard b == UInt8(ascii: "[") else { throw LogError(line: line, message: "not a HAR file: 'log.entries' must be an array") }
                open(.entries)
            } else {
                try begin(.member, b)
            }
        case .firstElement, .element:
            if b == UInt8(ascii: "]") {
                if expect == .element { throw syntax("trailing comma before ']'") }
                try close()
                return
            }
            try begin(.entry, b)
        case .commaOrClose:
            let level = stack.last!
            let closing = level == .entries ? UInt8(ascii: "]") : UInt8(ascii: "}")
            if b == UInt8(ascii: ",") {
                advance(b)
                expect = level == .entries ? .element : .key
            } else if b == closing {
                try close()
            } else {
                throw syntax("expected ',' or '\(Character(Unicode.Scalar(closing)))' after \(level == .entries ? "array element" : "object member")")
            }
        case .end:
            throw syntax("unexpected data after the JSON value")
        }
    }

    private mutating func open(_ level: Level) {
        advance(buf[pos])
        stack.append(level)
        keysSeen.append([])
        expect = level == .entries ? .firstElement : .firstKey
    }

    private mutating func close() throws(LogError) {
        let level = stack.removeLast()
        let keys = keysSeen.removeLast()
        switch level {
        case .root: if !keys.contains("log") { throw LogError(line: line, message: "not a HAR file: no top-level 'log' object") }
        case .log: if !keys.contains("entries") { throw LogError(line: line, message: "not a HAR file: 'log.entries' must be an array") }
        case .entries: break
        }
        advance(buf[pos])
        expect = stack.isEmpty ? .end : .commaOrClose
    }

    /// Parses a captured value and acts on it: a key is remembered, an entry converted, any other member dropped.
    private mutating func deliver(_ c: Capture, end: Int) throws(LogError) -> LogEntry? {
        let parsed: Result<JSONValue, JSONParseError> = buf.withUnsafeBytes { raw in
            do throws(JSONParseError) { return .success(try JSONValue.parse(UnsafeRawBufferPointer(rebasing: raw[c.start..<end]))) } catch {
                return .failure(error)
            }
        }
        let value: JSONValue
        switch parsed {
        case .success(let v):
            value = v   // (a scalar parsed with the whitespace after it: `pos` stays before it, for the structure)
        case .failure(let e) where c.kind == .scalar && e.message == "unexpected data after the JSON value":
            // `truex`, `1.5.3`: the scalar is what the parser read; what follows is the structure's (an error there).
            pos = c.start + e.offset
            col = c.col + e.offset
            return try deliver(c, end: pos)
        case .failure(let e):
            // The parser's position is within the value: moved to where the value is in the file.
            let l = c.line + e.line - 1, k = e.line == 1 ? c.col + e.column - 1 : e.column
            throw LogError(line: l, message: "not a HAR file (invalid JSON): line \(l), column \(k): \(e.message)")
        }
        switch c.purpose {
        case .key:
            memberKey = value.stringValue ?? ""
            if keysSeen[keysSeen.count - 1].insert(memberKey).inserted == false, (stack.last == .root && memberKey == "log")
                || (stack.last == .log && memberKey == "entries") {
                throw LogError(line: c.line, message: "not a HAR file: '\(stack.last == .root ? "log" : "log.entries")' appears twice")
            }
            expect = .colon
            return nil
        case .member:
            expect = .commaOrClose
            return nil
        case .entry:
            expect = .commaOrClose
            entryNumber += 1
            return try HARImporter.entry(value, number: entryNumber, redactor: redactor, tally: &tally)
        }
    }

    // MARK: - Errors

    private func syntax(_ message: String) -> LogError {
        LogError(line: line, message: "not a HAR file (invalid JSON): line \(line), column \(col): \(message)")
    }

    private func tooLarge(_ c: Capture) -> LogError {
        let mib = maxEntryBytes >> 20
        if c.purpose == .entry { return LogError(line: entryNumber + 1, message: "HAR entry \(entryNumber + 1) is larger than \(mib) MiB") }
        return LogError(line: c.line, message: "not a HAR file: the value at line \(c.line), column \(c.col) is larger than \(mib) MiB")
    }

    private func show(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        let hex = String(c, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}
