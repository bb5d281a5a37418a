import Foundation

/// The outcome of one record.
public struct Verdict: Sendable {
    /// Passed, failed, or skipped (not observed, or not run).
    public enum Status: String, Sendable, CaseIterable { case passed, failed, skipped }

    /// Record id.
    public var id: String
    /// Record title.
    public var title: String
    /// Whether certification needs it.
    public var required: Bool
    /// What the partner must do.
    public var rationale: String
    /// The outcome.
    public var status: Status
    /// One sentence: why.
    public var reason: String
    /// Every expectation's own outcome, in checklist order.
    public var checks: [CheckResult]
    /// The exchanges that decided it.
    public var evidence: [Evidence]
    /// When the record's clock started (its trigger), if observed.
    public var startedAt: Double?
    /// Deadlines drawn on the timeline.
    public var deadlines: [Deadline]
    /// Where the record's rule comes from (the spec, Otter's policy, or both).
    public var source: RuleSource? = nil
    /// The kind of the record's rules taken together (its own source and every check's), known from the checklist
    /// even when the record was not observed.
    public var rulesSourceKind: RuleSource.Kind? = nil
    /// The earlier attempt this verdict comes from, when this run did not rerun the record (nil: this run judged it).
    public var attempt: Int? = nil
    /// Why this run did not judge the record at all, when it did not (it is then `skipped`).
    public var notRun: NotRun? = nil

    /// Why a record has no verdict of this run.
    public enum NotRun: String, Sendable {
        /// The run was interrupted before it reached the record.
        case interrupted
        /// `--only` left it out, and no earlier attempt judged it.
        case notSelected = "not-selected"
    }
}

/// One expectation's outcome.
public struct CheckResult: Sendable {
    /// What was checked (`POST /v1/delivery/d-1/quotes`).
    public var label: String
    /// Its outcome.
    public var status: Verdict.Status
    /// Why, in one sentence.
    public var reason: String
    /// What was expected, when a single value tells it.
    public var expected: String?
    /// What was seen instead.
    public var seen: String?
    /// The expectation's own source, when it is not its record's.
    public var source: RuleSource?
    /// Field assertions of the expectation that name their own source: the rule (`$.currencyCode matches ^[A-Z]{3}$`) and it.
    public var fieldSources: [(rule: String, source: RuleSource)] = []

    /// Creates a result.
    public init(label: String, status: Verdict.Status, reason: String, expected: String? = nil, seen: String? = nil, source: RuleSource? = nil) {
        self.label = label; self.status = status; self.reason = reason; self.expected = expected; self.seen = seen; self.source = source
    }
}

/// A log entry cited as evidence, and what it shows.
public struct Evidence: Sendable {
    /// Why the entry is cited.
    public enum Role: String, Sendable { case trigger, setup, matched, closestMiss = "closest-miss", violation, attempt, action, token }
    /// Why it is cited.
    public var role: Role
    /// The exchange (secrets already redacted in the log).
    public var entry: LogEntry
    /// What it shows.
    public var note: String
}

/// A deadline on a record's timeline.
public struct Deadline: Sendable {
    /// What must have happened by then.
    public var label: String
    /// When, in seconds since 1970.
    public var at: Double
    /// `due`: something must have happened by then; `quiet`: nothing (more) may happen until then.
    public var kind: Kind = .due

    /// The two kinds of deadline.
    public enum Kind: String, Sendable { case due, quiet }

    /// Creates a deadline.
    public init(label: String, at: Double, kind: Kind = .due) { self.label = label; self.at = at; self.kind = kind }
}

/// The outcome of evaluating a whole log against a checklist.
public struct EvaluationResult: Sendable {
    /// Integration type of the checklist.
    public var integrationType: IntegrationType
    /// Checklist version.
    public var checklistVersion: String
    /// One verdict per record, in checklist order.
    public var verdicts: [Verdict]
    /// Facts of the run, when the log starts with a `run` line.
    public var run: RunNote?
    /// Counts of what the log held.
    public var stats: LogStats
    /// Webhook event types seen in the log that no record uses, with counts (reported, not fatal).
    public var unknownEventTypes: [(eventType: String, count: Int)]
    /// Notes for the reader (a log of another integration type, a missing secret …).
    public var warnings: [String]
    /// The checklist's policies that hold for every record.
    public var policies: [RuleSource] = []

    /// Whether the run was interrupted before it had judged every record it was to run.
    public var interrupted = false
    /// Whether the log lines the reader skipped as unreadable were ignored (`--lenient=ignore`): then they do not keep
    /// the log from certifying, and every report says how many were ignored.
    public var unreadableLinesIgnored = false

    /// Lines the reader skipped as unreadable (`--lenient`) that keep the log from certifying: each could have held
    /// evidence (the failure a record is judged by), so a verdict built without them cannot be a certification.
    /// Zero when they were ignored (`--lenient=ignore`). Blank lines are not entries and never count.
    public var unreadableLines: Int { unreadableLinesIgnored ? 0 : stats.skippedLines }

    /// Why this run cannot certify whatever its records say (TLS verification was off …); empty for most runs.
    public var blockers: [String] = []

    /// Departures from the OpenAPI description in a proxy's log, of either side, in log order (the first
    /// `SpecFinding.kept`); `specFindingCount` counts them all. Only a proxy's log is checked (`specChecked`): in a
    /// run, Otter's side is the harness's own, and checked by its tests. They are findings, not verdicts: a record is
    /// judged by its checks alone, and a departure on Otter's side is never the partner's failure.
    public var specFindings: [SpecFinding] = []
    /// How many departures there were in all.
    public var specFindingCount = 0
    /// Whether the log was checked against the spec exchange by exchange (a proxy's log, with the spec at hand).
    public var specChecked = false

    /// Certified: every record was judged (in this run or, when rerun, in the attempt that last ran it), the run was
    /// not interrupted, nothing blocks it, no line of the log was left unread (unless ignored), and every required
    /// record passed.
    public var certified: Bool {
        !partial && blockers.isEmpty && unreadableLines == 0 && verdicts.allSatisfy { !$0.required || $0.status == .passed }
    }
    /// Some records were not judged at all (`--only` without an earlier attempt, or an interrupt): the verdict is
    /// partial, never a certification.
    public var partial: Bool { interrupted || verdicts.contains { $0.notRun != nil } }
    /// How many records were judged, by this run or an earlier attempt.
    public var judged: Int { verdicts.filter { $0.notRun == nil }.count }
    /// How many verdicts come from earlier attempts.
    public var carried: Int { verdicts.filter { $0.attempt != nil }.count }

    /// How many verdicts have a status.
    public func count(_ s: Verdict.Status) -> Int { verdicts.filter { $0.status == s }.count }
}

/// What a reader does with a log line it cannot read (the `--lenient` option).
public enum Leniency: String, Sendable, CaseIterable {
    /// Stop at the first, naming it (no `--lenient`).
    case strict
    /// Skip and count each (`--lenient`); a log with any cannot certify: the verdict is "not certified: N unreadable
    /// lines", with the records still judged from what was read.
    case lenient
    /// Skip and count each, and judge from what was read (`--lenient=ignore`); the reports say how many were ignored.
    case ignore

    /// Whether unreadable lines are skipped rather than an error.
    public var skips: Bool { self != .strict }
}

/// Counts of what a log held.
public struct LogStats: Sendable {
    /// Entries read.
    public var entries = 0
    /// Webhooks.
    public var webhooks = 0
    /// Token calls.
    public var tokens = 0
    /// Other partner → Otter calls.
    public var callbacks = 0
    /// Partner actions.
    public var actions = 0
    /// Lines skipped as unreadable (with `--lenient`): malformed, not a log entry, or too long.
    public var skippedLines = 0
    /// The line numbers of the first of them (at most `LogStats.skippedLineNumbersKept`), in order.
    public var skippedLineNumbers: [Int] = []
    /// How many skipped line numbers are kept.
    public static let skippedLineNumbersKept = 20
    /// HAR entries that were neither a webhook nor an Otter API call.
    public var unclassified = 0
    /// Webhooks and calls that belong to no record (stray requests, traffic outside the checklist).
    public var unattributed = 0
    /// Time of the first and last exchange.
    public var firstAt: Double?
    /// Time of the last exchange.
    public var lastAt: Double?
    /// Creates empty stats.
    public init() {}

    /// Counts a skipped line (its 1-based number).
    public mutating func noteSkipped(line: Int) {
        skippedLines += 1
        if skippedLineNumbers.count < LogStats.skippedLineNumbersKept { skippedLineNumbers.append(line) }
    }
}
