import Foundation
import OtterCore
@testable import OtterHarness
import TestSupport
import XCTest

/// The live judge never moves the engine past an entry it has not read: a partner action that ends while the judge
/// catches up is either read with the request it caused or still holds the engine back.
final class LiveJudgeTests: XCTestCase {
    /// Lines of the recorded orders run: ORD-16's create_order action and the POST /v1/orders it caused.
    private func recorded(_ seq: Int, untagged: Bool = false) throws -> LogEntry {
        let text = try String(contentsOfFile: Repo.root.appendingPathComponent("Fixtures/logs/orders/pass.jsonl").path, encoding: .utf8)
        let line = text.split(separator: "\n")[seq - 1]
        var e = try LogCodec.decode(JSONValue.parse(String(line)), lineNumber: seq)
        if untagged { e.record = nil; e.step = nil }
        return e
    }

    /// The action ends (its entry is logged, it stops counting as in flight) at the worst moment: while the judge asks
    /// what is in flight. Its request, logged earlier and untagged as when records run side by side, must still be
    /// the action's: the setup step sees the order it waits for (it used to wait 30 s and go on without it).
    func testAnActionThatEndsWhileTheJudgeCatchesUpIsReadBeforeItsRequest() throws {
        let spec = try DataFiles.spec(files: Repo.files)
        let log = try EventLog(path: nil, redactor: Redactor(salt: "fixture-salt"))
        _ = log.append(try recorded(1))
        let action = try recorded(42)
        let judgeBox = Locked<LiveJudge?>(nil)
        let ticket = Locked<Int?>(nil)
        let judge = LiveJudge(evaluator: Evaluator(checklist: try Repo.checklist(.orders), endpoints: spec.endpoints, schemas: spec.schemas),
                              log: log, inFlight: {
            // The action's hook returns now: its line goes in and it is no longer in flight.
            if let t = ticket.update({ t in defer { t = nil }; return t }) {
                _ = log.append(action)
                judgeBox.read { $0 }?.ended(t)
            }
            return nil
        })
        judgeBox.update { $0 = judge }
        ticket.update { $0 = judge.begin().ticket }
        _ = log.append(try recorded(43, untagged: true))

        let vars = judge.look { $0.awaited(record: "ORD-16", step: "create") }
        XCTAssertEqual(vars?["orderId"], "7553462e-75b4-41b0-a1fd-04be3687b68d",
                       "the POST /v1/orders is the create step's; vars: \(String(describing: vars))")
        XCTAssertNil(ticket.read { $0 }, "the action ended during the look")
    }
}
