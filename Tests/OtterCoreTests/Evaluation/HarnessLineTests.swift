import XCTest
import OtterCore
import TestSupport

/// What the harness could not do is decided from the log, like every verdict: a `harness` line fails its record as a
/// harness error, and a webhook the harness abandoned (`aborted`, on Ctrl-C) is not held against the partner.
final class HarnessLineTests: XCTestCase {
    func object(_ line: String) throws -> JSONObject { try XCTUnwrap(try JSONValue.parse(line).objectValue) }

    /// The recorded passing delivery run, with DEL-08's trigger replaced by what a run logs when its fixture cannot be
    /// read: the webhook was never sent.
    func spoiledLog() throws -> [String] {
        var out: [String] = []
        for line in try Repo.passingLog(.delivery) {
            let o = try object(line)
            if o["record"] == "DEL-08", o["step"] == "trigger", o["kind"] == "webhook" {
                var note = JSONObject()
                for k in ["v", "seq", "record", "step", "startedAt"] { note[k] = o[k] }
                note["kind"] = "harness"
                note["error"] = .object(JSONObject([("kind", "fixture"),
                                                    ("message", "the webhook fixture delivery/cancel.json could not be read when it was due: no such file")]))
                out.append(JSONValue.object(note).serialized())
                continue
            }
            out.append(line)
        }
        return out
    }

    func testAHarnessLineFailsItsRecordWithTheReasonAndNothingElse() throws {
        let r = try Repo.evaluate(.delivery, lines: try spoiledLog())
        let notPassed = r.verdicts.filter { $0.status != .passed }
        XCTAssertEqual(notPassed.map(\.id), ["DEL-08"])
        XCTAssertEqual(notPassed.first?.status, .failed)
        XCTAssertEqual(notPassed.first?.reason, "harness error (step 'trigger'), not the partner's: the webhook fixture delivery/cancel.json could not be read when it was due: no such file; the record was not run to its end")
        XCTAssertFalse(r.certified)
    }

    /// A live run does not wait for a record the harness could not run: it is settled as soon as the line is in.
    func testARecordWithAHarnessLineIsSettledAtOnce() throws {
        let (endpoints, schemas) = (try Repo.spec().endpoints, try Repo.spec().schemas)
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        let lines = try spoiledLog()
        let cut = try XCTUnwrap(lines.firstIndex { $0.contains("\"kind\":\"harness\"") })
        for (i, l) in lines[...cut].enumerated() { ev.consume(try LogCodec.decode(try JSONValue.parse(l), lineNumber: i + 1)) }
        let t = try XCTUnwrap(Timestamp.parse(try object(lines[cut])["startedAt"]?.stringValue ?? ""))
        ev.advance(before: t + 0.001)
        let p = try XCTUnwrap(ev.progress("DEL-08", now: t + 0.01))
        XCTAssertTrue(p.settled)
        XCTAssertEqual(p.verdict.status, .failed)
    }

    func testAHarnessLineOfNoRecordIsAWarning() throws {
        var lines = try Repo.passingLog(.delivery)
        lines.append(#"{"v":1,"seq":99,"kind":"harness","startedAt":"2026-11-29T10:09:00.000Z","error":{"kind":"fixture","message":"x could not be read"}}"#)
        let r = try Repo.evaluate(.delivery, lines: lines)
        XCTAssertTrue(r.certified)
        XCTAssertTrue(r.warnings.contains { $0.contains("line 99") && $0.contains("x could not be read") }, "\(r.warnings)")
    }

    /// An acknowledgement that never came because the harness gave up on it is not judged; one that timed out is the
    /// partner's failure.
    func testAnAbortedWebhookIsNotJudgedButATimedOutOneFails() throws {
        func with(_ kind: String) throws -> Verdict? {
            let lines = try Repo.passingLog(.delivery).map { line -> String in
                var o = try object(line)
                guard o["record"] == "DEL-01", o["kind"] == "webhook" else { return line }
                o["response"] = nil
                o["error"] = .object(JSONObject([("kind", .string(kind)), ("message", "the run was interrupted before the partner answered")]))
                return JSONValue.object(o).serialized()
            }
            return try Repo.evaluate(.delivery, lines: lines).verdicts.first { $0.id == "DEL-01" }
        }
        let aborted = try XCTUnwrap(try with("aborted"))
        XCTAssertEqual(aborted.status, .skipped)
        XCTAssertEqual(aborted.reason, "acknowledgement: not judged: the run was interrupted before the partner answered")
        XCTAssertEqual(try with("timeout")?.status, .failed)
    }
}
