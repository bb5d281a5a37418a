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

    /// Parses a template; throws a message for a malformed one.
    public init(_ text: String) throws(TemplateError) {
        self.text = text
        if text == "*" { segments = []; matchesAll = true; return }
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
    }

    /// The variable names the template uses.
    public var variables: [String] {
        segments.compactMap { if case .variable(let n) = $0 { return n } else { return nil } }
    }

    /// Matches a concrete path. Bound variables must be equal; unbound ones are returned as captures.
    /// Returns nil when the path does not match.
    public func match(_ path: String, bound: [String: String]) -> [String: String]? {
        if matchesAll { return [:] }
        guard let parts = PathBytes.parts(path) else { return nil }
        return match(parts: parts, bound: bound)
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
