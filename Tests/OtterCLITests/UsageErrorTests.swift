import Foundation
import TestSupport
import XCTest

/// Mistakes in how otter-cert is called are said before anything runs (exit 2), in one line that names what to fix.
final class UsageErrorTests: XCTestCase {
    func cli(_ args: [String], env: [String: String] = [:]) throws -> ProcessResult {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary) else { throw XCTSkip("build otter-cert first: \(Repo.binary)") }
        var e = ProcessInfo.processInfo.environment
        for k in ["OTTER_CERT_WEBHOOK_SECRET", "OTTER_CERT_CLIENT_ID", "OTTER_CERT_CLIENT_SECRET"] { e[k] = nil }
        for (k, v) in env { e[k] = v }
        return try runProcess(Repo.binary, args, environment: e, timeout: 30)
    }

    let secrets = ["OTTER_CERT_WEBHOOK_SECRET": "s3cret-webhook", "OTTER_CERT_CLIENT_SECRET": "s3cret-client"]
    let runArgs = ["run", "--type", "delivery", "--client-id", "c", "--sandbox-listen", "127.0.0.1:0"]

    func testAnUnknownFaultIsAUsageErrorAndHelpListsTheFaults() throws {
        let started = Date()
        let r = try cli(["demo", "--fault", "bogus"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--fault must be one of accept-bad-signature"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused before any partner starts")
        let help = try cli(["demo", "--help"])
        XCTAssertTrue(help.stdout.contains("statuses-out-of-order"), help.stdout)
        XCTAssertTrue(help.stdout.contains("no-error-callback"), help.stdout)
    }

    func testBadTLSOptionsAreUsageErrorsBeforeAnythingIsSent() throws {
        let ca = try cli(runArgs + ["--partner-url", "https://127.0.0.1:1/webhook", "--cacert", "/nonexistent/ca.pem"], env: secrets)
        XCTAssertEqual(ca.status, 2)
        XCTAssertTrue(ca.stderr.contains("--cacert /nonexistent/ca.pem: no such readable file"), ca.stderr)
        XCTAssertFalse(ca.stdout.contains("DEL-01"), "nothing ran")
        let plain = try cli(runArgs + ["--partner-url", "http://127.0.0.1:1/webhook", "--insecure"], env: secrets)
        XCTAssertEqual(plain.status, 2)
        XCTAssertTrue(plain.stderr.contains("--insecure only applies to an https://"), plain.stderr)
        let allow = try cli(runArgs + ["--partner-url", "https://127.0.0.1:1/webhook", "--allow-insecure-certification"], env: secrets)
        XCTAssertEqual(allow.status, 2)
        XCTAssertTrue(allow.stderr.contains("--allow-insecure-certification only applies with --insecure"), allow.stderr)
    }

    func testMissingSecretsNameTheirEnvironmentVariables() throws {
        let r = try cli(runArgs + ["--partner-url", "http://127.0.0.1:1/webhook"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("'--webhook-secret' (or set OTTER_CERT_WEBHOOK_SECRET)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("'--client-secret' (or set OTTER_CERT_CLIENT_SECRET)"), r.stderr)
    }

    func testTheTypeComesFromTheLogAndIgnoresCase() throws {
        let log = Repo.path("Fixtures/logs/orders/pass.jsonl")
        let fromLog = try cli(["observe", "--log", log, "--quiet"])
        XCTAssertEqual(fromLog.status, 0, fromLog.stderr)
        XCTAssertTrue(fromLog.stdout.contains("orders checklist"), fromLog.stdout)
        let report = try cli(["report", "--log", log, "--format", "md"])
        XCTAssertTrue(report.stdout.contains("CERTIFIED (orders)"), report.stdout)
        let upper = try cli(["observe", "--type", "ORDERS", "--log", log, "--quiet"])
        XCTAssertEqual(upper.status, 0, upper.stderr)
        XCTAssertEqual(try cli(["checklist", "show", "Pos"]).status, 0)
        let har = try cli(["observe", "--log", Repo.path("Fixtures/har/mitmproxy/delivery/capture.har")])
        XCTAssertEqual(har.status, 2)
        XCTAssertTrue(har.stderr.contains("give --type"), har.stderr)
    }
}
