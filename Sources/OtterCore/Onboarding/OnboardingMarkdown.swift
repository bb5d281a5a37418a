import Foundation

/// The tracker as Markdown (`onboarding.md`), for pasting into a shared onboarding document.
public enum OnboardingMarkdown {
    /// Renders the tracker.
    public static func render(_ s: OnboardingStatus) -> String {
        let name = { (d: Int?) in d.map(DayCalendar.name) ?? "—" }
        func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var md: [String] = []
        md.append("# Onboarding tracker: \(s.phase.title)")
        md.append("")
        md.append("As of **\(name(s.asOfDay))** (days in \(s.timeZone)); incident rules \(s.rulesVersion); \(Harness.name).")
        md.append("")
        md.append("| | |")
        md.append("|---|---|")
        md.append("| Phase | \(s.phase.title) (\(s.phaseWasAuto ? "picked from the logs" : "as asked")) |")
        md.append("| Locations counted | \(s.counted.count)\(s.phase.requiredLocations.map { " of \($0)" } ?? "")\(s.missingLocations > 0 ? " — **\(s.missingLocations) missing**" : "") |")
        md.append("| Phase streak | \(s.phaseStreakDays) of \(s.requiredStreak) clean days since \(name(s.phaseStartDay)) |")
        md.append("| Exit criterion | \(s.exitCriterionMet ? "**met** on \(name(s.targetDay))" : s.exitMet ? "**not met**: not every log line could be read" : "not met; earliest target date **\(name(s.targetDay))** if nothing else goes wrong") |")
        if let note = s.unreadableNote { md.append("| Unreadable lines | **\(cell(note))** |") }
        if let p = s.pilotExitDay { md.append("| Pilot exit | \(DayCalendar.name(p)) |") }
        if let e = s.earlyExitDay { md.append("| Early Adoption exit | \(DayCalendar.name(e)) |") }
        if let r = s.lastReset { md.append("| Streak last reset | \(DayCalendar.name(r.day)): \(cell(r.reasons.joined(separator: "; "))) |") }
        md.append("")
        md.append("## Locations")
        md.append("")
        md.append("`+` clean, `X` incident, `~` quiet (below \(s.minLiveExchanges) exchanges), `.` no traffic; \(name(s.firstDay)) … \(name(s.asOfDay)).")
        md.append("")
        md.append("| Store | Role | Counted | First live | Streak (days) | Last incident | Days |")
        md.append("|---|---|---|---|---|---|---|")
        for l in s.locations {
            md.append("| `\(cell(l.storeId))` | \(l.role) | \(l.counted ? "yes" : "no") | \(name(l.firstLiveDay)) | \(l.streakDays) | \(name(l.lastIncidentDay)) | `\(String(l.days.map(\.state.glyph)))` |")
        }
        let incidents = s.locations.flatMap(\.incidents).sorted { ($0.day, $0.storeId, $0.firstAt) < ($1.day, $1.storeId, $1.firstAt) }
        md.append("")
        md.append("## Incidents")
        md.append("")
        if incidents.isEmpty { md.append("None on or before \(name(s.asOfDay)).") } else {
            md.append("| Date | Store | Cause | Count | Evidence (first) |")
            md.append("|---|---|---|---|---|")
            for i in incidents { md.append("| \(i.date) | `\(cell(i.storeId))` | \(i.cause) | \(i.count) | \(cell(i.evidence)) |") }
        }
        md.append("")
        return md.joined(separator: "\n")
    }
}
