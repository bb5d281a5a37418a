import Foundation

/// A JSON value with the path that led to it, for decoding data files with precise errors.
///
/// Every accessor throws a `DataError` naming the JSON path (`$.records[3].expect[0].withinMs`)
/// and, once known, the record id, so an author can find the mistake at once.
struct JSONNode {
    let value: JSONValue
    let path: String
    let recordId: String?

    init(_ value: JSONValue, path: String = "$", recordId: String? = nil) {
        self.value = value; self.path = path; self.recordId = recordId
    }

    func error(_ message: String) -> DataError { DataError(path: path, recordId: recordId, message: message) }

    func object(allowed: Set<String>) throws(DataError) -> JSONObject {
        guard case .object(let o) = value else { throw error("expected an object, found \(value.typeName)") }
        for key in o.keys where !allowed.contains(key) && !key.hasPrefix("$") {
            let hint = suggestion(for: key, among: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            throw JSONNode(value, path: path, recordId: recordId).error("unknown key '\(key)'\(hint)")
        }
        return o
    }

    func child(_ key: String) -> JSONNode? {
        guard let v = value[key] else { return nil }
        return JSONNode(v, path: path + "." + key, recordId: recordId)
    }

    func required(_ key: String) throws(DataError) -> JSONNode {
        guard let c = child(key) else { throw error("missing key '\(key)'") }
        return c
    }

    func string() throws(DataError) -> String {
        guard case .string(let s) = value else { throw error("expected a string, found \(value.typeName)") }
        return s
    }

    func nonEmptyString() throws(DataError) -> String {
        let s = try string()
        // Most strings start with a printable ASCII byte and are not blank: decided without Foundation's trimming.
        if let b = s.utf8.first, b > 0x20, b < 0x7F { return s }
        if s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw error("must not be empty") }
        return s
    }

    func bool() throws(DataError) -> Bool {
        guard case .bool(let b) = value else { throw error("expected true or false, found \(value.typeName)") }
        return b
    }

    func number(min: Double? = nil) throws(DataError) -> Double {
        guard case .number(let d) = value else { throw error("expected a number, found \(value.typeName)") }
        if let m = min, d < m { throw error("must be at least \(formatNumber(m)), got \(formatNumber(d))") }
        return d
    }

    func int(min: Int? = nil) throws(DataError) -> Int {
        let d = try number()
        guard d == d.rounded(), abs(d) < 1e9 else { throw error("expected a whole number, got \(formatNumber(d))") }
        if let m = min, Int(d) < m { throw error("must be at least \(m), got \(Int(d))") }
        return Int(d)
    }

    func array() throws(DataError) -> [JSONNode] {
        guard case .array(let a) = value else { throw error("expected an array, found \(value.typeName)") }
        return a.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]", recordId: recordId) }
    }

    func entries() throws(DataError) -> [(String, JSONNode)] {
        guard case .object(let o) = value else { throw error("expected an object, found \(value.typeName)") }
        return o.map { ($0.key, JSONNode($0.value, path: path + "." + $0.key, recordId: recordId)) }
    }

    func jsonPath() throws(DataError) -> JSONPath {
        let s = try string()
        do { return try JSONPath(s) } catch { throw self.error("bad JSONPath '\(s)': \(error)") }
    }

    func pathTemplate() throws(DataError) -> PathTemplate {
        let s = try string()
        do { return try PathTemplate(s) } catch { throw self.error(error.message) }
    }

    func withRecord(_ id: String) -> JSONNode { JSONNode(value, path: path, recordId: id) }
}

/// A mistake in a data file (checklist, endpoint table): where it is and what is wrong.
public struct DataError: Error, Sendable, CustomStringConvertible, Equatable {
    /// JSON path of the offending value.
    public var path: String
    /// The record it belongs to, when inside one.
    public var recordId: String?
    /// What is wrong.
    public var message: String
    /// The file, once the loader knows it.
    public var file: String?

    public var description: String {
        var s = ""
        if let f = file { s += f + ": " }
        if let r = recordId { s += "record \(r): " }
        return s + "\(path): \(message)"
    }
}

/// The closest allowed word within edit distance 2, for "did you mean" hints.
func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if d <= 2, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
