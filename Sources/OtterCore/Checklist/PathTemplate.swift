import Foundation

/// A URL path template such as `/v1/delivery/{deliveryReferenceId}/quotes`.
///
/// `{name}` matches one segment and binds (or checks) a variable; `*` matches any one segment;
/// the template `*` alone matches every path.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable { case literal(String), variable(String), any }

    /// The template as written.
    public let text: String
    let segments: [Segment]
    let matchesAll: Bool
    /// Per segment, a literal's bytes (nil for a variable or `*`), when every literal is ASCII: then an ASCII path is
    /// matched in place, byte by byte (see `match`). Nil when a literal has other characters.
    let asciiLiterals: [[UInt8]?]?

    /// Parses a template; throws a message for a malformed one.
    public init(_ text: String) throws(TemplateError) {
        self.text = text
        if text == "*" { segments = []; matchesAll = true; asciiLiterals = []; return }
        guard text.hasPrefix("/") else { throw TemplateError(message: "path template must start with '/' or be '*': \(text)") }
        matchesAll = false
        var segs: [Segment] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let s = String(raw)
            if s == "*" { segs.append(.any); continue }
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 {
                let name = String(s.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw TemplateError(message: "bad variable name '{\(name)}' in \(text)")
                }
                segs.append(.variable(name))
            } else if s.contains("{") || s.contains("}") {
                throw TemplateError(message: "a variable must fill a whole segment: \(text)")
            } else {
                segs.append(.literal(s))
            }
        }
        segments = segs
        var lits: [[UInt8]?]? = []
        for seg in segs {
            if case .literal(let l) = seg {
                if PathBytes.isASCII(l) { lits?.append(Array(l.utf8)) } else { lits = nil; break }
            } else {
                lits?.append(nil)
            }
        }
        asciiLiterals = lits
    }

    /// The variable names the template uses.
    public var variables: [String] {
        segments.compactMap { if case .variable(let n) = $0 { return n } else { return nil } }
    }

    /// Matches a concrete path. Bound variables must be equal; unbound ones are returned as captures.
    /// Returns nil when the path does not match.
    public func match(_ path: String, bound: [String: String]) -> [String: String]? {
        if matchesAll { return [:] }
        if let lits = asciiLiterals, case .decided(let result) = matchInPlace(path, lits, bound: bound) { return result }
        guard let parts = PathBytes.parts(path) else { return nil }
        return match(parts: parts, bound: bound)
    }

    private enum InPlace { case decided([String: String]?), notASCII }

    /// `match` for an ASCII path without cutting it into substrings: each template segment is compared with the
    /// bytes up to the next slash, and only variables are copied out (and decoded when they hold a `%`).
    private func matchInPlace(_ path: String, _ lits: [[UInt8]?], bound: [String: String]) -> InPlace {
        var path = path
        return path.withUTF8 { u -> InPlace in
            let n = u.count
            for c in u where c >= 0x80 { return .notASCII }
            guard n > 0, u[0] == 0x2F else { return .decided(nil) }
            var captures: [String: String] = [:]
            var pos = 1
            for (k, seg) in segments.enumerated() {
                var end = pos
                while end < n && u[end] != 0x2F { end += 1 }
                // Every segment but the last ends at a slash; the last ends the path.
                if k == segments.count - 1 ? end != n : end == n { return .decided(nil) }
                switch seg {
                case .literal:
                    guard let lit = lits[k], lit.count == end - pos else { return .decided(nil) }
                    for j in 0..<lit.count where lit[j] != u[pos + j] { return .decided(nil) }
                case .any:
                    if end == pos { return .decided(nil) }
                case .variable(let name):
                    if end == pos { return .decided(nil) }
                    let raw = String(decoding: UnsafeBufferPointer(rebasing: u[pos..<end]), as: UTF8.self)
                    let value = PathBytes.segmentValue(Substring(raw))
                    if let b = bound[name] { if b != value { return .decided(nil) } } else { captures[name] = value }
                }
                pos = end + 1
            }
            return .decided(captures)
        }
    }

    /// `match` for a path starting with `/`, already cut at its slashes (`parts`: the segments after the first slash),
    /// so that one path is cut once however many templates it is matched against.
    func match(parts: ArraySlice<Substring>, bound: [String: String]) -> [String: String]? {
        if matchesAll { return [:] }
        guard parts.count == segments.count else { return nil }
        var captures: [String: String] = [:]
        for (seg, part) in zip(segments, parts) {
            switch seg {
            case .literal(let l): if l != part { return nil }
            case .any: if part.isEmpty { return nil }
            case .variable(let name):
                let value = PathBytes.segmentValue(part)
                if value.isEmpty { return nil }
                if let b = bound[name] { if b != value { return nil } } else { captures[name] = value }
            }
        }
        return captures
    }

    /// The template with bound variables filled in (unbound ones left as `{name}`).
    public func expand(_ vars: [String: String]) -> String {
        if matchesAll { return "*" }
        return "/" + segments.map { seg -> String in
            switch seg {
            case .literal(let l): return l
            case .any: return "*"
            case .variable(let n): return vars[n] ?? "{\(n)}"
            }
        }.joined(separator: "/")
    }

    public var description: String { text }
}

/// A malformed path template.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }
}
