import XCTest
import TestSupport

/// HAR captures of live runs recorded by mitmproxy in front of both sides (Fixtures/har/mitmproxy/, made with
/// Tests/Scripts/capture-live-run.sh): observing a capture must say what the live run said, record by record.
final class ProxyCaptureTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Repo.binary), "build first: \(Repo.binary)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// The committed captures: a folder per case with capture.har and run-report.json.
    func captures() throws -> [(name: String, dir: String)] {
        let root = Repo.path("Fixtures/har/mitmproxy")
        let names = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/capture.har") }
        return names.map { ($0, "\(root)/\($0)") }
    }

    /// The webhook secret and client secret capture-live-run.sh gives the run of a type.
    func secrets(_ type: String) -> (webhook: String, client: String) {
        ("capture-webhook-secret-\(type)-Hk27", "capture-client-secret-\(type)-Jw93")
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Record id → (status, reason) of a report.json.
    func verdicts(_ report: [String: Any]) -> [String: (status: String, reason: String)] {
        var out: [String: (String, String)] = [:]
        for r in report["records"] as! [[String: Any]] { out[r["id"] as! String] = (r["status"] as! String, r["reason"] as? String ?? "") }
        return out
    }

    /// What a HAR holds, by kind: webhooks to the partner, token calls, callbacks to the Otter API.
    func census(_ harPath: String) throws -> (webhooks: Int, tokens: Int, callbacks: Int, text: String) {
        let data = try Data(contentsOf: URL(fileURLWithPath: harPath))
        let har = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let entries = (har["log"] as! [String: Any])["entries"] as! [[String: Any]]
        var w = 0, t = 0, c = 0
        for e in entries {
            let req = e["request"] as! [String: Any]
            let path = URL(string: req["url"] as! String)?.path ?? ""
            let body = (req["postData"] as? [String: Any])?["text"] as? String ?? ""
            if req["method"] as? String == "POST", path == "/webhook", body.contains("\"eventType\"") { w += 1 }
            else if path == "/v1/auth/token" { t += 1 }
            else if path.hasPrefix("/v1/") || path.hasPrefix("/manager/") { c += 1 }
        }
        return (w, t, c, String(decoding: data, as: UTF8.self))
    }

    func testTheCommittedCapturesHoldBothDirectionsAndNoSecret() throws {
        let all = try captures()
        XCTAssertGreaterThanOrEqual(all.count, 6, "delivery, pos, orders and three faulted runs")
        for (name, dir) in all {
            let report = try json(dir + "/run-report.json")
            let type = report["integrationType"] as! String
            let c = try census(dir + "/capture.har")
            XCTAssertGreaterThan(c.webhooks, 10, "\(name): webhooks to the partner")
            XCTAssertEqual(c.tokens, 1, "\(name): the partner's token call")
            let stats = report["stats"] as! [String: Any]
            XCTAssertEqual(c.webhooks, stats["webhooks"] as? Int, "\(name): the proxy saw every webhook the run sent")
            XCTAssertEqual(c.callbacks, stats["callbacks"] as? Int, "\(name): the proxy saw every call the sandbox answered")
            let s = secrets(type)
            XCTAssertFalse(c.text.contains(s.webhook), "\(name): webhook secret in clear")
            XCTAssertFalse(c.text.contains(s.client), "\(name): client secret in clear (redact-har-secrets.py)")
        }
    }

    func testObservingEachCommittedCaptureGivesTheLiveRunsVerdicts() throws {
        for (name, dir) in try captures() {
            let run = try json(dir + "/run-report.json")
            let type = run["integrationType"] as! String
            let out = tmp.appendingPathComponent("\(name).json").path
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            let r = try runProcess(Repo.binary, ["observe", "--type", type, "--log", dir + "/capture.har",
                                                 "--webhook-secret", secrets(type).webhook, "--report-json", out, "--quiet"],
                                   environment: env, currentDirectory: Repo.root.path)
            XCTAssertEqual(r.status, (run["certified"] as? Bool) == true ? 0 : 1, "\(name): \(r.stdout) \(r.stderr)")
            let live = verdicts(run), observed = verdicts(try json(out))
            XCTAssertEqual(Set(observed.keys), Set(live.keys), name)
            for id in live.keys.sorted() {
                XCTAssertEqual(observed[id]?.status, live[id]?.status,
                               "\(name) \(id): the run said \(live[id]!.status) (\(live[id]!.reason)); observe said \(observed[id]?.status ?? "nothing") (\(observed[id]?.reason ?? ""))")
            }
        }
    }

    /// mitmdump on PATH, in $MITMDUMP, or in the virtualenv of .ci/install-test-tools.
    func mitmdump() -> String? {
        let env = ProcessInfo.processInfo.environment
        var candidates = [env["MITMDUMP"]].compactMap { $0 }
        candidates += (env["PATH"] ?? "").split(separator: ":").map { "\($0)/mitmdump" }
        let venv = env["OTTER_CERT_TEST_TOOLS"] ?? ((env["HOME"] ?? "/root") + "/.cache/otter-cert/test-tools")
        candidates.append(venv + "/bin/mitmdump")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func testALiveRunRecordedThroughMitmproxyStillCertifiesAndTheCaptureHoldsBothSides() throws {
        guard let tool = mitmdump() else {
            // CI installs it (.ci/run → .ci/install-test-tools): there, a missing proxy is a failure, not a skip.
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("mitmdump is not installed; .ci/install-test-tools installs it") }
            throw XCTSkip("mitmdump is not installed (.ci/install-test-tools installs it)")
        }
        let out = tmp.appendingPathComponent("orders").path
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT"] = Repo.binary
        env["MITMDUMP"] = tool
        env["http_proxy"] = "http://127.0.0.1:9"   // a proxy of the environment must not carry the loopback traffic
        let r = try runProcess("/bin/bash", [Repo.path("Tests/Scripts/capture-live-run.sh"), "orders", out], environment: env,
                               currentDirectory: Repo.root.path, timeout: 300)
        XCTAssertEqual(r.status, 0, "\(r.stdout)\n\(r.stderr)\n\((try? String(contentsOfFile: out + "/run.log", encoding: .utf8)) ?? "")")
        XCTAssertTrue(r.stdout.contains("CERTIFIED: 21 passed, 0 failed, 0 skipped"), r.stdout)

        // The run certified through the proxy, record by record.
        let report = try json(out + "/report.json")
        let notPassed = verdicts(report).filter { $0.value.status != "passed" }.map { "\($0.key): \($0.value.reason)" }
        XCTAssertEqual(notPassed, [], "every record passed through the proxy")

        // The HAR holds both directions: the webhooks to the partner and the partner's calls to the Otter API.
        let c = try census(out + "/capture.har")
        let stats = report["stats"] as! [String: Any]
        XCTAssertEqual(c.webhooks, stats["webhooks"] as? Int, "webhook entries (POST /webhook with an eventType body)")
        XCTAssertEqual(c.tokens, 1, "the token call")
        XCTAssertEqual(c.callbacks, stats["callbacks"] as? Int, "callback entries (/v1/… or /manager/…)")
        XCTAssertTrue(c.text.contains("\"name\": \"mitmproxy\""), "written by mitmproxy's hardump")
        XCTAssertFalse(c.text.contains(secrets("orders").webhook), "the webhook secret never travels")

        // And the capture, with the webhook secret and no other help, is judged record by record as the run was.
        let observedPath = out + "/observed.json"
        let o = try runProcess(Repo.binary, ["observe", "--type", "orders", "--log", out + "/capture.har", "--quiet",
                                             "--webhook-secret", secrets("orders").webhook, "--report-json", observedPath], environment: env)
        XCTAssertEqual(o.status, 0, o.stdout + o.stderr)
        XCTAssertTrue(o.stdout.contains("CERTIFIED: 21 passed, 0 failed, 0 skipped"), o.stdout)
        let observed = verdicts(try json(observedPath)), live = verdicts(report)
        for id in live.keys.sorted() { XCTAssertEqual(observed[id]?.status, live[id]?.status, "\(id): \(observed[id]?.reason ?? "")") }
    }
}
