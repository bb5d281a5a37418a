import Foundation
import OtterClient
import OtterCore
import OtterHarness
import XCTest

/// A running sandbox on an ephemeral loopback port, its log file and a libcurl client.
final class SandboxRig {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let files = ProjectFiles(root: root)
    static let spec: OpenAPISpec = try! DataFiles.spec(files: files)

    static let clientId = "demo-client"
    static let clientSecret = "s3cret-Pa55word-for-tests"
    static let storeId = "partner-store-001"
    static let quoteScopes = "delivery.provider callback.error.write"

    let dir: URL
    let logPath: String
    let log: EventLog
    let sandbox: OtterSandbox
    let client = HTTPClient()

    init(tokenTTL: Int = SandboxConfiguration.specTokenTTL, rateLimits: RateLimitMode = .otter) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-sandbox-\(UUID().uuidString)")
        logPath = dir.appendingPathComponent("run/events.jsonl").path
        log = try EventLog(path: logPath, redactor: Redactor(salt: "test-salt"))
        let config = SandboxConfiguration(clientId: Self.clientId, clientSecret: Self.clientSecret, storeId: Self.storeId,
                                          tokenTTL: tokenTTL, rateLimits: rateLimits)
        sandbox = OtterSandbox(configuration: config, spec: Self.spec, log: log)
        sandbox.handedOut(Self.handedOutIds)
        try sandbox.start()
    }

    /// The delivery and order ids the tests' calls name, handed out as a run hands out a record's vars (any other id
    /// is a 404, as it would be at Otter).
    static let handedOutIds = ["ref-1", "ref-11", "ref-other", "d-1", "d-one", "d-two", "order-42"]

    deinit {
        sandbox.stop()
        log.close()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Sends a request to the sandbox; fails the test on a transport error.
    func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: String = "",
              file: StaticString = #filePath, line: UInt = #line) -> ClientResponse {
        switch client.send(ClientRequest(method: method, url: sandbox.baseURL + path, headers: headers, body: Array(body.utf8))) {
        case .success(let r): return r
        case .failure(let e):
            XCTFail("transport error: \(e)", file: file, line: line)
            return ClientResponse(status: 0)
        }
    }

    /// A form-encoded token request with credentials in the body.
    func tokenResponse(scope: String = quoteScopes, secret: String = clientSecret, grant: String = "client_credentials") -> ClientResponse {
        let form = "grant_type=\(grant)&client_id=\(Self.clientId)&client_secret=\(secret)&scope=\(scope.replacingOccurrences(of: " ", with: "+"))"
        return send("POST", "/v1/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
    }

    /// A valid access token for `scope`.
    func token(scope: String = quoteScopes, file: StaticString = #filePath, line: UInt = #line) -> String {
        let r = tokenResponse(scope: scope)
        XCTAssertEqual(r.status, 200, "token: \(r.text)", file: file, line: line)
        return r.json?["access_token"]?.stringValue ?? ""
    }

    /// Announces a webhook so its eventId is accepted; returns the eventId.
    @discardableResult
    func announce(record: String = "DEL-03") -> String {
        let id = UUID().uuidString.lowercased()
        sandbox.webhookSent(eventId: id, record: record)
        return id
    }

    /// `POST /v1/delivery/{id}/quotes` with the usual headers, each overridable (nil drops it).
    func quote(token: String?, store: String? = storeId, eventId: String?, body: String = #"{"currencyCode":"USD","minPickupDuration":10}"#,
               reference: String = "ref-1", file: StaticString = #filePath, line: UInt = #line) -> ClientResponse {
        var h: [(String, String)] = [("Content-Type", "application/json")]
        if let token { h.append(("Authorization", "Bearer \(token)")) }
        if let store { h.append(("X-Store-Id", store)) }
        if let eventId { h.append(("X-Event-Id", eventId)) }
        return send("POST", "/v1/delivery/\(reference)/quotes", headers: h, body: body, file: file, line: line)
    }

    /// The log file's lines, decoded.
    func fileEntries(file: StaticString = #filePath, line: UInt = #line) -> [LogEntry] {
        guard let data = FileManager.default.contents(atPath: logPath) else { XCTFail("no log file", file: file, line: line); return [] }
        var out: [LogEntry] = []
        for (i, l) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            do {
                out.append(try Array(l).withUnsafeBytes { raw throws(LogError) in try LogCodec.decode(line: raw, lineNumber: i + 1) })
            } catch { XCTFail("line \(i + 1) does not decode: \(error)", file: file, line: line) }
        }
        return out
    }
}

extension ClientResponse {
    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON, when it is.
    var json: JSONValue? { try? JSONValue.parse(body) }
}
