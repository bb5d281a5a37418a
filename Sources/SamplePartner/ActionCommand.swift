import Foundation
import OtterClient
import OtterCore

/// `otter-cert sample-partner action`: the action hook otter-cert runs for each partner action.
///
/// It forwards `{action, storeId, vars}` to the running partner's `POST /_control/action`, waits
/// for the partner to finish the move, and reports: new vars as JSON on stdout and exit 0, or
/// the partner's message on stderr and exit 1.
enum ActionCommand {
    /// Long enough for an action whose calls are rate limited and retried.
    static let timeout: TimeInterval = 120

    static func run(_ words: [String]) -> Int32 {
        let args: Arguments
        do {
            args = try Arguments(words, valued: ["partner", "action", "store-id", "vars"], flags: ["help"])
        } catch {
            return fail("\(error)\nRun `otter-cert sample-partner action --help` for usage.", status: 2)
        }
        if args.has("help") {
            print(Usage.action)
            return 0
        }
        let env = ProcessInfo.processInfo.environment
        guard var partner = args["partner"] ?? env["OTTER_CERT_PARTNER_URL"], !partner.isEmpty else {
            return fail("--partner http://127.0.0.1:PORT is required", status: 2)
        }
        while partner.hasSuffix("/") { partner.removeLast() }
        if partner.hasSuffix("/webhook") { partner.removeLast("/webhook".count) }  // the listening line's URL works too

        guard let action = args["action"] ?? env["OTTER_CERT_ACTION"], !action.isEmpty else {
            return fail("no action: set OTTER_CERT_ACTION or pass --action", status: 2)
        }
        let storeId = args["store-id"] ?? env["OTTER_CERT_STORE_ID"] ?? ""

        // Vars: --vars, else OTTER_CERT_VARS, else stdin (the harness gives both), else none.
        var rawVars = args["vars"] ?? env["OTTER_CERT_VARS"] ?? ""
        if rawVars.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && isatty(0) == 0 {
            rawVars = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        var vars: JSONValue = [:]
        if !rawVars.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let parsed = try? JSONValue.parse(rawVars), parsed.objectValue != nil else {
                return fail("vars are not a JSON object", status: 1)
            }
            vars = parsed
        }

        let body: JSONValue = ["action": .string(action), "storeId": .string(storeId), "vars": vars]
        let request = ClientRequest(method: "POST", url: partner + "/_control/action",
                                    headers: [("Content-Type", "application/json")],
                                    body: body.serializedBytes(), timeout: timeout)
        switch HTTPClient().send(request) {
        case .failure(let error):
            return fail("\(action): partner at \(partner) unreachable: \(error)", status: 1)
        case .success(let response):
            let answer = try? JSONValue.parse(response.body)
            if response.status == 200, answer?["ok"]?.boolValue == true {
                print((answer?["vars"] ?? [:]).serialized())
                return 0
            }
            let message = answer?["message"]?.stringValue ?? answer?["error"]?.stringValue
                ?? String(decoding: response.body.prefix(500), as: UTF8.self)
            return fail("\(action) failed (HTTP \(response.status)): \(message)", status: 1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Int32 {
        FileHandle.standardError.write(Data("otter-cert sample-partner action: \(message)\n".utf8))
        return status
    }
}
