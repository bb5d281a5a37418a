import XCTest
import OtterCore
import OtterCrypto
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// No secret reaches a log, a report or the terminal, whatever the partner echoes back.
///
/// `otter-cert run` (the real binary) against Tests/Scripts/echo-partner.py, the independent partner changed to echo
/// everything it received and knows in every answer and every call: all headers, the raw body, its secrets and the
/// tokens it was issued, under odd keys, as JSON numbers, in query strings and custom headers, base64, hex and
/// percent-encoded. The partner URL carries `user:password@` and `?token=`. One run per webhook-auth mode (HMAC-SHA256
/// in base64 and in hex, Basic, Bearer, HMAC-SHA1), each with its own secrets (numeric ones too). Every file of the
/// report folder, stdout and stderr are searched for every secret and every token the sandbox issued (the partner
/// writes down each it received), in each of their forms: nothing is found. And redaction breaks nothing: every run
/// is certified, and `observe` on its log agrees.
final class RedactionEndToEndTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-redact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    struct Mode {
        var auth: String
        var encoding: String
        var webhookSecret: String
        var clientSecret: String
        var clientId: String
    }

    static let modes: [Mode] = [
        Mode(auth: "hmac", encoding: "base64", webhookSecret: "Wh+sec/ret@42!xyz", clientSecret: "cs-7Q/2+zz kk~ok", clientId: "echo-client-4711"),
        Mode(auth: "hmac", encoding: "hex", webhookSecret: "hex-Wh00k=Secret&9", clientSecret: "Cl1ent%Secret/hex", clientId: "echo-client-hex-2"),
        Mode(auth: "basic", encoding: "base64", webhookSecret: "basic Wh00k:Secret+1", clientSecret: "31415926535897932", clientId: "echo-basic-client"),
        Mode(auth: "bearer", encoding: "base64", webhookSecret: "27182818284590452", clientSecret: "bearer/Client+Secret", clientId: "echo-bearer-client"),
        Mode(auth: "hmac-sha1", encoding: "base64", webhookSecret: "sha1-Wh00k/Secret=", clientSecret: "sha1 client secret!", clientId: "echo-sha1-client"),
    ]

    /// The credentials of the partner URL, as given (percent-encoded) and as they are meant.
    static let urlUser = "url-user-31", urlPassword = "url/pw-Secret9", urlToken = "url-token-Q7w8e9"

    /// Every form of a value someone could find it in: as is, base64 (standard and URL-safe, padded or not),
    /// percent-encoded (upper and lower case hex, and as a form value) and hex (lower and upper case).
    func forms(_ s: String) -> Set<String> {
        let raw = Array(s.utf8)
        let b64 = Data(raw).base64EncodedString()
        let url = b64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        func percent(upper: Bool, plus: Bool) -> String {
            let keep = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
            return raw.map { b -> String in
                if keep.contains(b) { return String(UnicodeScalar(b)) }
                if plus && b == 0x20 { return "+" }
                return "%" + String(format: upper ? "%02X" : "%02x", b)
            }.joined()
        }
        let all: Set<String> = [s, b64, b64.replacingOccurrences(of: "=", with: ""), url, url.replacingOccurrences(of: "=", with: ""),
                                percent(upper: true, plus: false), percent(upper: false, plus: false), percent(upper: true, plus: true),
                                Digest.hex(raw), Digest.hex(raw).uppercased()]
        // And as HTML and XML write them (report.html, junit.xml).
        return all.union(all.map(XMLEscape.escape))
    }

    func testAnEchoingPartnerLeaksNoSecretInAnyWebhookAuthMode() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Repo.binary), "build first (swift build): \(Repo.binary)")
        nonisolated(unsafe) let test = self
        DispatchQueue.concurrentPerform(iterations: Self.modes.count) { i in
            do { try test.check(Self.modes[i]) } catch { XCTFail("\(Self.modes[i].auth)/\(Self.modes[i].encoding): \(error)") }
        }
    }

    func check(_ m: Mode) throws {
        let label = "--webhook-auth \(m.auth) (\(m.encoding))"
        let partnerPort = try freePort(), sandboxPort = try freePort()
        let name = "\(m.auth)-\(m.encoding)"
        let dump = tmp.appendingPathComponent("\(name).dump").path
        let partnerLog = tmp.appendingPathComponent("\(name).partner.log").path
        _ = FileManager.default.createFile(atPath: partnerLog, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: partnerLog))
        defer { try? logHandle.close() }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["OTTER_CERT_WEBHOOK_SECRET"] = m.webhookSecret
        env["OTTER_CERT_CLIENT_ID"] = m.clientId
        env["OTTER_CERT_CLIENT_SECRET"] = m.clientSecret
        let script = Repo.path("Tests/Scripts/echo-partner.py")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, "--webhook-auth", m.auth, "--signature-encoding", m.encoding, "--dump", dump,
                       "--type", "delivery", "--listen", "127.0.0.1:\(partnerPort)", "--otter-url", "http://127.0.0.1:\(sandboxPort)"]
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = logHandle
        try p.run()
        defer { stopProcess(p) }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, p.isRunning, !canConnect(partnerPort) { usleep(50_000) }
        guard canConnect(partnerPort) else {
            return XCTFail("\(label): the echo partner did not start: \((try? String(contentsOfFile: partnerLog, encoding: .utf8)) ?? "")")
        }

        let partner = "http://127.0.0.1:\(partnerPort)"
        let partnerURL = "http://\(Self.urlUser):url%2Fpw-Secret9@127.0.0.1:\(partnerPort)/webhook?token=\(Self.urlToken)&x=1"
        let dir = tmp.appendingPathComponent(name).path
        let run = try runProcess(Repo.binary, ["run", "--type", "delivery", "--partner-url", partnerURL, "--webhook-auth", m.auth,
                                               "--signature-encoding", m.encoding, "--sandbox-listen", "127.0.0.1:\(sandboxPort)",
                                               "--store-id", "echo-store-7", "--report-dir", dir,
                                               "--action-hook", "python3 '\(script)' --hook --partner \(partner)"],
                                 environment: env, timeout: 400)
        let partnerSaid = (try? String(contentsOfFile: partnerLog, encoding: .utf8)) ?? ""

        // What the partner received: every token the sandbox issued it, every Authorization otter-cert sent.
        var tokens: [String] = [], authorizations: [String] = []
        for line in ((try? String(contentsOfFile: dump, encoding: .utf8)) ?? "").split(separator: "\n") {
            let j = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] ?? [:]
            if let t = j["token"] { tokens.append(t) }
            if let a = j["authorization"] { authorizations.append(a) }
        }
        XCTAssertFalse(tokens.isEmpty, "\(label): the partner was issued no token:\n\(partnerSaid.suffix(3000))")
        var secrets = [m.webhookSecret, m.clientSecret, m.clientId, Self.urlPassword, "url%2Fpw-Secret9", Self.urlToken,
                       "\(Self.urlUser):\(Self.urlPassword)", "\(m.clientId):\(m.clientSecret)", "\(m.clientId):\(m.webhookSecret)"]
        for a in authorizations {
            let parts = a.split(separator: " ", maxSplits: 1).map(String.init)
            // A credential (not HMAC-SHA1's signature of a body, which is no secret).
            if parts.count == 2, ["basic", "bearer"].contains(parts[0].lowercased()) { secrets.append(parts[1]) }
        }
        if m.auth != "hmac" {
            XCTAssertTrue(authorizations.contains { $0.lowercased().hasPrefix(m.auth == "hmac-sha1" ? "mac " : m.auth + " ") },
                          "\(label): the partner never received the mode's Authorization: \(authorizations)")
        }

        // Search every output for every form of every secret and token.
        var outputs: [(String, String)] = [("stdout", run.stdout), ("stderr", run.stderr)]
        let attempt = dir + "/attempt-1"
        let files = try FileManager.default.contentsOfDirectory(atPath: attempt).sorted()
        for f in ["events.jsonl", "report.html", "report.md", "report.json", "junit.xml", "report.tap"] {
            XCTAssertTrue(files.contains(f), "\(label): \(f) was not written")
        }
        for f in files { outputs.append((f, try String(contentsOfFile: attempt + "/" + f, encoding: .utf8))) }
        var hits: [String] = []
        for (file, text) in outputs {
            for s in secrets + tokens {
                for form in forms(s) {
                    guard let r = text.range(of: form) else { continue }
                    let from = text.index(r.lowerBound, offsetBy: -60, limitedBy: text.startIndex) ?? text.startIndex
                    let before = text[from..<r.lowerBound]
                    hits.append("\(file): '\(form)' (a form of '\(s)') after …\(before)")
                }
            }
        }
        XCTAssertEqual(hits, [], "\(label): \(hits.count) secret(s) in clear:\n" + hits.prefix(20).joined(separator: "\n"))

        // Redaction breaks nothing: certified, every record passed, and the log alone gives the same verdict.
        XCTAssertEqual(run.status, 0, "\(label): not certified:\n\(run.stdout.suffix(3000))\n\(run.stderr)")
        XCTAssertTrue(run.stdout.contains("\nCERTIFIED:"), "\(label): \(run.stdout.suffix(2000))")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: attempt + "/report.json"))) as? [String: Any]
        let notPassed = (report?["records"] as? [[String: Any]] ?? []).filter { $0["status"] as? String != "passed" }
            .map { "\($0["id"] ?? "?"): \($0["reason"] ?? "")" }
        XCTAssertEqual(notPassed, [], label)
        let observed = try runProcess(Repo.binary, ["observe", "--type", "delivery", "--log", attempt + "/events.jsonl", "--quiet"], environment: env)
        XCTAssertEqual(observed.status, 0, "\(label): observe on the redacted log: \(observed.stdout.suffix(2000))")

        // The echoes are in the log, masked: each token by the one marker the token audit compares.
        let log = try String(contentsOfFile: attempt + "/events.jsonl", encoding: .utf8)
        let runLine = try JSONValue.parse(String(log.prefix { $0 != "\n" }))
        let salt = try XCTUnwrap(runLine["run"]?["redactionSalt"]?.stringValue)
        for t in tokens {
            let marker = Redactor(salt: salt).mask(t)
            XCTAssertTrue(log.contains("\"Bearer \(marker)\""), "\(label): the bearer token's marker")
            XCTAssertTrue(log.contains("access_token=\(marker)"), "\(label): the token in a query string has the same marker")
            XCTAssertTrue(log.contains("[\"X-Echo-Token\",\"\(marker)\"]"), "\(label): the token in a custom header has the same marker")
        }
        for marker in ["webhook-secret", "client-secret", "client-id", "partner-url-credentials", "partner-url-credential"] {
            XCTAssertTrue(log.contains("<redacted:\(marker)>"), "\(label): nothing was echoed as \(marker)?")
        }
        XCTAssertTrue(log.contains("/v1/echo?"), "\(label): the partner's echo calls are logged")
        // The partner URL is shown masked, the same way, on the terminal and in every report.
        let masked = "http://<redacted:partner-url-credentials>@127.0.0.1:\(partnerPort)/webhook?token=<redacted:partner-url-credential>&x=1"
        XCTAssertTrue(run.stdout.contains("partner " + masked), "\(label): \(run.stdout.prefix(400))")
        for f in ["report.json", "junit.xml", "report.md", "report.html"] {
            let text = outputs.first { $0.0 == f }?.1 ?? ""
            XCTAssertTrue(text.contains("127.0.0.1:\(partnerPort)/webhook"), "\(label): \(f) names the partner URL")
        }
    }
}
