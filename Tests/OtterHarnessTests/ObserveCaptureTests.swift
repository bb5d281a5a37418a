import Foundation
import OtterCore
import OtterHarness
import TestSupport
import XCTest

/// Observing files as tools write them: a byte order mark, a capture's warnings in the result, a capture written
/// out as `events.jsonl` and observed again.
final class ObserveCaptureTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-observe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let p = tmp.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes)), p)
        return p
    }

    func observe(_ type: IntegrationType, _ path: String) throws -> Observer.Observation {
        try Observer(files: Repo.files).observe(type: type, logPath: path, webhookSecret: nil)
    }

    func testAnEventLogWithAByteOrderMarkIsRead() throws {
        let text = try String(contentsOfFile: Repo.path("Fixtures/logs/pos/pass.jsonl"), encoding: .utf8)
        let obs = try observe(.pos, file("bom.jsonl", HARFixtures.bom + Array(text.utf8)))
        XCTAssertEqual(obs.source.format, "jsonl")
        XCTAssertTrue(obs.result.certified, obs.result.verdicts.filter { $0.status != .passed }.map(\.reason).joined(separator: "; "))
        XCTAssertNil(obs.eventLog, "a JSONL log is copied, not rewritten")
    }

    func testACaptureWithAByteOrderMarkIsRecognisedWithoutItsSuffix() throws {
        // Saved as .json: only the content says it is a HAR, and the mark comes before its '{'.
        let obs = try observe(.delivery, file("capture.json", HARFixtures.bom + (try HARFixtures.quoteCapture())))
        XCTAssertEqual(obs.source.format, "har")
        XCTAssertEqual(obs.result.verdicts.first { $0.id == "DEL-03" }?.status, .passed, "the capture's one quote flow is the first record it fits")
    }

    func testTheCapturesWarningsReachTheResultOnce() throws {
        let bytes = try HARFixtures.quoteCapture { HARFixtures.dropUTCOffsets(&$0); HARFixtures.stripAuthorization(&$0) }
        let obs = try observe(.delivery, file("c.har", bytes))
        XCTAssertEqual(obs.result.warnings.count, 2, "\(obs.result.warnings)")
        XCTAssertTrue(obs.result.warnings[0].hasPrefix("4 HAR entries have a startedDateTime without a UTC offset"), obs.result.warnings[0])
        XCTAssertTrue(obs.result.warnings[1].contains("bearer-token checks cannot be judged from this capture"), obs.result.warnings[1])
        let v = Dictionary(uniqueKeysWithValues: obs.result.verdicts.map { ($0.id, $0) })
        // The one quote flow is DEL-03's: its bearer check is not judged, so it is skipped (and cannot certify).
        XCTAssertEqual(v["DEL-03"]?.status, .skipped)
        XCTAssertTrue(v["DEL-03"]?.reason.contains("not judged") == true, v["DEL-03"]?.reason ?? "")
        let json = ReportWriter.render(obs, format: .json)
        XCTAssertTrue(json.contains("bearer-token checks cannot be judged from this capture"), "the report carries the warning")
    }

    func testACaptureWrittenAsEventsJSONLIsJudgedTheSameWhenObservedAgain() throws {
        let bytes = try HARFixtures.quoteCapture { HARFixtures.dropUTCOffsets(&$0); HARFixtures.stripAuthorization(&$0) }
        let har = try observe(.delivery, file("c.har", bytes))
        let dir = tmp.appendingPathComponent("out").path
        let written = try ReportWriter.write(har, to: dir, logPath: tmp.appendingPathComponent("c.har").path)
        XCTAssertTrue(written.contains(dir + "/events.jsonl"), "\(written)")
        let lines = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, "the run line and the three entries about Otter (the favicon is left out)")
        let entries = try lines.enumerated().map { try LogCodec.decode(try JSONValue.parse($0.element), lineNumber: $0.offset + 1) }
        XCTAssertEqual(entries.map(\.kind), [.run, .token, .webhook, .callback])
        XCTAssertEqual(entries.map(\.seq), [0, 1, 2, 3], "seq is the entry's number in the capture")
        XCTAssertEqual(entries[0].run?.extra["capture"]?.stringValue, "c.har")
        XCTAssertNotNil(entries[0].run?.redactionSalt)
        XCTAssertEqual(Timestamp.format(entries[1].startedAt), "2026-11-29T10:00:00.000Z", "times in the event log are UTC with the offset")
        let text = lines.joined()
        XCTAssertFalse(text.contains("har-client-secret-Zk81"))
        XCTAssertFalse(text.contains("har-raw-token-7Q2x"))

        let again = try observe(.delivery, dir + "/events.jsonl")
        XCTAssertEqual(again.result.verdicts.map(\.status), har.result.verdicts.map(\.status))
        XCTAssertEqual(again.result.verdicts.map(\.reason), har.result.verdicts.map(\.reason))
        XCTAssertEqual(again.result.warnings, har.result.warnings)
    }
}
