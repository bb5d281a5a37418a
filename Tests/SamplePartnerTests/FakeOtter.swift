import Foundation
import OtterCore
import OtterHTTP

/// A minimal stand-in for the Otter Public API: issues a token, records every call, and answers
/// scripted responses (e.g. 503 once, 429 with Retry-After once) before the default 204.
final class FakeOtter: @unchecked Sendable {
    struct Call: Sendable {
        var method: String
        var path: String
        var headers: HTTPHeaders
        var body: [UInt8]
        var at: Date

        func header(_ name: String) -> String? { headers[name] }
        var json: JSONValue? { try? JSONValue.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static let token = "tok-fake-1"

    private let lock = NSLock()
    private var recorded: [Call] = []
    private var scripted: [String: [HTTPResponse]] = [:]
    private var server: HTTPServer!

    init() throws {
        server = HTTPServer { [unowned self] request in self.answer(request) }
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)" }

    func stop() { server.stop() }

    /// The next calls to `method path` get these responses, in order; later ones get the default.
    func script(_ method: String, _ path: String, _ responses: [HTTPResponse]) {
        lock.lock()
        defer { lock.unlock() }
        scripted["\(method) \(path)", default: []].append(contentsOf: responses)
    }

    /// Every call so far, token requests included.
    var calls: [Call] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func calls(_ method: String, _ path: String) -> [Call] {
        calls.filter { $0.method == method && $0.path == path }
    }

    /// Waits until at least `count` calls to `method path` arrived (or `timeout` passed).
    @discardableResult
    func waitFor(_ method: String, _ path: String, count: Int = 1, timeout: TimeInterval = 10) -> [Call] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = calls(method, path)
            if found.count >= count { return found }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return calls(method, path)
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        lock.lock()
        recorded.append(Call(method: request.method, path: request.path, headers: request.headers, body: request.body, at: Date()))
        let key = "\(request.method) \(request.path)"
        var next: HTTPResponse?
        if var queue = scripted[key], !queue.isEmpty {
            next = queue.removeFirst()
            scripted[key] = queue
        }
        lock.unlock()
        if let next { return next }
        if request.path == "/v1/auth/token" {
            return .json(200, #"{"access_token":"\#(Self.token)","expires_in":3600,"scope":"x","token_type":"bearer"}"#)
        }
        return HTTPResponse(status: 204)
    }
}
