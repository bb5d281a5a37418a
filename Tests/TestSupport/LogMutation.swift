import Foundation
import OtterCore

/// Failing variants of a recorded run, described as data: mutations applied to its lines.
///
/// A case file (`Fixtures/cases/<type>/<name>.json`) holds `mutations` (applied in order) and `expect`:
/// every record that must not pass, with its status and a piece of its reason. All other records must pass.
public struct LogCase {
    /// File name without extension.
    public var name: String
    /// What the case shows.
    public var description: String
    /// The mutations.
    public var mutations: [JSONValue]
    /// Record id → (status, reason fragment).
    public var expect: [String: (status: String, reason: String)]

    /// Loads a case file.
    public init(path: String) throws {
        let v = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        description = v["description"]?.stringValue ?? ""
        mutations = v["mutations"]?.arrayValue ?? []
        var e: [String: (String, String)] = [:]
        for (k, x) in v["expect"]?.objectValue ?? JSONObject() {
            e[k] = (x["status"]?.stringValue ?? "failed", x["reason"]?.stringValue ?? "")
        }
        expect = e
    }

    /// The case files of a type, sorted.
    public static func all(_ type: IntegrationType) throws -> [String] {
        let dir = Repo.path("Fixtures/cases/\(type.rawValue)")
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
    }

    /// Applies the mutations to log lines.
    public func apply(to lines: [String]) throws -> [String] {
        var entries = try lines.filter { !$0.isEmpty }.map { try JSONValue.parse($0) }
        for m in mutations { entries = try LogCase.apply(m, to: entries) }
        return entries.map { $0.serialized() }
    }

    struct MutationError: Error, CustomStringConvertible { var description: String }

    static func matches(_ e: JSONValue, _ w: JSONValue) -> Bool {
        let url = e["request"]?["url"]?.stringValue ?? ""
        let path = Message(url: url).path
        if let r = w["record"]?.stringValue, e["record"]?.stringValue != r { return false }
        if let s = w["step"]?.stringValue, e["step"]?.stringValue != s { return false }
        if let k = w["kind"]?.stringValue, e["kind"]?.stringValue != k { return false }
        if let m = w["method"]?.stringValue, e["request"]?["method"]?.stringValue != m { return false }
        if let p = w["pathEndsWith"]?.stringValue, !path.hasSuffix(p) { return false }
        if let p = w["pathContains"]?.stringValue, !path.contains(p) { return false }
        if let b = w["bodyContains"]?.stringValue, !(e["request"]?["body"]?.stringValue ?? "").contains(b) { return false }
        return true
    }

    static func apply(_ m: JSONValue, to entries: [JSONValue]) throws -> [JSONValue] {
        guard let op = m["op"]?.stringValue, let w = m["where"] else { throw MutationError(description: "mutation needs op and where: \(m)") }
        var idx = entries.indices.filter { matches(entries[$0], w) }
        if let n = w["nth"]?.intValue { idx = idx.indices.contains(n) ? [idx[n]] : [] }
        if idx.isEmpty { throw MutationError(description: "mutation matched no entry: \(m)") }
        var out = entries
        func setReq(_ i: Int, _ f: (inout JSONObject) -> Void) {
            guard case .object(var o) = out[i], case .object(var r)? = o["request"] else { return }
            f(&r); o["request"] = .object(r); out[i] = .object(o)
        }
        func headers(_ h: JSONValue?) -> [JSONValue] { h?.arrayValue ?? [] }
        for i in idx.reversed() {
            guard case .object(var o) = out[i] else { continue }
            switch op {
            case "drop": out.remove(at: i); continue
            case "setHeader", "removeHeader":
                let name = m["name"]!.stringValue!
                setReq(i) { r in
                    var hs = headers(r["headers"]).filter { $0[0]?.stringValue?.lowercased() != name.lowercased() }
                    if op == "setHeader" { hs.append(.array([.string(name), m["value"]!])) }
                    r["headers"] = .array(hs)
                }
                continue
            case "setBody":
                let keys = m["path"]!.stringValue!.split(separator: ".").map(String.init)
                setReq(i) { r in
                    var body = (try? JSONValue.parse(r["body"]?.stringValue ?? "")) ?? .object(JSONObject())
                    body = setPath(body, keys[...], m["remove"]?.boolValue == true ? nil : m["value"])
                    r["body"] = .string(body.serialized())
                }
                continue
            case "setRawBody": setReq(i) { r in r["body"] = m["value"]! }; continue
            case "setMethod": setReq(i) { r in r["method"] = m["value"]! }; continue
            case "replaceInPath":
                let from = m["from"]!.stringValue!
                let to = expandFromWebhook(m["to"]!.stringValue!, record: o["record"]?.stringValue, entries: entries)
                setReq(i) { r in r["url"] = .string((r["url"]?.stringValue ?? "").replacingOccurrences(of: from, with: to)) }
                continue
            case "setHeaderFromEventId":
                guard let src = entries.first(where: { matches($0, m["from"]!) }),
                      let body = try? JSONValue.parse(src["request"]?["body"]?.stringValue ?? ""), let id = body["eventId"] else {
                    throw MutationError(description: "setHeaderFromEventId: no webhook matches \(m["from"]!)")
                }
                let name = m["name"]?.stringValue ?? "X-Event-Id"
                setReq(i) { r in
                    var hs = headers(r["headers"]).filter { $0[0]?.stringValue?.lowercased() != name.lowercased() }
                    hs.append(.array([.string(name), id])); r["headers"] = .array(hs)
                }
                continue
            case "setResponseBody", "setResponseField":
                // The answer to the line's request (a webhook's acknowledgement, as stores.fetch_credentials's).
                var r = o["response"]?.objectValue ?? JSONObject([("status", .number(200))])
                if op == "setResponseBody" {
                    r["body"] = m["value"]!
                } else {
                    let keys = m["path"]!.stringValue!.split(separator: ".").map(String.init)
                    var body = (try? JSONValue.parse(r["body"]?.stringValue ?? "")) ?? .object(JSONObject())
                    body = setPath(body, keys[...], m["remove"]?.boolValue == true ? nil : m["value"])
                    r["body"] = .string(body.serialized())
                }
                o["response"] = .object(r)
            case "setStatus":
                if case .object(var r)? = o["response"] { r["status"] = m["value"]!; o["response"] = .object(r) }
            case "setDuration": o["durationMs"] = m["value"]!
            case "setError":
                o["response"] = nil
                o["error"] = .object(JSONObject([("kind", m["kind"] ?? "refused"), ("message", m["message"] ?? "Connection refused")]))
            case "shift":
                let t = Timestamp.parse(o["startedAt"]!.stringValue!)! + m["seconds"]!.doubleValue!
                o["startedAt"] = .string(Timestamp.format(t))
            case "duplicate":
                var copy = o
                let t = Timestamp.parse(o["startedAt"]!.stringValue!)! + (m["seconds"]?.doubleValue ?? 0.1)
                copy["startedAt"] = .string(Timestamp.format(t))
                copy["seq"] = .number(Double(10_000 + i))
                out.insert(.object(copy), at: i + 1)
            case "moveAfter":
                guard let anchor = entries.first(where: { matches($0, m["after"]!) }), let t0 = anchor["startedAt"]?.stringValue.flatMap(Timestamp.parse) else {
                    throw MutationError(description: "moveAfter: no entry matches \(m["after"]!)")
                }
                o["startedAt"] = .string(Timestamp.format(t0 + (m["seconds"]?.doubleValue ?? 0)))
            case "setField":
                o[m["name"]!.stringValue!] = m["value"]!
            default: throw MutationError(description: "unknown mutation op '\(op)'")
            }
            out[i] = .object(o)
        }
        return out
    }

    /// Fills `{$.json.path}` from the body of the first webhook of the same record.
    static func expandFromWebhook(_ s: String, record: String?, entries: [JSONValue]) -> String {
        guard s.contains("{$"), let web = entries.first(where: { $0["kind"]?.stringValue == "webhook" && $0["record"]?.stringValue == record }),
              let body = try? JSONValue.parse(web["request"]?["body"]?.stringValue ?? "") else { return s }
        var out = s
        while let open = out.range(of: "{$"), let close = out[open.upperBound...].firstIndex(of: "}") {
            let path = "$" + String(out[open.upperBound..<close])
            let value = (try? JSONPath(path))?.first(in: body)?.stringValue ?? "?"
            out.replaceSubrange(open.lowerBound...close, with: value)
        }
        return out
    }

    static func setPath(_ v: JSONValue, _ keys: ArraySlice<String>, _ value: JSONValue?) -> JSONValue {
        guard let k = keys.first else { return value ?? .null }
        if case .array(var a) = v, let i = Int(k), a.indices.contains(i) {
            a[i] = setPath(a[i], keys.dropFirst(), value); return .array(a)
        }
        var o = v.objectValue ?? JSONObject()
        if keys.count == 1 && value == nil { o[k] = nil } else { o[k] = setPath(o[k] ?? .object(JSONObject()), keys.dropFirst(), value) }
        return .object(o)
    }
}
