import Foundation
import OtterClient
import OtterCore
import OtterCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The sample partner of the built `otter-cert` binary (`otter-cert sample-partner`), run as a subprocess the way the
/// demo runs it.
final class PartnerProcess {
    static let webhookSecret = "test-webhook-secret"
    static let storeId = "store-test-1"
    static let applicationId = "app-test-1"

    /// `.build/debug/otter-cert` of this package, found from this file's location.
    static var binary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/otter-cert")
    }

    let process = Process()
    let port: Int
    let stdoutFile: URL
    let stderrFile: URL
    private let directory: URL
    private let client = HTTPClient()

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(type: String, otter: FakeOtter, fault: String? = nil) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sample-partner-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = dir
        let portFile = dir.appendingPathComponent("port")
        stdoutFile = dir.appendingPathComponent("stdout")
        stderrFile = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)

        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw TestError("\(Self.binary.path) is missing: run `swift build` first")
        }
        process.executableURL = Self.binary
        var arguments = ["sample-partner", "serve", "--type", type, "--listen", "127.0.0.1:0", "--otter-url", otter.url,
                         "--client-id", "test-client", "--port-file", portFile.path]
        if let fault { arguments += ["--fault", fault] }
        process.arguments = arguments
        // Secrets through the environment, as the harness may pass them.
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_WEBHOOK_SECRET"] = Self.webhookSecret
        env["OTTER_CERT_CLIENT_SECRET"] = "test-client-secret"
        env["no_proxy"] = "127.0.0.1,localhost"
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()

        let deadline = Date().addingTimeInterval(15)
        var found: Int?
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let p = Int(text) { found = p; break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        guard let found else {
            process.terminate()
            throw TestError("the partner did not start: \((try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// SIGTERM, then wait for the exit. Idempotent (tests may stop early; teardown stops again).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    // MARK: Webhooks

    /// An Otter event envelope around `payload`, serialised once: these are the bytes signed and sent.
    /// A webhook envelope; `store: nil` leaves `metadata.storeId` out (a store being created, a credentials fetch).
    static func envelope(_ eventType: String, eventId: String = UUID().uuidString.lowercased(), store: String? = storeId,
                         payload: JSONValue) -> (eventId: String, body: [UInt8]) {
        var metadata: JSONObject = ["applicationId": .string(applicationId), "resourceId": .string(eventId),
                                    "resourceHref": "https://example.invalid/r", "payload": payload]
        if let store { metadata["storeId"] = .string(store) }
        let event: JSONValue = [
            "eventId": .string(eventId), "eventTime": "2026-11-29T10:00:00.000Z", "eventType": .string(eventType),
            "metadata": .object(metadata),
        ]
        return (eventId, event.serializedBytes())
    }

    static func signature(_ body: [UInt8], secret: String = webhookSecret) -> String {
        Digest.base64(Digest.hmacSHA256(key: Array(secret.utf8), message: body))
    }

    /// POSTs a webhook; returns the response and how long the acknowledgement took.
    func sendWebhook(_ body: [UInt8], signature: String) throws -> (status: Int, body: [UInt8], seconds: TimeInterval) {
        let started = Date()
        let request = ClientRequest(method: "POST", url: baseURL + "/webhook",
                                    headers: [("Content-Type", "application/json"), ("X-HMAC-SHA256", signature)],
                                    body: body, timeout: 10)
        switch client.send(request) {
        case .success(let response): return (response.status, response.body, Date().timeIntervalSince(started))
        case .failure(let error): throw error
        }
    }

    // MARK: The action hook

    /// Runs `otter-cert sample-partner action --partner URL` with the harness's environment.
    func runActionHook(_ action: String, vars: JSONValue) throws -> (status: Int32, stdout: String, stderr: String) {
        let hook = Process()
        hook.executableURL = Self.binary
        hook.arguments = ["sample-partner", "action", "--partner", baseURL]
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_ACTION"] = action
        env["OTTER_CERT_RECORD"] = "TEST-01"
        env["OTTER_CERT_STORE_ID"] = Self.storeId
        env["OTTER_CERT_SANDBOX_URL"] = "http://127.0.0.1:1"
        env["OTTER_CERT_VARS"] = vars.serialized()
        env["no_proxy"] = "127.0.0.1,localhost"
        hook.environment = env
        let out = Pipe(), err = Pipe()
        hook.standardOutput = out
        hook.standardError = err
        hook.standardInput = FileHandle.nullDevice
        try hook.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        hook.waitUntilExit()
        return (hook.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
