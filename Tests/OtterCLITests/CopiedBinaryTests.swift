import XCTest
import TestSupport

/// The `otter-cert` binary copied alone into an empty folder still works: it carries its checklists, schemas and
/// webhook fixtures, and serves the demo's sample partner itself (no second executable, no environment variable).
final class CopiedBinaryTests: XCTestCase {
    var dir: URL!
    var binary: String { dir.appendingPathComponent("otter-cert").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-copied-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.binary, toPath: binary)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The environment of a user who never heard of OTTER_CERT_HOME, in a folder far from the checkout.
    func env() -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["OTTER_CERT_HOME"] = nil
        e["NO_COLOR"] = "1"
        return e
    }

    func testChecklistListWorksFromTheBuiltInData() throws {
        let r = try runProcess(binary, ["checklist", "list"], environment: env(), currentDirectory: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("delivery  v1.0.0  12 records"), r.stdout)
        XCTAssertTrue(r.stdout.contains("ORD-21"), r.stdout)
        let shown = try runProcess(binary, ["checklist", "show", "pos"], environment: env(), currentDirectory: dir.path)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("POS-18"), shown.stdout)
    }

    func testDemoCertifiesTheSamplePartnerFromTheCopiedBinary() throws {
        let r = try runProcess(binary, ["demo", "--type", "orders", "--quiet"], environment: env(), currentDirectory: dir.path, timeout: 180)
        XCTAssertEqual(r.status, 0, "\(r.stdout)\n\(r.stderr)")
        XCTAssertTrue(r.stdout.contains("CERTIFIED: 21 passed, 0 failed, 0 skipped of 21 records"), r.stdout)
        for f in ["events.jsonl", "report.html", "report.json", "junit.xml", "report.md", "report.tap"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("otter-cert-demo/orders/latest/\(f)").path), f)
        }
        // The checklist came from the binary: reports name it as in a checkout, never as a pseudo-path.
        let junit = try String(contentsOf: dir.appendingPathComponent("otter-cert-demo/orders/latest/junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains(" file=\"checklists/orders.json\">"), junit)
        XCTAssertFalse(junit.contains("built-in:"), junit)
        let tap = try String(contentsOf: dir.appendingPathComponent("otter-cert-demo/orders/latest/report.tap"), encoding: .utf8)
        XCTAssertTrue(tap.contains("  at:\n    file: \"checklists/orders.json\"\n    line: "), tap)
    }

    func testAnUnknownDemoFaultSaysWhatIsWrong() throws {
        let r = try runProcess(binary, ["demo", "--fault", "bogus"], environment: env(), currentDirectory: dir.path)
        XCTAssertEqual(r.status, 2, "a usage error, before the partner starts")
        XCTAssertTrue(r.stderr.contains("--fault must be one of"), r.stderr)
        XCTAssertTrue(r.stderr.contains("got 'bogus'"), r.stderr)
    }

    func testAWrongDataFolderIsNamed() throws {
        var e = env()
        e["OTTER_CERT_HOME"] = dir.path
        let r = try runProcess(binary, ["checklist", "list"], environment: e, currentDirectory: dir.path)
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stderr.contains("OTTER_CERT_HOME=\(dir.path) holds no checklists/delivery.json"), r.stderr)
    }
}
