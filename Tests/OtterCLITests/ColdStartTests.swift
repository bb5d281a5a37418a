import Foundation
import TestSupport
import OtterCore
import XCTest
@testable import OtterCLI

/// What a command loads when it starts: libcurl (and the libraries it needs) only for the commands that send HTTP
/// requests, as the dynamic loader itself reports (LD_DEBUG=files names every object it maps, dlopen'ed ones too).
final class ColdStartTests: XCTestCase {
    private func loadedObjects(_ args: [String]) throws -> (status: Int32, objects: String) {
        var env = ProcessInfo.processInfo.environment
        env["LD_DEBUG"] = "files"
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "OTTER_CERT_WEBHOOK_SECRET")
        let r = try runProcess(Repo.binary, args, environment: env, currentDirectory: Repo.root.path)
        return (r.status, r.stderr.split(separator: "\n").filter { $0.contains("file=") }.joined(separator: "\n"))
    }

    func testCommandsThatSendNoRequestDoNotLoadLibcurl() throws {
        let commands: [[String]] = [
            ["--version"], ["--help"], ["checklist", "list"], ["checklist", "openapi"],
            ["observe", "--type", "delivery", "--log", Repo.path("Fixtures/logs/delivery/pass.jsonl"), "--quiet"],
        ]
        for args in commands {
            let (status, objects) = try loadedObjects(args)
            XCTAssertEqual(status, 0, args.joined(separator: " "))
            XCTAssertTrue(objects.contains("libFoundation"), "the loader's report lists what it maps: \(objects.prefix(300))")
            XCTAssertFalse(objects.contains("libcurl"), "\(args.joined(separator: " ")) loads libcurl")
            XCTAssertFalse(objects.contains("libgnutls"), "\(args.joined(separator: " ")) loads libcurl's TLS library")
        }
    }

    /// The first HTTP client opens libcurl: the sample partner's action hook sends one request, to a port nobody
    /// listens on, and reports libcurl's own words for the refused connection.
    func testTheFirstHTTPClientLoadsLibcurl() throws {
        var env = ProcessInfo.processInfo.environment
        env["LD_DEBUG"] = "files"
        let r = try runProcess(Repo.binary, ["sample-partner", "action", "--partner", "http://127.0.0.1:9", "--action", "pos.confirm_order",
                                             "--vars", "{}"], environment: env)
        XCTAssertEqual(r.status, 1, r.stderr.suffix(400).description)
        XCTAssertTrue(r.stderr.contains("file=libcurl"), "libcurl is opened when a request is sent")
        XCTAssertTrue(r.stderr.contains("pos.confirm_order: partner at http://127.0.0.1:9 unreachable"), r.stderr.suffix(400).description)
        XCTAssertTrue(r.stderr.range(of: "refused|connect", options: [.regularExpression, .caseInsensitive]) != nil, r.stderr.suffix(400).description)
    }

    func testPaddingIsFoundationsPadding() {
        for s in ["", "pos", "delivery", "orders-and-more", "é", "😀x", "exactly9!"] {
            for n in [0, 3, 9, 23] {
                XCTAssertEqual(s.padded(to: n), s.padding(toLength: n, withPad: " ", startingAt: 0), "\(s) \(n)")
            }
        }
    }

    /// A copy of the bundled OpenAPI with one schema made invalid, in a fresh temporary folder.
    private func brokenSpec(_ schema: String) throws -> String {
        let doc = try Repo.specDocument(breaking: schema)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("spec.json").path
        try doc.serialized().write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The OpenAPI description is read on another thread while the checklist is read: when both are wrong, the
    /// checklist's error is still the one reported, as when they were read one after the other.
    func testABadChecklistIsReportedBeforeABadOpenAPI() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("spec.json").path, checklist = dir.appendingPathComponent("list.json").path
        try "{\"openapi\": ".write(toFile: spec, atomically: true, encoding: .utf8)
        try "[1,".write(toFile: checklist, atomically: true, encoding: .utf8)
        let log = Repo.path("Fixtures/logs/delivery/pass.jsonl")
        let bad = try otterCert(["observe", "--type", "delivery", "--log", log, "--checklist", checklist, "--openapi", spec])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("otter-cert: error: \(checklist): "), bad.stderr)
        let wrongType = try otterCert(["observe", "--type", "delivery", "--log", log, "--checklist", Repo.path("checklists/pos.json"),
                                       "--openapi", spec])
        XCTAssertEqual(wrongType.status, 2)
        XCTAssertTrue(wrongType.stderr.contains("is the pos checklist, but --type is delivery"), wrongType.stderr)
        let badSpec = try otterCert(["observe", "--type", "delivery", "--log", log, "--openapi", spec])
        XCTAssertEqual(badSpec.status, 2)
        XCTAssertTrue(badSpec.stderr.hasPrefix("otter-cert: error: \(spec): "), badSpec.stderr)
    }

    /// A broken --openapi is reported where and as it always was when the command can use the broken schema: observe
    /// before judging (exit 2), run before it starts its sandbox; a schema only run's sandbox could use stops run only.
    func testABrokenOpenAPIIsRefusedBeforeAnythingIsJudged() throws {
        let log = Repo.path("Fixtures/logs/delivery/pass.jsonl")
        let used = try brokenSpec("DeliveryStatusUpdateRequest")
        let observed = try otterCert(["observe", "--type", "delivery", "--log", log, "--quiet", "--openapi", used])
        XCTAssertEqual(observed.status, 2)
        XCTAssertEqual(observed.stdout, "")
        XCTAssertEqual(observed.stderr, "otter-cert: error: \(used): $.components.schemas: a schema cannot be compiled: "
                       + "$.$defs.DeliveryStatusUpdateRequest.minLength: expected a non-negative integer\n")

        let unused = try brokenSpec("MenuAsynchronousJob")
        let judged = try otterCert(["observe", "--type", "delivery", "--log", log, "--quiet", "--openapi", unused])
        XCTAssertEqual(judged.status, 0, judged.stderr)
        XCTAssertTrue(judged.stdout.hasPrefix("CERTIFIED: 12 passed"), judged.stdout)
        let run = try otterCert(["run", "--type", "delivery", "--partner-url", "http://127.0.0.1:9/otter", "--webhook-secret", "a-long-webhook-secret",
                                 "--client-id", "client-identifier", "--client-secret", "a-long-client-secret", "--sandbox-listen", "127.0.0.1:0",
                                 "--quiet", "--openapi", unused])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("otter-cert: error: \(unused): $.components.schemas: a schema cannot be compiled: "
                                          + "$.$defs.MenuAsynchronousJob.minLength: expected a non-negative integer"), run.stderr)
    }
}
