import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `otter-cert run` against Tests/SpecPartner, a partner written strictly to the bundled OpenAPI: it validates every
/// webhook the harness sends and every answer the sandbox gives with openapi-schema-validator, and counts what breaks
/// the spec. A run must be certified with 0 violations. The partner needs the test-tools virtualenv
/// (.ci/install-test-tools): the tests skip without it locally and fail in CI.
final class SpecPartnerTests: XCTestCase {
    var tmp: URL!
    /// A UUID: the spec gives `OAuthTokenGenerationRequest.client_id` the format uuid, and the partner sends only
    /// spec-valid requests.
    let clientId = "5b7c0a52-3f1e-4c9a-9d2b-6e8f0a1b2c3d"
    let secrets = ["spec-webhook-secret-K4m1", "spec-client-secret-P7q2"]

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-spec-partner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// The virtualenv's python with the validator, or a skip (a failure in CI).
    func python() throws -> String {
        guard let python = CIReaderTools.python(importing: ["openapi_schema_validator", "jsonschema", "referencing"]) else {
            let message = "the spec partner's validator (openapi-schema-validator, jsonschema) is not installed in "
                + "\(CIReaderTools.virtualenv); run .ci/install-test-tools"
            if CIReaderTools.inCI { XCTFail(message) }
            throw XCTSkip(message)
        }
        return python
    }

    func env() -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["NO_COLOR"] = "1"
        e["OTTER_CERT_WEBHOOK_SECRET"] = secrets[0]
        e["OTTER_CERT_CLIENT_ID"] = clientId
        e["OTTER_CERT_CLIENT_SECRET"] = secrets[1]
        return e
    }

    /// The spec partner's own checks catch what they should (so that 0 violations below means something).
    func testTheSpecPartnersChecksCatchWhatTheyShould() throws {
        let python = try python()
        let r = try runProcess(python, [Repo.path("Tests/SpecPartner/selftest.py")], environment: env(), timeout: 240)
        XCTAssertEqual(r.status, 0, String(r.stderr.suffix(6000)))
        XCTAssertTrue(r.stderr.contains("\nOK"), String(r.stderr.suffix(3000)))
    }

    func testEveryTypeIsCertifiedAndNothingTheHarnessSendsBreaksTheSpec() throws {
        let python = try python()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Repo.binary), "build first (swift build): \(Repo.binary)")
        let types = ["delivery", "pos", "orders"]
        nonisolated(unsafe) let test = self
        DispatchQueue.concurrentPerform(iterations: types.count) { i in
            do { try test.certify(types[i], python: python) } catch { XCTFail("\(types[i]): \(error)") }
        }
    }

    /// Runs the real binary against the spec partner for one type, then reads the partner's count of violations.
    func certify(_ type: String, python: String) throws {
        let partnerPort = try freePort(), sandboxPort = try freePort()
        let partnerURL = "http://127.0.0.1:\(partnerPort)"
        let stderrPath = tmp.appendingPathComponent("partner-\(type).log").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let partnerLog = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer { try? partnerLog.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Repo.path("Tests/SpecPartner/partner.py"), "--type", type, "--listen", "127.0.0.1:\(partnerPort)",
                       "--otter-url", "http://127.0.0.1:\(sandboxPort)"]
        p.environment = env()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = partnerLog
        try p.run()
        defer { stopProcess(p) }
        func partnerStderr() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, p.isRunning, !canConnect(partnerPort) { usleep(50_000) }
        guard canConnect(partnerPort) else { return XCTFail("\(type): the spec partner did not start:\n\(partnerStderr())") }

        let dir = tmp.appendingPathComponent(type).path
        let run = try runProcess(Repo.binary, ["run", "--type", type, "--partner-url", partnerURL + "/webhook",
                                               "--sandbox-listen", "127.0.0.1:\(sandboxPort)", "--store-id", "spec-store-7",
                                               "--report-dir", dir,
                                               "--action-hook", "python3 '\(Repo.path("Tests/IndependentPartner/action-hook.py"))' --partner \(partnerURL)"],
                                 environment: env(), timeout: 480)
        let health = try runProcess(python, ["-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())",
                                             partnerURL + "/_control/health"], timeout: 30)
        let json = try JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(json["ok"] as? Bool, true, "\(type): /_control/health: \(health.stdout) \(health.stderr)")

        // Every violation the partner wrote, each distinct line once with its count (eventIds vary between lines).
        var seen: [String: Int] = [:], order: [String] = []
        for line in partnerStderr().split(separator: "\n") {
            guard let at = line.range(of: "SPEC VIOLATION ") else { continue }
            let text = String(line[at.upperBound...]).replacingOccurrences(of: #"eventId=[0-9a-fA-F-]+"#, with: "eventId=…",
                                                                            options: .regularExpression)
            if seen[text] == nil { order.append(text) }
            seen[text, default: 0] += 1
        }
        let listed = order.map { "  \(seen[$0]!)× \($0)" }.joined(separator: "\n")
        XCTAssertEqual(json["violations"] as? Int, 0,
                       "\(type): the spec partner found \(json["violations"] ?? "?") spec violation(s) in what the harness sent or answered:\n\(listed)")
        XCTAssertEqual(run.status, 0, "\(type): the run against the spec partner was not certified:\n\(run.stdout.suffix(4000))")
        if run.status == 0 { XCTAssertTrue(run.stdout.contains("\nCERTIFIED:"), "\(type): \(run.stdout.suffix(2000))") }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/latest/report.json"))) as? [String: Any]
        let notPassed = (report?["records"] as? [[String: Any]] ?? []).filter { $0["status"] as? String != "passed" }
            .map { "\($0["id"] ?? "?"): \($0["status"] ?? "?"): \($0["reason"] ?? "")" }
        XCTAssertEqual(notPassed, [], "\(type): records not passed")
    }
}
