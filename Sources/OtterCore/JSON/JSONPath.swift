/// A small JSONPath: `$`, `.name`, `['na me']`, `[0]`, `[-1]` (last), `[*]`, `.*`.
///
/// Paths may also be written without the `$.` prefix ("metadata.payload.id").
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path.
    public enum Segment: Sendable, Hashable {
        /// An object member by name.
        case key(String)
        /// An array element; negative counts from the end (-1 is the last).
        case index(Int)
        /// Every member value of an object or every element of an array.
        case wildcard
    }

    /// The steps from the root.
    public var segments: [Segment]

    /// Creates a path from segments.
    public init(segments: [Segment]) { self.segments = segments }

    /// Parses a path; throws with the position of the first problem.
    public init(_ text: String) throws(JSONPathError) {
        var parser = JSONPathParser(text)
        segments = try parser.parse()
    }

    /// All matches, in document order.
    public func select(in value: JSONValue) -> [JSONValue] {
        var current = [value]
        for segment in segments {
            var next: [JSONValue] = []
            for v in current {
                switch (segment, v) {
                case (.key(let k), .object(let o)):
                    if let m = o[k] { next.append(m) }
                case (.index(let i), .array(let a)):
                    let j = i < 0 ? a.count + i : i
                    if j >= 0 && j < a.count { next.append(a[j]) }
                case (.wildcard, .array(let a)):
                    next.append(contentsOf: a)
                case (.wildcard, .object(let o)):
                    for m in o { next.append(m.value) }
                default:
                    break
                }
            }
            if next.isEmpty { return [] }
            current = next
        }
        return current
    }

    /// The first match in document order, or nil.
    public func first(in value: JSONValue) -> JSONValue? {
        if isSingular {
            var v = value
            for segment in segments {
                switch segment {
                case .key(let k): guard let m = v[k] else { return nil }; v = m
                case .index(let i):
                    guard case .array(let a) = v else { return nil }
                    let j = i < 0 ? a.count + i : i
                    guard j >= 0 && j < a.count else { return nil }
                    v = a[j]
                case .wildcard: return nil
                }
            }
            return v
        }
        return select(in: value).first
    }

    /// True when the path has no wildcards (selects at most one value).
    public var isSingular: Bool { !segments.contains(.wildcard) }

    /// The canonical form, e.g. `$.metadata['na me'][0][*]`.
    public var description: String {
        var s = "$"
        for segment in segments {
            switch segment {
            case .key(let k): s += JSONPath.memberSuffix(k)
            case .index(let i): s += "[\(i)]"
            case .wildcard: s += "[*]"
            }
        }
        return s
    }

    /// `.name` for identifier-like names, else `['escaped']`.
    static func memberSuffix(_ key: String) -> String {
        if isIdentifier(key) { return "." + key }
        var s = "['"
        for c in key.unicodeScalars {
            switch c {
            case "'": s += "\\'"
            case "\\": s += "\\\\"
            default: s.unicodeScalars.append(c)
            }
        }
        return s + "']"
    }

    static func isIdentifier(_ key: String) -> Bool {
        guard let f = key.unicodeScalars.first, !(f >= "0" && f <= "9") else { return false }
        for c in key.unicodeScalars {
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "$" || c == "-"
            if !ok { return false }
        }
        return true
    }
}

/// A JSONPath syntax error: what and where (0-based position in Unicode scalars).
public struct JSONPathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path text.
    public var path: String
    /// 0-based position of the problem, in Unicode scalars.
    public var position: Int
    /// What went wrong.
    public var message: String

    /// "invalid JSONPath 'a..b' at position 2: recursive descent '..' is not supported".
    public var description: String { "invalid JSONPath '\(path)' at position \(position): \(message)" }
}

/// Hand-written recursive-descent parser for `JSONPath`.
private struct JSONPathParser {
    let text: String
    let s: [Unicode.Scalar]
    var i = 0

    init(_ text: String) {
        self.text = text
        s = Array(text.unicodeScalars)
    }

    func fail(_ message: String, at position: Int? = nil) -> JSONPathError {
        JSONPathError(path: text, position: position ?? i, message: message)
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        !(c == "." || c == "[" || c == "]" || c == "'" || c == "\"" || c == "*" || c == " " || c == "\t" || c == "\n" || c == "\r")
    }

    mutating func name() throws(JSONPathError) -> String {
        let start = i
        while i < s.count && Self.isNameChar(s[i]) { i += 1 }
        if i == start {
            if i >= s.count { throw fail("expected a member name") }
            throw fail("unexpected character '\(s[i])'; expected a member name")
        }
        var out = ""
        out.unicodeScalars.append(contentsOf: s[start..<i])
        return out
    }

    mutating func parse() throws(JSONPathError) -> [JSONPath.Segment] {
        var segments: [JSONPath.Segment] = []
        if s.isEmpty { throw fail("empty path") }
        if s[0] == "$" {
            i = 1
        } else if s[0] == "[" {
            // bracket first, e.g. "[0].id"
        } else if s[0] == "." {
            throw fail("a path cannot start with '.'; write '$.name' or 'name'")
        } else {
            segments.append(.key(try name()))
        }
        while i < s.count {
            let c = s[i]
            if c == "." {
                i += 1
                guard i < s.count else { throw fail("expected a member name or '*' after '.'") }
                if s[i] == "." { throw fail("recursive descent '..' is not supported", at: i - 1) }
                if s[i] == "*" {
                    i += 1
                    segments.append(.wildcard)
                } else {
                    segments.append(.key(try name()))
                }
            } else if c == "[" {
                i += 1
                segments.append(try bracket())
            } else {
                throw fail("unexpected character '\(c)'; expected '.' or '['")
            }
        }
        return segments
    }

    mutating func skipSpaces() { while i < s.count && s[i] == " " { i += 1 } }

    mutating func bracket() throws(JSONPathError) -> JSONPath.Segment {
        skipSpaces()
        guard i < s.count else { throw fail("unterminated '['") }
        let segment: JSONPath.Segment
        let c = s[i]
        if c == "*" {
            i += 1
            segment = .wildcard
        } else if c == "'" || c == "\"" {
            let quote = c
            let start = i
            i += 1
            var out = ""
            while true {
                guard i < s.count else { throw fail("unterminated quoted name", at: start) }
                let d = s[i]
                i += 1
                if d == quote { break }
                if d == "\\" {
                    guard i < s.count else { throw fail("unterminated quoted name", at: start) }
                    out.unicodeScalars.append(s[i])
                    i += 1
                } else {
                    out.unicodeScalars.append(d)
                }
            }
            segment = .key(out)
        } else if c == "-" || (c >= "0" && c <= "9") {
            let start = i
            if c == "-" { i += 1 }
            let digitsStart = i
            while i < s.count && s[i] >= "0" && s[i] <= "9" { i += 1 }
            guard i > digitsStart else { throw fail("expected digits in array index", at: start) }
            var t = ""
            t.unicodeScalars.append(contentsOf: s[start..<i])
            guard let n = Int(t) else { throw fail("array index out of range", at: start) }
            segment = .index(n)
        } else {
            throw fail("expected an index, a quoted name or '*' inside '[ ]'")
        }
        skipSpaces()
        guard i < s.count, s[i] == "]" else { throw fail("expected ']'") }
        i += 1
        return segment
    }
}
