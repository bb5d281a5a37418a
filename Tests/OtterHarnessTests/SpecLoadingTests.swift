import Foundation
import OtterCore
import OtterHarness
import TestSupport
import XCTest

/// What reading the spec compiles, and when a broken schema is reported: a command compiles, before it judges
/// anything, the schemas it can use (observe: those of its checklist; run: all, its sandbox serves every operation), and
/// a schema that cannot be compiled is refused there, in the words reading the spec always used.
final class SpecLoadingTests: XCTestCase {
    func testReadingTheSpecCompilesNoSchemaAndTheAuditCompilesTheChecklistsOnly() throws {
        let spec = try DataFiles.spec(files: Repo.files)
        XCTAssertEqual(spec.schemas.compiledSchemaNames, [], "nothing is compiled by reading the spec")
        let all = spec.schemas.schemaNames
        for type in IntegrationType.allCases {
            let checklist = try Repo.checklist(type)
            let s = try DataFiles.spec(files: Repo.files)
            try DataFiles.audit(checklist, path: Repo.files.checklist(type), spec: s, files: Repo.files)
            let used = ChecklistAudit.schemaNames(checklist, spec: s)
            XCTAssertEqual(s.schemas.compiledSchemaNames, used, type.rawValue)
            XCTAssertFalse(used.isEmpty, type.rawValue)
            XCTAssertLessThan(used.count * 4, all.count, "\(type.rawValue) compiles a fraction of the spec: \(used)")
        }
        let delivery = ChecklistAudit.schemaNames(try Repo.checklist(.delivery), spec: spec)
        XCTAssertTrue(delivery.contains("DeliveryStatusUpdateRequest"), "the body of PUT …/status, which DEL records expect: \(delivery)")
        XCTAssertTrue(delivery.contains("RequestDeliveryQuoteCallbackRequest"), "\(delivery)")

        let everything = try DataFiles.spec(files: Repo.files)
        try DataFiles.audit(try Repo.checklist(.delivery), path: Repo.files.checklist(.delivery), spec: everything, files: Repo.files, preparing: .all)
        XCTAssertEqual(everything.schemas.compiledSchemaNames, all)
    }

    /// A copy of the bundled spec with one schema made invalid (`minLength: -1`).
    private func brokenSpec(_ schema: String) throws -> (OpenAPISpec, file: String) {
        let file = "broken-\(schema).json"
        return (try DataFiles.spec(document: try Repo.specDocument(breaking: schema), file: file), file)
    }

    private func auditError(_ spec: OpenAPISpec, _ preparing: DataFiles.SchemaPreparation) -> String? {
        do {
            try DataFiles.audit(try Repo.checklist(.delivery), path: Repo.files.checklist(.delivery), spec: spec, files: Repo.files, preparing: preparing)
            return nil
        } catch { return "\(error)" }
    }

    func testABrokenSchemaTheChecklistUsesIsRefusedBeforeJudging() throws {
        let (spec, file) = try brokenSpec("DeliveryStatusUpdateRequest")
        let message = "\(file): $.components.schemas: a schema cannot be compiled: $.$defs.DeliveryStatusUpdateRequest.minLength: expected a non-negative integer"
        XCTAssertEqual(auditError(spec, .checklist), message)
        XCTAssertEqual(auditError(spec, .all), message)
        XCTAssertThrowsError(try spec.compileAllSchemas()) { XCTAssertEqual("\($0)", message) }
    }

    func testABrokenSchemaNoRecordUsesIsRefusedByRunButNotByObserve() throws {
        let (spec, file) = try brokenSpec("MenuAsynchronousJob")
        XCTAssertNil(auditError(spec, .checklist), "observe of a delivery log never validates a menu job")
        XCTAssertEqual(auditError(spec, .all),
                       "\(file): $.components.schemas: a schema cannot be compiled: $.$defs.MenuAsynchronousJob.minLength: expected a non-negative integer")
        XCTAssertEqual(spec.schemas.validate([:], against: "MenuAsynchronousJob").map(\.description),
                       ["$: schema 'MenuAsynchronousJob' cannot be compiled: $.$defs.MenuAsynchronousJob.minLength: expected a non-negative integer"],
                       "asked for anyway, it says why it cannot judge")
    }
}
