import Foundation

/// `onboarding.json`: the stable minimum `{phase, exitMet, targetDate, locations: [{storeId, streakDays, lastIncidentDate, incidents: [{date, cause}]}]}`
/// and the rest of the tracker. Deterministic: the same status gives the same bytes.
public enum OnboardingJSON {
    /// Version of the document format.
    public static let schemaVersion = 1

    /// Builds the document.
    public static func make(_ s: OnboardingStatus) -> JSONValue {
        func date(_ d: Int?) -> JSONValue { d.map { .string(DayCalendar.name($0)) } ?? .null }
        var o = JSONObject()
        o["schemaVersion"] = .number(Double(schemaVersion))
        o["phase"] = .string(s.phase.rawValue)
        o["exitMet"] = .bool(s.exitCriterionMet)
        if s.stats.skippedLines > 0 {
            o["unreadableLines"] = .object(JSONObject([("count", .number(Double(s.stats.skippedLines))), ("ignored", .bool(s.unreadableLinesIgnored))]))
        }
        o["targetDate"] = date(s.targetDay)
        o["phaseChosen"] = .string(s.phaseWasAuto ? "auto" : "forced")
        o["asOf"] = date(s.asOfDay)
        o["timeZone"] = .string(s.timeZone)
        o["requiredStreakDays"] = .number(Double(s.requiredStreak))
        o["minLiveExchanges"] = .number(Double(s.minLiveExchanges))
        o["phaseStartDate"] = date(s.phaseStartDay)
        o["phaseStreakDays"] = .number(Double(s.phaseStreakDays))
        o["requiredLocations"] = s.phase.requiredLocations.map { .number(Double($0)) } ?? .null
        o["missingLocations"] = .number(Double(s.missingLocations))
        o["pilotExitDate"] = date(s.pilotExitDay)
        o["earlyExitDate"] = date(s.earlyExitDay)
        o["lastReset"] = reset(s.lastReset)
        o["locations"] = .array(s.locations.map { l in
            var lo = JSONObject()
            lo["storeId"] = .string(l.storeId)
            lo["streakDays"] = .number(Double(l.streakDays))
            lo["lastIncidentDate"] = date(l.lastIncidentDay)
            lo["incidents"] = .array(l.incidents.map { i in
                .object(JSONObject([("date", .string(i.date)), ("cause", .string(i.cause)), ("count", .number(Double(i.count))),
                                    ("firstAt", .string(Timestamp.format(i.firstAt))), ("evidence", .string(i.evidence))]))
            })
            lo["role"] = .string(l.role)
            lo["counted"] = .bool(l.counted)
            lo["firstLiveDate"] = date(l.firstLiveDay)
            lo["lastReset"] = reset(l.lastReset)
            lo["days"] = .array(l.days.map { d in
                .object(JSONObject([("date", .string(DayCalendar.name(d.day))), ("state", .string(d.state.rawValue)),
                                    ("exchanges", .number(Double(d.exchanges)))]))
            })
            return .object(lo)
        })
        let st = s.stats
        o["input"] = .object(JSONObject([("entries", .number(Double(st.entries))), ("attributed", .number(Double(st.attributed))),
                                         ("unattributed", .number(Double(st.unattributed))), ("skippedLines", .number(Double(st.skippedLines))),
                                         ("unclassified", .number(Double(st.unclassified))), ("openAtEnd", .number(Double(st.openAtEnd)))]))
        o["rulesVersion"] = .string(s.rulesVersion)
        o["harness"] = .string(Harness.name)
        return .object(o)
    }

    private static func reset(_ r: OnboardingStatus.Reset?) -> JSONValue {
        guard let r else { return .null }
        return .object(JSONObject([("date", .string(DayCalendar.name(r.day))), ("reasons", .array(r.reasons.map { .string($0) }))]))
    }
}
