/// A run that judged only some records (`--only`, `--rerun-failed`, or an interrupt) still reports the whole checklist:
/// each record's verdict comes from the attempt that last ran it, and a record nobody judged is said to be not run.
public enum AttemptMerge {
    /// `result` (this run's verdicts) completed to every record of `checklist`: a record this run did not judge takes
    /// its verdict from `earlier` (the previous attempt's report, marked with that attempt), or is `skipped` and
    /// `notRun` (`interrupted` when the run stopped before it, else `notSelected`).
    public static func complete(_ result: EvaluationResult, checklist: Checklist, judged: Set<String>, interrupted: Bool,
                                selected: Set<String>?, earlier: [Verdict]) -> EvaluationResult {
        var out = result
        out.interrupted = interrupted
        let mine = Dictionary(result.verdicts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let before = Dictionary(earlier.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        out.verdicts = checklist.records.map { r in
            if judged.contains(r.id), let v = mine[r.id] { return v }
            let wasToRun = selected?.contains(r.id) ?? true
            if !wasToRun, let v = before[r.id] { return v }
            let why: Verdict.NotRun = interrupted && wasToRun ? .interrupted : .notSelected
            return Verdict(id: r.id, title: r.title, required: r.required, rationale: r.rationale, status: .skipped,
                           reason: why == .interrupted ? "not run (interrupted): the run stopped before this record"
                                                       : "not run: left out of this attempt (--only), and no earlier attempt judged it",
                           checks: [], evidence: [], startedAt: nil, deadlines: [], source: r.source, notRun: why)
        }
        return out
    }
}
