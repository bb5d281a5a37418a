import Foundation
import OtterCore

/// How a run makes the webhooks it sends: fresh ids for each record, then a fixture filled with them and compacted,
/// so the signed bytes are exactly the bytes logged and sent. Tests use the same code to check that every webhook a
/// run can send is valid against the spec.
public enum WebhookFactory {
    /// Fresh ids for one record, so records never collide with each other or with earlier runs.
    public static func freshVars(storeId: String, applicationId: String) -> [String: String] {
        func uuid() -> String { UUID().uuidString.lowercased() }
        return ["deliveryReferenceId": uuid(), "orderId": uuid(), "friendlyId": "OC" + String(Int.random(in: 1000...9999)),
                "closureId": uuid(), "storeCredential": "cred-" + String(Int.random(in: 100000...999999)),
                // A store Otter onboards that the partner does not know yet (stores.upsert without a storeId).
                "internalStoreId": uuid(),
                // A report job, as POST /v1/reports/generate would have returned it.
                "jobId": uuid(),
                "storeId": storeId, "applicationId": applicationId, "source": "otter-cert"]
    }

    /// A fixture's text filled with `vars` and a new eventId, compacted when it is JSON.
    public static func body(fixture text: String, vars: [String: String], now: Double = Date().timeIntervalSince1970) -> String {
        var v = vars
        v["eventId"] = UUID().uuidString.lowercased()
        let filled = FixtureTemplate.fill(text, vars: v, now: now).text
        return (try? JSONValue.parse(filled))?.serialized() ?? filled
    }
}
