import Foundation

/// A compiled regular expression, asked one thing: whether it matches somewhere in a string (a checklist's
/// `matches`, a JSON Schema `pattern`). ICU's syntax, as `NSRegularExpression` reads it, is the meaning.
///
/// The patterns checklists and schemas use are mostly a run of ASCII literals and character classes with
/// quantifiers (`^[A-Z]{3}$`). Those are matched here, in linear time, without ICU, whose one-time set-up took
/// about 8% of a cold `observe`. Anything beyond that subset (groups, alternation, `.`, `\d`, flags, negated
/// classes, lazy or possessive quantifiers, non-ASCII) goes to `NSRegularExpression`, so the answer is ICU's
/// either way; `RegexPatternTests` compares the two on every pattern the subset takes.
public final class RegexPattern: @unchecked Sendable {
    /// The pattern as written.
    public let source: String
    private let native: NativeRegex?
    private let icu: NSRegularExpression?

    /// Compiles `source`; nil when it is not a valid regular expression.
    public init?(_ source: String) {
        self.source = source
        if let n = NativeRegex(source) {
            native = n
            icu = nil
        } else {
            guard let r = try? NSRegularExpression(pattern: source, options: []) else { return nil }
            native = nil
            icu = r
        }
    }

    /// Whether the pattern matches somewhere in `s` (`^` and `$` anchor it, as in ICU without flags).
    public func matches(_ s: String) -> Bool {
        if let native { return native.matches(s) }
        return icu!.firstMatch(in: s, options: [], range: NSRange(location: 0, length: s.utf16.count)) != nil
    }

    /// Whether this pattern is matched here rather than by ICU (for tests).
    var isNative: Bool { native != nil }
}

/// Patterns by source, each compiled once (an invalid one is remembered as nil): one per evaluator or deriver.
final class RegexCache {
    private var compiled: [String: RegexPattern?] = [:]

    func pattern(_ source: String) -> RegexPattern? {
        if let known = compiled[source] { return known }
        let r = RegexPattern(source)
        compiled[source] = r
        return r
    }
}

/// The subset of patterns `RegexPattern` matches itself: an optional `^`, then atoms (an ASCII literal, an
/// escaped ASCII punctuation mark, or a class `[…]` of ASCII letters, digits, ranges of them and a few marks),
/// each with an optional greedy quantifier (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`), then an optional `$`.
/// It runs as a set of positions in the expanded atom list (no backtracking), one pass over the string.
struct NativeRegex: Sendable {
    /// One expanded step: a set of ASCII bytes, taken once, optionally, or any number of times.
    struct Step: Sendable {
        enum Repeat: Sendable { case one, optional, any }
        var low: UInt64, high: UInt64
        var times: Repeat
        func accepts(_ v: UInt32) -> Bool {
            v < 64 ? low & (1 << UInt64(v)) != 0 : v < 128 ? high & (1 << UInt64(v - 64)) != 0 : false
        }
    }

    let steps: [Step]
    let anchoredStart: Bool
    let anchoredEnd: Bool
    /// The most steps a pattern may expand to (`x{1000}` is left to ICU).
    static let maxSteps = 256

    /// Characters that stand for themselves outside a class.
    private static let plainMarks = Set("_-,:;/@#%&=~'\"<> !`")
    /// Characters that stand for themselves inside a class besides letters and digits (`-` only first or last).
    private static let classMarks = Set("_.,;/@#%=~'\"!`+*?()|")
    /// Characters that `\` makes literal.
    private static let escapable = Set(".\\-/+*?()[]{}|^$#&~=!,:;'\"<>@%_`")

    init?(_ source: String) {
        guard !source.isEmpty else { return nil }  // NSRegularExpression refuses an empty pattern
        var chars = Array(source)
        var start = false, end = false
        if chars.first == "^" { start = true; chars.removeFirst() }
        if chars.last == "$" {
            // `\$` at the end is a literal dollar, not the anchor.
            var backslashes = 0
            var k = chars.count - 2
            while k >= 0, chars[k] == "\\" { backslashes += 1; k -= 1 }
            if backslashes % 2 == 0 { end = true; chars.removeLast() }
        }
        var steps: [Step] = []
        var i = 0
        while i < chars.count {
            var set: (UInt64, UInt64)
            let c = chars[i]
            if c == "[" {
                guard let (s, next) = Self.parseClass(chars, from: i + 1) else { return nil }
                set = s; i = next
            } else if c == "\\" {
                guard i + 1 < chars.count, Self.escapable.contains(chars[i + 1]) else { return nil }
                set = Self.single(chars[i + 1]); i += 2
            } else if Self.isAlnum(c) || Self.plainMarks.contains(c) {
                set = Self.single(c); i += 1
            } else {
                return nil  // a metacharacter, `.`, a group, non-ASCII …
            }
            // The quantifier, if any.
            var lo = 1, hi: Int? = 1
            if i < chars.count, "?*+{".contains(chars[i]) {
                switch chars[i] {
                case "?": lo = 0; hi = 1; i += 1
                case "*": lo = 0; hi = nil; i += 1
                case "+": lo = 1; hi = nil; i += 1
                default:
                    guard let (a, b, next) = Self.parseBraces(chars, from: i + 1) else { return nil }
                    lo = a; hi = b; i = next
                }
                // Lazy (`*?`) or possessive (`*+`) forms, or a quantifier on a quantifier: ICU's business.
                if i < chars.count, "?*+{".contains(chars[i]) { return nil }
            }
            if let hi, hi < lo { return nil }
            for _ in 0..<lo { steps.append(Step(low: set.0, high: set.1, times: .one)) }
            if let hi {
                for _ in lo..<hi { steps.append(Step(low: set.0, high: set.1, times: .optional)) }
            } else {
                steps.append(Step(low: set.0, high: set.1, times: .any))
            }
            if steps.count > Self.maxSteps { return nil }
        }
        self.steps = steps
        anchoredStart = start
        anchoredEnd = end
    }

    private static func isAlnum(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        return (0x30...0x39).contains(a) || (0x41...0x5A).contains(a) || (0x61...0x7A).contains(a)
    }

    private static func single(_ c: Character) -> (UInt64, UInt64) {
        var s: (UInt64, UInt64) = (0, 0)
        add(c.asciiValue!, to: &s)
        return s
    }

    private static func add(_ a: UInt8, to s: inout (UInt64, UInt64)) {
        if a < 64 { s.0 |= 1 << UInt64(a) } else { s.1 |= 1 << UInt64(a - 64) }
    }

    /// A class after its `[`: letters, digits, ranges between two of the same kind, a few marks, escaped marks.
    private static func parseClass(_ chars: [Character], from start: Int) -> ((UInt64, UInt64), Int)? {
        var s: (UInt64, UInt64) = (0, 0)
        var i = start
        guard i < chars.count, chars[i] != "^", chars[i] != "]" else { return nil }  // negated or empty: ICU
        while i < chars.count, chars[i] != "]" {
            let c = chars[i]
            if c == "\\" {
                guard i + 1 < chars.count, escapable.contains(chars[i + 1]) else { return nil }
                add(chars[i + 1].asciiValue!, to: &s); i += 2
                continue
            }
            if c == "-" {
                // Literal only first or last; ICU's `--` is set difference.
                guard i == start || i + 1 < chars.count && chars[i + 1] == "]" else { return nil }
                add(0x2D, to: &s); i += 1
                continue
            }
            if isAlnum(c), i + 2 < chars.count, chars[i + 1] == "-", chars[i + 2] != "]" {
                let to = chars[i + 2]
                guard isAlnum(to), let a = c.asciiValue, let b = to.asciiValue, a <= b,
                      (c.isNumber && to.isNumber) || (c.isUppercase && to.isUppercase) || (c.isLowercase && to.isLowercase)
                else { return nil }
                for x in a...b { add(x, to: &s) }
                i += 3
                continue
            }
            guard isAlnum(c) || classMarks.contains(c) else { return nil }
            add(c.asciiValue!, to: &s); i += 1
        }
        guard i < chars.count else { return nil }  // no closing `]`
        return (s, i + 1)
    }

    /// `{n}`, `{n,}` or `{n,m}` after its `{`: the bounds (nil: none) and the index after `}`.
    private static func parseBraces(_ chars: [Character], from start: Int) -> (Int, Int?, Int)? {
        var i = start
        func number() -> Int? {
            var v = 0, digits = 0
            while i < chars.count, let d = chars[i].wholeNumberValue, chars[i].isASCII {
                v = v * 10 + d; digits += 1; i += 1
                if v > maxSteps { return nil }
            }
            return digits == 0 ? nil : v
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if i < chars.count, chars[i] == "," {
            i += 1
            if i < chars.count, chars[i] == "}" { hi = nil } else { guard let h = number() else { return nil }; hi = h }
        }
        guard i < chars.count, chars[i] == "}" else { return nil }
        return (lo, hi, i + 1)
    }

    /// Whether the pattern matches somewhere in `s`.
    func matches(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        let n = steps.count
        // Which steps are live before the next character: a bit per step index 0...n (n: matched).
        var live = [Bool](repeating: false, count: n + 1)
        var next = live
        func close(_ set: inout [Bool]) {
            // A step that may be skipped lets the following one be live too.
            for k in 0..<n where set[k] && steps[k].times != .one { set[k + 1] = true }
        }
        func accepted(at i: Int) -> Bool {
            guard live[n] else { return false }
            return !anchoredEnd || Self.atEnd(scalars, i)
        }
        live[0] = true
        close(&live)
        if accepted(at: 0) { return true }
        for i in 0..<scalars.count {
            let v = scalars[i].value
            for k in 0...n { next[k] = false }
            for k in 0..<n where live[k] && steps[k].accepts(v) {
                if steps[k].times == .any { next[k] = true }
                next[k + 1] = true
            }
            if !anchoredStart { next[0] = true }
            close(&next)
            swap(&live, &next)
            if accepted(at: i + 1) { return true }
        }
        return false
    }

    /// Where ICU's `$` (no flags) holds: at the end, or before one final line terminator.
    private static func atEnd(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        let rest = s.count - i
        if rest == 0 { return true }
        if rest == 2 { return s[i] == "\r" && s[i + 1] == "\n" }
        guard rest == 1 else { return false }
        switch s[i].value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
