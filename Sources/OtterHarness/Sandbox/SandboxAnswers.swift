import Foundation
import OtterCore

/// Turns the spec's example answer of an endpoint into this run's answer: the values that identify what the
/// partner asked about are the partner's, everything else is the spec's example as written.
enum SandboxAnswers {
    /// - `storeId` members become the sandbox's store id;
    /// - a member named like a path variable (`orderId`, `deliveryReferenceId`, `jobId`) becomes the path's value;
    /// - `externalIdentifiers` becomes the request body's, when the request carried one (an order upsert).
    static func personalize(_ example: JSONValue, storeId: String, pathValues: [String: String], request: JSONValue?) -> JSONValue {
        let external = request?["externalIdentifiers"]
        func walk(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let o):
                var out = JSONObject()
                for (k, value) in o {
                    if k == "storeId", value.stringValue != nil { out[k] = .string(storeId) }
                    else if let p = pathValues[k], value.stringValue != nil { out[k] = .string(p) }
                    else if k == "externalIdentifiers", let external, case .object = external { out[k] = external }
                    else { out[k] = walk(value) }
                }
                return .object(out)
            case .array(let a): return .array(a.map(walk))
            default: return v
            }
        }
        return walk(example)
    }
}
