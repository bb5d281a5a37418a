import Foundation

/// Where one record stands in a live view.
public struct LiveRecordState: Sendable, Equatable {
    /// Not started: nothing of the record is in the log yet. Waiting: started, its verdict can still change.
    /// Settled: its verdict can no longer change.
    public enum Phase: String, Sendable { case notStarted = "not started", waiting, settled }
    /// The record id.
    public var id: String
    /// Where it stands.
    public var phase: Phase
    /// What it waits for while `waiting` ("" otherwise).
    public var waitingFor: String
    /// Seconds until it is settled at the latest, while `waiting` and when known.
    public var secondsLeft: Double?
}

/// What a live view shows now: the verdicts so far (an `EvaluationResult`, rendered like the report) and where each
/// record stands. `final` once the evaluation is over: `result` is then the report's.
public struct LiveSnapshot: Sendable {
    /// The verdicts so far, in checklist order.
    public var result: EvaluationResult
    /// One state per verdict, in the same order.
    public var records: [LiveRecordState]
    /// Whether this is the final result (the run or the followed log has ended).
    public var final: Bool
    /// Creates a snapshot.
    public init(result: EvaluationResult, records: [LiveRecordState], final: Bool) {
        self.result = result; self.records = records; self.final = final
    }
    /// The final snapshot of a finished evaluation: every record settled.
    public static func final(_ r: EvaluationResult) -> LiveSnapshot {
        LiveSnapshot(result: r, records: r.verdicts.map { LiveRecordState(id: $0.id, phase: .settled, waitingFor: "", secondsLeft: nil) },
                     final: true)
    }
    /// How many records are settled.
    public var settledCount: Int { records.filter { $0.phase == .settled }.count }
}

extension Evaluator {
    /// The verdicts as of `now` from what has been processed, and where each record stands (`progress`), without
    /// finishing the evaluation (`finish` is destructive; this may be called any number of times). `only` restricts
    /// it to the records a run runs.
    /// `ended` names the records whose run has ended (a run's end lines): a record whose trigger never came is settled
    /// then, not before.
    public func snapshot(now: Double, only: Set<String>? = nil, ended: Set<String> = []) -> LiveSnapshot {
        func final(_ id: String) -> Bool { ended.contains(id) }
        var verdicts: [Verdict] = []
        var states: [LiveRecordState] = []
        for rr in records where only?.contains(rr.record.id) ?? true {
            let id = rr.record.id
            if rr.steps.isEmpty && rr.harnessProblem == nil {
                var v = rr.verdict(self)
                v.reason = "not started"
                verdicts.append(v)
                states.append(LiveRecordState(id: id, phase: .notStarted, waitingFor: "its first step", secondsLeft: nil))
                continue
            }
            guard var p = progress(id, now: now) else { continue }
            // `progress` is asked once every step was sent, so a trigger not in the log will not come; a snapshot is
            // taken at any time, and a record whose trigger (a partner action in progress) is not logged yet waits for it.
            if p.settled, rr.steps["trigger"] == nil, rr.harnessProblem == nil, rr.actionProblem == nil, !final(id) {
                p.settled = false
                p.waitingFor = "its trigger"
                p.settlesBy = nil
            }
            verdicts.append(p.verdict)
            states.append(LiveRecordState(id: id, phase: p.settled ? .settled : .waiting, waitingFor: p.settled ? "" : p.waitingFor,
                                          secondsLeft: p.settled ? nil : p.settlesBy.map { max(0, $0 - now) }))
        }
        var result = EvaluationResult(integrationType: checklist.integrationType, checklistVersion: checklist.version, verdicts: verdicts,
                                      run: run, stats: stats,
                                      unknownEventTypes: unknownEventTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                      warnings: warnings, policies: checklist.policies)
        result.blockers = Self.blockers(run)
        return LiveSnapshot(result: result, records: states, final: false)
    }
}
