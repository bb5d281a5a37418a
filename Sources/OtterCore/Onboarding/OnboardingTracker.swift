import Foundation

/// Computes the phase, streaks, exit criterion and target date from location ledgers. Pure and deterministic.
///
/// Rules (see docs/onboarding.md): a location-day is clean when it has no incident and at least
/// `minLiveExchanges` exchanges; locations are ordered by first live day (then store id): the first is the
/// pilot, the next 5 join it in Early Adoption. A phase exits on the first day that ends `requiredStreak`
/// consecutive days on which all its locations were clean, counted from the day after the previous phase exited.
public struct OnboardingTracker: Sendable {
    /// Which phase to report: a fixed one, or `auto` to walk the phases from the logs.
    public enum PhaseChoice: String, Sendable, CaseIterable { case pilot, early, auto }

    /// Clean days in a row needed to exit a phase (2 weeks).
    public var requiredStreak = 14
    /// Exchanges a day needs to be live.
    public var minLiveExchanges: Int
    /// Pilot locations.
    public var pilotLocations = 1
    /// Locations added in Early Adoption.
    public var earlyAdditionalLocations = 5

    /// Creates a tracker.
    public init(minLiveExchanges: Int) { self.minLiveExchanges = max(1, minLiveExchanges) }

    /// The state of one location-day.
    public func state(_ ledger: LocationLedger, _ day: Int) -> DayState {
        guard let d = ledger.days[day] else { return .noTraffic }
        if !d.incidents.isEmpty { return .incident }
        if d.exchanges == 0 { return .noTraffic }
        return d.exchanges < minLiveExchanges ? .quiet : .clean
    }

    /// Builds the tracker as of a day (default: the last day with traffic).
    public func status(ledgers: [String: LocationLedger], choice: PhaseChoice, asOf: Int?, timeZone: String,
                       stats: IncidentDeriver.Stats = IncidentDeriver.Stats(), rulesVersion: String = "") -> OnboardingStatus {
        let allDays = ledgers.values.flatMap { $0.days.keys }
        let firstDay = allDays.min()
        let asOfDay = asOf ?? allDays.max()
        func firstLive(_ l: LocationLedger) -> Int? {
            l.days.filter { e in e.value.exchanges >= minLiveExchanges && (asOfDay.map { a in e.key <= a } ?? true) }.keys.min()
        }
        let ordered = ledgers.values.map { ($0, firstLive($0)) }.sorted { a, b in
            switch (a.1, b.1) {
            case let (x?, y?) where x != y: return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.0.storeId < b.0.storeId
            }
        }
        let live = ordered.filter { $0.1 != nil }.map(\.0)
        let pilot = Array(live.prefix(pilotLocations))
        let early = Array(live.prefix(pilotLocations + earlyAdditionalLocations))

        var result = OnboardingStatus(phase: .pilot, phaseWasAuto: choice == .auto, requiredStreak: requiredStreak,
                                      minLiveExchanges: minLiveExchanges, timeZone: timeZone, asOfDay: asOfDay, firstDay: firstDay,
                                      phaseStartDay: nil, pilotExitDay: nil, earlyExitDay: nil, missingLocations: 0, phaseStreakDays: 0,
                                      exitMet: false, targetDay: nil, lastReset: nil, locations: [], stats: stats, rulesVersion: rulesVersion)
        guard let first = firstDay, let asOfDay, first <= asOfDay else {
            result.missingLocations = pilotLocations
            result.locations = ordered.map { location($0.0, role: "pilot", counted: false, firstLive: $0.1, from: firstDay ?? 0, to: firstDay.map { $0 - 1 } ?? -1) }
            return result
        }
        let pilotStart = ordered.first(where: { $0.1 != nil })?.1 ?? first
        let pilotExit = pilot.count == pilotLocations ? firstExit(pilot, from: pilotStart, to: asOfDay) : nil
        let earlyStart = pilotExit.map { $0 + 1 } ?? first
        let earlyExit = pilotExit != nil && early.count == pilotLocations + earlyAdditionalLocations
            ? firstExit(early, from: earlyStart, to: asOfDay) : nil
        result.pilotExitDay = pilotExit
        result.earlyExitDay = earlyExit

        let phase: OnboardingPhase
        switch choice {
        case .pilot: phase = .pilot
        case .early: phase = .early
        case .auto: phase = pilotExit == nil ? .pilot : (earlyExit == nil ? .early : .general)
        }
        result.phase = phase
        let members = phase == .pilot ? pilot : early
        let required = phase == .pilot ? pilotLocations : pilotLocations + earlyAdditionalLocations
        let start = phase == .pilot ? pilotStart : earlyStart
        let exitDay = phase == .pilot ? pilotExit : earlyExit
        result.phaseStartDay = start
        result.missingLocations = max(0, required - members.count)
        let streak = members.isEmpty ? 0 : run(members, from: start, endingAt: asOfDay)
        result.phaseStreakDays = streak
        result.exitMet = exitDay != nil
        if let exitDay { result.targetDay = exitDay } else if result.missingLocations > 0 {
            result.targetDay = asOfDay + requiredStreak
        } else {
            result.targetDay = asOfDay + (requiredStreak - streak)
        }
        let breakDay = asOfDay - streak
        if !members.isEmpty, breakDay >= start { result.lastReset = reset(members, breakDay) }

        let memberIds = Set(members.map(\.storeId))
        result.locations = ordered.enumerated().map { (i, e) in
            let role = e.1 == nil ? "not-live" : (i < pilotLocations ? "pilot" : (i < pilotLocations + earlyAdditionalLocations ? "early" : "later"))
            return location(e.0, role: role, counted: memberIds.contains(e.0.storeId), firstLive: e.1, from: first, to: asOfDay)
        }
        return result
    }

    private func location(_ l: LocationLedger, role: String, counted: Bool, firstLive: Int?, from: Int, to: Int) -> OnboardingStatus.Location {
        var days: [(Int, DayState, Int)] = []
        if from <= to { for d in from...to { days.append((d, state(l, d), l.exchanges(on: d))) } }
        let streak = from <= to ? run([l], from: from, endingAt: to) : 0
        let incidents = l.days.filter { $0.key <= to }.sorted { $0.key < $1.key }.flatMap(\.value.incidents)
        let breakDay = to - streak
        return OnboardingStatus.Location(storeId: l.storeId, role: role, counted: counted, firstLiveDay: firstLive, streakDays: streak,
                                         lastIncidentDay: incidents.last?.day,
                                         lastReset: breakDay >= from && firstLive.map({ breakDay >= $0 }) == true ? reset([l], breakDay) : nil,
                                         days: days, incidents: incidents)
    }

    /// Consecutive days ending at `end` (not before `from`) on which every location was clean.
    func run(_ ls: [LocationLedger], from: Int, endingAt end: Int) -> Int {
        var n = 0
        var d = end
        while d >= from, ls.allSatisfy({ state($0, d) == .clean }) { n += 1; d -= 1 }
        return n
    }

    /// The first day in `from...to` that ends `requiredStreak` consecutive clean days for every location.
    func firstExit(_ ls: [LocationLedger], from: Int, to: Int) -> Int? {
        guard from <= to else { return nil }
        var n = 0
        for d in from...to {
            n = ls.allSatisfy({ state($0, d) == .clean }) ? n + 1 : 0
            if n >= requiredStreak { return d }
        }
        return nil
    }

    private func reset(_ ls: [LocationLedger], _ day: Int) -> OnboardingStatus.Reset {
        var reasons: [String] = []
        for l in ls {
            switch state(l, day) {
            case .clean: continue
            case .incident:
                for i in l.incidents(on: day) {
                    reasons.append("\(l.storeId): \(i.cause)\(i.count > 1 ? " ×\(i.count)" : "") (\(i.evidence))")
                }
            case .quiet: reasons.append("\(l.storeId): only \(l.exchanges(on: day)) exchanges (a live day needs \(minLiveExchanges))")
            case .noTraffic: reasons.append("\(l.storeId): no traffic")
            }
        }
        return OnboardingStatus.Reset(day: day, reasons: reasons)
    }
}
