import Foundation
import TestSupport
import XCTest

/// The HTML report as a real browser prints it (headless Chromium, print to PDF): a failing orders report fits in a
/// few pages, and the failing record's own section starts on page 1 or 2.
final class PrintedReportTests: XCTestCase {
    func testAFailingOrdersReportPrintsInAtMostTenPagesWithTheFailureFirst() throws {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary) else { throw XCTSkip("build otter-cert first: \(Repo.binary)") }
        let pdf = FileManager.default.temporaryDirectory.appendingPathComponent("otter-print-\(UUID().uuidString).pdf").path
        defer { try? FileManager.default.removeItem(atPath: pdf) }
        let r = try runProcess("/bin/sh", [Repo.path("Tests/Scripts/print-report.sh"), pdf], currentDirectory: Repo.path(""), timeout: 120)
        if r.status == 3 {
            if CIReaderTools.inCI { XCTFail("chromium or poppler-utils is missing; .ci/install-browser-tools installs them") }
            throw XCTSkip("chromium or poppler-utils is missing (.ci/install-browser-tools installs them)")
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("pages=") }, r.stdout)
        let numbers = line.split(separator: " ").compactMap { Int($0.split(separator: "=").last ?? "") }
        XCTAssertEqual(numbers.count, 2, String(line))
        XCTAssertLessThanOrEqual(numbers[0], 10, "pages: \(line)")
        XCTAssertTrue((1...2).contains(numbers[1]), "the failing record's section starts on page \(numbers[1]): \(line)")
    }
}
