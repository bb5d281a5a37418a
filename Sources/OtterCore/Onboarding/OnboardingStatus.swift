import Foundation

/// The rollout phases of a certified integration.
public enum OnboardingPhase: String, Sendable, CaseIterable {
    /// One location.
    case pilot
    /// The pilot location and 5 more.
    case early
    /// Open to every location.
    case general

    /// How many locations the phase needs (nil: any number).
    public var requiredLocations: Int? {
        switch self {
        case .pilot: return 1
        case .early: return 6
        case .general: return nil
        }
    }

    /// A human name.
    public var title: String {
        switch self {
        case .pilot: return "Pilot"
        case .early: return "Early Adoption"
        case .general: return "General Adoption"
        }
    }
}

/// How one location-day counts towards a streak.
public enum DayState: String, Sendable {
    /// Live (enough traffic) and no incident.
    case clean
    /// At least one incident.
    case incident
    /// Some traffic, fewer exchanges than a live day needs.
    case quiet
    /// No traffic at all: not evidence of health.
    case noTraffic = "no-traffic"

    /// One character for terminal calendar strips.
    public var glyph: Character {
        switch self {
        case .clean: return "+"
        case .incident: return "X"
        case .quiet: return "~"
        case .noTraffic: return "."
        }
    }
}

/// The tracker: the phase, its exit criterion, and every location's days.
public struct OnboardingStatus: Sendable {
    /// One location in the tracker.
    public struct Location: Sendable {
        /// Store id.
        public var storeId: String
        /// `pilot`, `early` or `later` (went live after the first 6).
        public var role: String
        /// Whether it counts for the current phase.
        public var counted: Bool
        /// First day with enough traffic to be live, if any.
        public var firstLiveDay: Int?
        /// Consecutive clean days ending on the as-of day.
        public var streakDays: Int
        /// Last day with an incident, on or before the as-of day.
        public var lastIncidentDay: Int?
        /// Why its streak last reset (the non-clean day before the streak), if it did.
        public var lastReset: Reset?
        /// Each day of the tracked range, oldest first.
        public var days: [(day: Int, state: DayState, exchanges: Int)]
        /// Incidents on or before the as-of day, oldest first.
        public var incidents: [Incident]
    }

    /// A non-clean day that ended a streak.
    public struct Reset: Sendable {
        /// The day.
        public var day: Int
        /// What made it non-clean, one phrase per location affected.
        public var reasons: [String]
    }

    /// The phase the tracker is about.
    public var phase: OnboardingPhase
    /// Whether the phase was picked from the logs (`auto`) or forced.
    public var phaseWasAuto: Bool
    /// Clean days in a row needed to exit.
    public var requiredStreak: Int
    /// Days a live day needs at least this many exchanges.
    public var minLiveExchanges: Int
    /// The time zone days are counted in.
    public var timeZone: String
    /// The last day considered.
    public var asOfDay: Int?
    /// The first day of the tracked range.
    public var firstDay: Int?
    /// The first day that counts for the phase (the day after the previous phase's exit).
    public var phaseStartDay: Int?
    /// The day the pilot's exit criterion was met, if it was.
    public var pilotExitDay: Int?
    /// The day Early Adoption's exit criterion was met, if it was.
    public var earlyExitDay: Int?
    /// Locations the phase needs but the logs do not show as live.
    public var missingLocations: Int
    /// Consecutive days, ending on the as-of day, on which every counted location was clean.
    public var phaseStreakDays: Int
    /// Whether the phase's exit criterion is met on or before the as-of day, by the streaks (see `exitCriterionMet`).
    public var exitMet: Bool
    /// When met, the day it was met; else the earliest day it can be met if nothing else goes wrong.
    public var targetDay: Int?
    /// What ended the phase streak last.
    public var lastReset: Reset?
    /// Every location seen, pilot first.
    public var locations: [Location]
    /// Counters about the input.
    public var stats: IncidentDeriver.Stats
    /// Version of the incident rules applied.
    public var rulesVersion: String

    /// Whether log lines skipped as unreadable were ignored (`--lenient=ignore`) rather than counted against the criterion.
    public var unreadableLinesIgnored = false

    /// The locations that count for the phase.
    public var counted: [Location] { locations.filter(\.counted) }

    /// Lines skipped as unreadable (`--lenient`) that keep the exit criterion from being met: each could have held an
    /// incident. Zero when they were ignored (`--lenient=ignore`).
    public var unreadableLines: Int { unreadableLinesIgnored ? 0 : stats.skippedLines }

    /// The exit criterion is met by the streaks (`exitMet`) and no unreadable line keeps it from counting.
    public var exitCriterionMet: Bool { exitMet && unreadableLines == 0 }

    /// What the tracker must say about skipped lines (nil when none were skipped).
    public var unreadableNote: String? {
        ReportFormat.unreadableNote(count: stats.skippedLines, lines: [], ignored: unreadableLinesIgnored,
                                    notMet: "exit criterion not met", evidence: "an incident", judged: "the streaks are counted")
    }
}
