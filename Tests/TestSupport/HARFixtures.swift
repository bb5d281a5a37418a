import Foundation

/// Small HAR captures made from `Fixtures/har/delivery-quote-ok.har` (token call, request_quote webhook, quotes
/// callback, favicon), edited the way real tools write them.
public enum HARFixtures {
    /// The quote capture with its entries changed by `edit`, as bytes.
    public static func quoteCapture(_ edit: (inout [[String: Any]]) -> Void = { _ in }) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.path("Fixtures/har/delivery-quote-ok.har")))
        var root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var log = root["log"] as! [String: Any]
        var entries = log["entries"] as! [[String: Any]]
        edit(&entries)
        log["entries"] = entries
        root["log"] = log
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted]))
    }

    /// Changes the request of an entry.
    public static func request(_ e: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var r = e["request"] as! [String: Any]
        edit(&r)
        e["request"] = r
    }

    /// What a sanitizing exporter does: every Authorization header removed.
    public static func stripAuthorization(_ entries: inout [[String: Any]]) {
        for i in entries.indices {
            request(&entries[i]) { r in
                r["headers"] = (r["headers"] as! [[String: Any]]).filter { ($0["name"] as! String).lowercased() != "authorization" }
            }
        }
    }

    /// What a tool writing local times does: every startedDateTime without its `Z`.
    public static func dropUTCOffsets(_ entries: inout [[String: Any]]) {
        for i in entries.indices {
            entries[i]["startedDateTime"] = (entries[i]["startedDateTime"] as! String).replacingOccurrences(of: "Z", with: "")
        }
    }

    /// The UTF-8 byte order mark.
    public static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
}
