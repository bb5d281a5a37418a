/// A strict RFC 8259 parser over raw bytes.
///
/// Rejects trailing commas, comments, leading zeros, NaN/Infinity, invalid UTF-8, lone
/// surrogates and trailing data; nesting is limited to `maxDepth` (an error, never a crash).
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 512

    let p: UnsafeRawPointer
    let n: Int
    var i = 0
    var depth = 0
    private var scratch: [UInt8] = []

    init(_ p: UnsafeRawPointer, _ n: Int) {
        self.p = p
        self.n = n
    }

    /// Parses one JSON text occupying all of `bytes` (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(offset: 0, line: 1, column: 1, message: "unexpected end of input")
        }
        var parser = JSONParser(base, bytes.count)
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.i < parser.n { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    // MARK: Errors

    private func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let off = min(offset ?? i, n)
        var line = 1
        var column = 1
        var k = 0
        while k < off {
            let c = byte(k)
            if c == 0x0A {
                line += 1
                column = 1
            } else if c & 0xC0 != 0x80 {
                column += 1
            }
            k += 1
        }
        return JSONParseError(offset: off, line: line, column: column, message: message)
    }

    private func eof() -> JSONParseError { error("unexpected end of input", at: n) }

    private static func show(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        let hex = String(c, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }

    // MARK: Bytes

    @inline(__always) func byte(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }

    @inline(__always) mutating func skipWhitespace() {
        while i < n {
            let c = byte(i)
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard i < n else { throw eof() }
        switch byte(i) {
        case UInt8(ascii: "\""):
            i += 1
            return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case let c:
            throw error("expected a JSON value, found \(Self.show(c))")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let start = i
        let len = word.utf8CodeUnitCount
        let w = word.utf8Start
        for k in 0..<len {
            guard start + k < n else { throw eof() }
            if byte(start + k) != w[k] { throw error("invalid literal; expected '\(word)'", at: start) }
        }
        i = start + len
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting depth exceeds \(Self.maxDepth)") }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        skipWhitespace()
        guard i < n else { throw eof() }
        var elements: [JSONValue] = []
        if byte(i) == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            if try endOfElement(UInt8(ascii: "]"), after: "array element") { break }
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        skipWhitespace()
        guard i < n else { throw eof() }
        var object = JSONObject(capacity: 8)
        if byte(i) == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard i < n else { throw eof() }
            guard byte(i) == UInt8(ascii: "\"") else { throw error("expected '\"' to begin an object key") }
            i += 1
            let key = try parseString()
            skipWhitespace()
            guard i < n else { throw eof() }
            guard byte(i) == UInt8(ascii: ":") else { throw error("expected ':' after object key") }
            i += 1
            let value = try parseValue()
            object.upsert(key, value)
            if try endOfElement(UInt8(ascii: "}"), after: "object member") { break }
        }
        depth -= 1
        return .object(object)
    }

    /// After an array element or object member: consumes `,` (more follow: false) or the closing byte (true).
    @inline(__always)
    mutating func endOfElement(_ close: UInt8, after what: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard i < n else { throw eof() }
        let c = byte(i)
        if c == UInt8(ascii: ",") {
            i += 1
            skipWhitespace()
            if i < n && byte(i) == close { throw error("trailing comma before '\(Character(Unicode.Scalar(close)))'") }
            return false
        }
        if c == close {
            i += 1
            return true
        }
        throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' after \(what)")
    }

    // MARK: Strings

    /// Parses string contents; `i` is just past the opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = i
        while i < n {
            let c = byte(i)
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(start: p + start, count: i - start), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { return try parseEscapedString(start: start) }
            if c < 0x20 { throw controlCharacter(c) }
            if c < 0x80 {
                i += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw eof()
    }

    private func controlCharacter(_ c: UInt8) -> JSONParseError {
        let hex = String(c, radix: 16, uppercase: true)
        return error("unescaped control character U+" + String(repeating: "0", count: 4 - hex.count) + hex + " in string")
    }

    /// Validates one multi-byte UTF-8 sequence at `i` and steps over it.
    @inline(__always) private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let c = byte(i)
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        let len: Int
        switch c {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: throw error("invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true)) in string")
        }
        for k in 1..<len {
            guard i + k < n else { throw eof() }
            let d = byte(i + k)
            let (a, b): (UInt8, UInt8) = k == 1 ? (lo, hi) : (0x80, 0xBF)
            if d < a || d > b {
                throw error("invalid UTF-8 sequence in string", at: i)
            }
        }
        i += len
    }

    private mutating func parseEscapedString(start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while i < n {
            let c = byte(i)
            if c == UInt8(ascii: "\"") {
                appendRun(from: runStart)
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                appendRun(from: runStart)
                try parseEscape()
                runStart = i
            } else if c < 0x20 {
                throw controlCharacter(c)
            } else if c < 0x80 {
                i += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw eof()
    }

    @inline(__always) private mutating func appendRun(from runStart: Int) {
        if i > runStart {
            scratch.append(contentsOf: UnsafeRawBufferPointer(start: p + runStart, count: i - runStart))
        }
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONParseError) {
        let escStart = i
        i += 1
        guard i < n else { throw eof() }
        let c = byte(i)
        i += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let u = try hex4()
            var scalar: UInt32
            if u >= 0xD800 && u <= 0xDBFF {
                guard i < n else { throw eof() }
                guard byte(i) == UInt8(ascii: "\\") else { throw loneHigh(u, at: escStart) }
                guard i + 1 < n else { throw eof() }
                guard byte(i + 1) == UInt8(ascii: "u") else { throw loneHigh(u, at: escStart) }
                i += 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw loneHigh(u, at: escStart) }
                scalar = 0x10000 + ((UInt32(u) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if u >= 0xDC00 && u <= 0xDFFF {
                throw error("lone surrogate \\u\(Self.hex(u)) (low surrogate without a high one)", at: escStart)
            } else {
                scalar = UInt32(u)
            }
            appendScalar(scalar)
        default:
            if c < 0x80 && c >= 0x20 {
                throw error("invalid escape sequence '\\\(Character(Unicode.Scalar(c)))'", at: escStart)
            }
            throw error("invalid escape sequence", at: escStart)
        }
    }

    private func loneHigh(_ u: UInt16, at offset: Int) -> JSONParseError {
        error("lone surrogate \\u\(Self.hex(u)) (high surrogate not followed by a low one)", at: offset)
    }

    private static func hex(_ u: UInt16) -> String {
        let h = String(u, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - h.count) + h
    }

    private mutating func hex4() throws(JSONParseError) -> UInt16 {
        var v: UInt16 = 0
        for _ in 0..<4 {
            guard i < n else { throw eof() }
            let c = byte(i)
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c &- 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- 55
            default: throw error("invalid \\u escape: expected 4 hex digits")
            }
            v = v << 4 | UInt16(d)
            i += 1
        }
        return v
    }

    private mutating func appendScalar(_ s: UInt32) {
        switch s {
        case 0..<0x80:
            scratch.append(UInt8(s))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (s >> 6)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (s >> 12)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (s >> 18)))
            scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    // MARK: Numbers

    private static let powersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always) private func isDigit(_ k: Int) -> Bool {
        k < n && byte(k) &- UInt8(ascii: "0") < 10
    }

    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = i
        var negative = false
        if byte(i) == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < n else { throw eof() }
        var mantissa: UInt64 = 0
        var exact = true  // mantissa holds every digit and stays below 2^53
        @inline(__always) func add(_ d: UInt8) {
            if mantissa >= 900_719_925_474_099 { exact = false } else { mantissa = mantissa &* 10 &+ UInt64(d) }
        }
        if byte(i) == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw error("leading zeros are not allowed", at: start) }
        } else if isDigit(i) {
            while isDigit(i) {
                add(byte(i) &- 48)
                i += 1
            }
        } else {
            throw error("expected digit after '-'")
        }
        var fractionDigits = 0
        if i < n && byte(i) == UInt8(ascii: ".") {
            i += 1
            guard i < n else { throw eof() }
            guard isDigit(i) else { throw error("expected digit after '.'") }
            while isDigit(i) {
                add(byte(i) &- 48)
                if exact { fractionDigits += 1 }
                i += 1
            }
        }
        var exponent = 0
        if i < n && (byte(i) | 0x20) == UInt8(ascii: "e") {
            i += 1
            guard i < n else { throw eof() }
            var expNegative = false
            if byte(i) == UInt8(ascii: "+") || byte(i) == UInt8(ascii: "-") {
                expNegative = byte(i) == UInt8(ascii: "-")
                i += 1
            }
            guard i < n else { throw eof() }
            guard isDigit(i) else { throw error("expected digit in exponent") }
            while isDigit(i) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte(i) &- 48) }
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        if exact {
            let e10 = exponent - fractionDigits
            var value = Double(mantissa)
            if mantissa == 0 {
                return negative ? -0.0 : 0.0
            }
            if e10 == 0 {
                return negative ? -value : value
            } else if e10 > 0 && e10 <= 22 {
                value *= Self.powersOf10[e10]
                return negative ? -value : value
            } else if e10 < 0 && e10 >= -22 {
                value /= Self.powersOf10[-e10]
                return negative ? -value : value
            }
        }
        let text = String(decoding: UnsafeRawBufferPointer(start: p + start, count: i - start), as: UTF8.self)
        guard let value = Double(text) else { throw error("invalid number", at: start) }
        if !value.isFinite { throw error("number out of range", at: start) }
        return value
    }
}

extension JSONValue {
    /// Parses one JSON text from raw UTF-8 bytes (RFC 8259, strict).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// Parses one JSON text from UTF-8 bytes (RFC 8259, strict).
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { raw in
            do throws(JSONParseError) { return .success(try JSONParser.parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses one JSON text from a string (RFC 8259, strict).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { buffer in
            do throws(JSONParseError) {
                return .success(try JSONParser.parse(UnsafeRawBufferPointer(buffer)))
            } catch { return .failure(error) }
        }
        return try result.get()
    }
}
