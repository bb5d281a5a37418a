import XCTest
import OtterCore
import OtterHarness
import TestSupport

/// Where reports say a record is: its checklist relative to the data root, at the line of its `"id"`.
final class ChecklistLocationTests: XCTestCase {
    func testBundledAndBuiltInChecklistsAreNamedRelativeToTheDataRoot() throws {
        for type in IntegrationType.allCases {
            let disk = try DataFiles.checklistLocation(Repo.files.checklist(type), files: Repo.files)
            let builtIn = try DataFiles.checklistLocation(ProjectFiles.builtIn.checklist(type), files: .builtIn)
            XCTAssertEqual(disk.path, "checklists/\(type.rawValue).json")
            XCTAssertEqual(builtIn, disk, "the built-in copy is the same file")
            let lines = try String(contentsOfFile: Repo.path(disk.path), encoding: .utf8).components(separatedBy: "\n")
            let ids = try Repo.checklist(type).records.map(\.id)
            XCTAssertEqual(Set(disk.recordLines.keys), Set(ids))
            for id in ids { XCTAssertTrue(lines[disk.recordLines[id]! - 1].contains("\"id\": \"\(id)\""), "\(type) \(id)") }
        }
        XCTAssertEqual(try DataFiles.checklistLocation(Repo.files.checklist(.pos), files: Repo.files).recordLines["POS-10"], 420)
    }

    func testAChecklistElsewhereIsNamedByItsFileNameNeverAnAbsolutePath() {
        XCTAssertEqual(DataFiles.displayPath("/nonexistent-dir/custom/pos.json", files: Repo.files), "pos.json")
        XCTAssertEqual(DataFiles.displayPath(Repo.path("checklists/../checklists/orders.json"), files: Repo.files), "checklists/orders.json")
        XCTAssertEqual(DataFiles.displayPath("built-in:checklists/delivery.json", files: .builtIn), "checklists/delivery.json")
    }
}
