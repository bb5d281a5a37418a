import Foundation

/// Everything `sample-partner serve` needs, validated before anything listens.
struct ServeOptions: Sendable {
    var type: IntegrationType
    var host: String
    var port: Int
    /// Base URL of the Otter Public API (the harness's sandbox), without a trailing slash.
    var otterURL: String
    var webhookSecret: String
    var clientId: String
    var clientSecret: String
    var fault: Fault?
    var portFile: String?

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static let valuedOptions: Set<String> = ["type", "listen", "otter-url", "webhook-secret", "client-id",
                                             "client-secret", "fault", "port-file"]

    /// Secrets may come from the environment so they stay out of `ps` output and shell history.
    init(_ args: Arguments, environment: [String: String]) throws(Invalid) {
        guard let typeName = args["type"] else { throw Invalid(description: "--type is required (delivery, pos or orders)") }
        guard let type = IntegrationType(rawValue: typeName) else {
            throw Invalid(description: "--type must be delivery, pos or orders, not '\(typeName)'")
        }
        self.type = type

        let listen = args["listen"] ?? "127.0.0.1:0"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw Invalid(description: "--listen must be HOST:PORT (PORT 0 picks a free port), not '\(listen)'")
        }
        let host = String(listen[..<colon])
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port

        guard var otter = args["otter-url"], otter.hasPrefix("http://") || otter.hasPrefix("https://") else {
            throw Invalid(description: "--otter-url is required: the base URL of the Otter API, e.g. http://127.0.0.1:9200")
        }
        while otter.hasSuffix("/") { otter.removeLast() }
        self.otterURL = otter

        func secret(_ option: String, _ variable: String) throws(Invalid) -> String {
            if let value = args[option] ?? environment[variable], !value.isEmpty { return value }
            throw Invalid(description: "--\(option) (or \(variable)) is required")
        }
        webhookSecret = try secret("webhook-secret", "OTTER_CERT_WEBHOOK_SECRET")
        clientId = try secret("client-id", "OTTER_CERT_CLIENT_ID")
        clientSecret = try secret("client-secret", "OTTER_CERT_CLIENT_SECRET")

        if let name = args["fault"] {
            guard let fault = Fault(rawValue: name) else {
                throw Invalid(description: "unknown --fault '\(name)'; one of: "
                              + Fault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.fault = fault
        }
        portFile = args["port-file"]
    }

    func has(_ f: Fault) -> Bool { fault == f }
}
