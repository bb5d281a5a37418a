import Foundation

extension FieldAssertion {
    /// Checks the assertion on a JSON body; returns nil when it holds, else what was wrong.
    ///
    /// `unique` is judged by the caller, which knows earlier requests; here it only needs a value.
    func failure(in body: JSONValue, vars: [String: String], regex: (String) -> RegexPattern?) -> (reason: String, expected: String?, seen: String?)? {
        let values = path.select(in: body)
        switch check {
        case .exists(let want):
            if want && values.isEmpty { return ("\(path) is missing", "present", "missing") }
            if !want && !values.isEmpty { return ("\(path) must be absent, found \(show(values[0]))", "absent", show(values[0])) }
            return nil
        default: break
        }
        if values.isEmpty { return ("\(path) is missing", description, "missing") }
        for v in values {
            switch check {
            case .equals(let expected):
                let e = expected.expandingTemplates(vars)
                if v != e && !(numericEqual(v, e)) { return ("\(path) was \(show(v)), expected \(show(e))", show(e), show(v)) }
            case .oneOf(let options):
                if !options.contains(v) {
                    return ("\(path) was \(show(v)), expected one of \(options.map { show($0) }.joined(separator: ", "))",
                            options.map { show($0) }.joined(separator: " | "), show(v))
                }
            case .matches(let pattern):
                guard case .string(let s) = v else { return ("\(path) must be a string matching \(pattern), found \(v.typeName)", pattern, v.typeName) }
                guard let re = regex(pattern), re.matches(s) else {
                    return ("\(path) was \(show(v)), expected to match \(pattern)", pattern, show(v))
                }
            case .range(let lo, let hi):
                guard case .number(let x) = v else { return ("\(path) must be a number, found \(v.typeName)", "number", v.typeName) }
                if let lo, x < lo { return ("\(path) was \(formatNumber(x)), expected at least \(formatNumber(lo))", ">= \(formatNumber(lo))", formatNumber(x)) }
                if let hi, x > hi { return ("\(path) was \(formatNumber(x)), expected at most \(formatNumber(hi))", "<= \(formatNumber(hi))", formatNumber(x)) }
            case .nonEmpty:
                let empty: Bool
                switch v {
                case .string(let s): empty = s.isEmpty
                case .array(let a): empty = a.isEmpty
                case .object(let o): empty = o.isEmpty
                case .null: empty = true
                default: empty = false
                }
                if empty { return ("\(path) is empty", "not empty", show(v)) }
            case .sum(let terms), .atLeastSum(let terms):
                guard case .number(let x) = v else { return ("\(path) must be a number, found \(v.typeName)", "number", v.typeName) }
                var total = 0.0
                for term in terms {
                    for t in term.path.select(in: body) { if case .number(let n) = t { total += term.negative ? -n : n } }
                }
                let formula = terms.map { ($0.negative ? "- " : "+ ") + $0.path.description }.joined(separator: " ").dropFirst(2)
                let shown = formatNumber((total * 100).rounded() / 100)
                if case .sum = check, abs(total - x) > 0.011 {
                    return ("\(path) was \(formatNumber(x)) but \(formula) = \(shown)", shown, formatNumber(x))
                }
                if case .atLeastSum = check, x < total - 0.011 {
                    return ("\(path) was \(formatNumber(x)), less than its parts \(formula) = \(shown)", ">= \(shown)", formatNumber(x))
                }
            case .atLeastField(let other):
                guard let o = other.first(in: body) else { continue }
                if o.isNull || v.isNull { continue }
                if let a = v.comparable, let b = o.comparable, a < b {
                    return ("\(path) (\(show(v))) is before/below \(other) (\(show(o)))", ">= \(show(o))", show(v))
                }
            case .unique, .exists: break
            }
        }
        return nil
    }
}

func numericEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if case .number(let x) = a, case .string(let s) = b, let y = Double(s) { return x == y }
    return false
}

extension JSONValue {
    /// A number, or an RFC 3339 time as seconds, for ordering checks.
    var comparable: Double? {
        switch self {
        case .number(let d): return d
        case .string(let s): return Timestamp.parse(s)
        default: return nil
        }
    }

    /// The value with `{var}` templates in strings filled in.
    func expandingTemplates(_ vars: [String: String]) -> JSONValue {
        guard case .string(let s) = self, s.contains("{") else { return self }
        return .string(expandTemplate(s, vars))
    }

    /// A scalar as a plain string (numbers without `.0`), for variables.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let d): return formatNumber(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }
}

/// Fills `{name}` with bound variables; unknown names stay as written.
public func expandTemplate(_ s: String, _ vars: [String: String]) -> String {
    guard s.contains("{") else { return s }
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
        if s[i] == "{", let close = s[i...].firstIndex(of: "}") {
            let name = String(s[s.index(after: i)..<close])
            if let v = vars[name] { out += v; i = s.index(after: close); continue }
        }
        out.append(s[i]); i = s.index(after: i)
    }
    return out
}
