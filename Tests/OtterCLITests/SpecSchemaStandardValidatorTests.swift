import Foundation
import OtterCore
import OtterHarness
import TestSupport
import XCTest

/// The JSON Schema the harness generates from the OpenAPI (`otter-cert checklist openapi --json-schema`), read by a
/// standard validator nobody here wrote: python's jsonschema checks it against the draft 2020-12 meta-schema, and
/// validates every webhook a run can send against it, so our translation and our validator are not the only judges.
final class SpecSchemaStandardValidatorTests: XCTestCase {
    func testGeneratedSchemaPassesTheMetaSchemaAndTheWebhooksPassAStandardValidator() throws {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary) else { throw XCTSkip("build otter-cert first: \(Repo.binary)") }
        guard let python = CIReaderTools.python(importing: ["jsonschema"]) else {
            if CIReaderTools.inCI { XCTFail("python jsonschema is missing; .ci/install-spec-tools installs it") }
            throw XCTSkip("python jsonschema is missing (.ci/install-spec-tools installs it)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let generated = try runProcess(Repo.binary, ["checklist", "openapi", "--json-schema"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let schemaPath = dir.appendingPathComponent("otter-api.schema.json").path
        try generated.stdout.write(toFile: schemaPath, atomically: true, encoding: .utf8)

        // Every fixture, filled as a run fills it, against its webhook's schema.
        let spec = try Repo.spec()
        let folder = URL(fileURLWithPath: Repo.path("Fixtures/webhooks"))
        var pairs: [String] = []
        for rel in try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap({ $0 as? String }).filter({ $0.hasSuffix(".json") }).sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(rel), encoding: .utf8)
            let body = WebhookFactory.body(fixture: text, vars: WebhookFactory.freshVars(storeId: "store-1", applicationId: "app-1"))
            let type = try XCTUnwrap(try JSONValue.parse(Array(body.utf8))["eventType"]?.stringValue, rel)
            let hook = try XCTUnwrap(spec.webhook(eventType: type), rel)
            let file = dir.appendingPathComponent(rel.replacingOccurrences(of: "/", with: "_")).path
            try body.write(toFile: file, atomically: true, encoding: .utf8)
            pairs.append("\(hook.schema)=\(file)")
        }
        XCTAssertGreaterThanOrEqual(pairs.count, 19)
        let check = try runProcess(python, [Repo.path("Tests/Scripts/check-json-schema.py"), schemaPath] + pairs, timeout: 120)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("pass the 2020-12 meta-schema"), check.stdout)

        // The validator must be able to fail: a webhook with a wrong enum value is refused by it too.
        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"eventId":"c75d9460-5d48-423d-8d01-f825fd5b1672","eventType":"orders.order_status_update","metadata":{"payload":{"orderStatusHistory":[{"status":"CONFIRMED"}]}}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try runProcess(python, [Repo.path("Tests/Scripts/check-json-schema.py"), schemaPath, "webhook:orders.order_status_update=\(bad)"])
        XCTAssertEqual(refused.status, 1, refused.stdout)
        XCTAssertTrue(refused.stdout.contains("CONFIRMED"), refused.stdout)
    }
}
