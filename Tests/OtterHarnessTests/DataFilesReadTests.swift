import Foundation
import OtterHarness
import TestSupport
import XCTest

/// `DataFiles.bytes`, which every checklist, fixture and OpenAPI description is read through: read straight into the
/// array, sized by `fstat`, so a pipe (which says 0) must still be read whole.
final class DataFilesReadTests: XCTestCase {
    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-datafiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func testAFileIsReadWholeAndExactly() throws {
        // Every byte value, over several pages and not a multiple of any buffer size.
        let bytes = (0..<300_001).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let path = tmp.appendingPathComponent("data.bin").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertEqual(try DataFiles.bytes(path), bytes)
        let empty = tmp.appendingPathComponent("empty.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertEqual(try DataFiles.bytes(empty), [])
    }

    func testAPipeIsReadToItsEnd() throws {
        // `--openapi <(curl …)`: a FIFO's size is 0, so all of it comes from reads past the first.
        let fifo = tmp.appendingPathComponent("spec.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let text = String(repeating: #"{"openapi":"3.0.0"}"# + "\n", count: 20_000)  // 400 KB, several pipe buffers
        Thread.detachNewThread {
            let fd = open(fifo, O_WRONLY)
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        XCTAssertEqual(try DataFiles.bytes(fifo), Array(text.utf8))
    }

    func testWhatCannotBeReadSaysWhy() throws {
        XCTAssertThrowsError(try DataFiles.bytes(tmp.path)) { XCTAssertEqual("\($0)", "\(tmp.path): is a directory, expected a file") }
        let missing = tmp.appendingPathComponent("nope.json").path
        XCTAssertThrowsError(try DataFiles.bytes(missing)) { XCTAssertEqual("\($0)", "\(missing): no such file") }
    }
}
