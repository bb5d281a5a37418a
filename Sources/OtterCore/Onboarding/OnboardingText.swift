import Foundation

/// The terminal summary of the onboarding tracker.
public enum OnboardingText {
    /// Renders the summary; `style` colours it (identity when colours are off).
    public static func render(_ s: OnboardingStatus, style: VerdictText.Style = .plain) -> String {
        var out: [String] = []
        let name = { (d: Int?) in d.map(DayCalendar.name) ?? "-" }
        out.append(style.bold("Onboarding tracker") + " — as of \(name(s.asOfDay)) (\(s.timeZone)), incident rules \(s.rulesVersion)")
        guard s.asOfDay != nil, s.firstDay != nil else {
            out.append(style.fail("No location traffic in the logs: no location is live, the pilot has not started."))
            return out.joined(separator: "\n")
        }
        let req = s.phase.requiredLocations.map { "\($0) location\($0 == 1 ? "" : "s") needed" } ?? "all locations"
        out.append("Phase: \(style.bold(s.phase.title)) (\(s.phaseWasAuto ? "picked from the logs" : "as asked")); \(req), \(s.counted.count) counted")
        if let p = s.pilotExitDay { out.append("  Pilot exit criterion met on \(DayCalendar.name(p))") }
        if let e = s.earlyExitDay { out.append("  Early Adoption exit criterion met on \(DayCalendar.name(e))") }
        if s.missingLocations > 0 {
            out.append(style.fail("  The phase needs \(s.missingLocations) more live location\(s.missingLocations == 1 ? "" : "s") than the logs show."))
        }
        if s.phase != .general {
            out.append("Phase streak: \(s.phaseStreakDays) of \(s.requiredStreak) clean days (since \(name(s.phaseStartDay)))")
            if s.exitMet && s.unreadableLines > 0 {
                out.append(style.fail("Exit criterion: NOT MET") + " — the streaks meet it on \(name(s.targetDay)), but not every log line could be read")
            } else if s.exitMet {
                out.append(style.pass("Exit criterion: MET on \(name(s.targetDay))"))
            } else {
                out.append(style.fail("Exit criterion: NOT MET") + " — earliest target date \(style.bold(name(s.targetDay))) if nothing else goes wrong")
            }
        } else {
            out.append(style.pass("Exit criterion of Early Adoption: MET on \(name(s.targetDay))") + "; the integration is open to all locations")
        }
        if let note = s.unreadableNote { out.append(s.unreadableLines > 0 ? style.fail(note) : style.bold(note)) }
        if let r = s.lastReset {
            out.append("Streak last reset on \(DayCalendar.name(r.day)):")
            for reason in r.reasons { out.append("  - " + reason) }
        }
        out.append("")
        out.append("Locations (\(name(s.firstDay)) … \(name(s.asOfDay)); + clean, X incident, ~ quiet, . no traffic):")
        let width = max(8, s.locations.map(\.storeId.count).max() ?? 8)
        for l in s.locations {
            let strip = String(l.days.map(\.state.glyph))
            let pad = l.storeId.padding(toLength: width, withPad: " ", startingAt: 0)
            let role = (l.role + (l.counted ? "" : "*")).padding(toLength: 9, withPad: " ", startingAt: 0)
            var line = "  \(pad)  \(role) streak \(String(l.streakDays).leftPad(3)) d  last incident \(name(l.lastIncidentDay).padding(toLength: 10, withPad: " ", startingAt: 0))  \(strip)"
            if l.firstLiveDay == nil { line += "  (never live)" }
            out.append(line)
        }
        if s.locations.contains(where: { !$0.counted }) { out.append(style.dim("  * not counted for this phase")) }
        let incidents = s.locations.flatMap(\.incidents).sorted { ($0.day, $0.storeId, $0.firstAt) < ($1.day, $1.storeId, $1.firstAt) }
        if !incidents.isEmpty {
            out.append("")
            out.append("Incidents (\(incidents.reduce(0) { $0 + $1.count })):")
            for i in incidents.suffix(30) {
                out.append("  \(i.date)  \(i.storeId)  \(style.fail(i.cause))\(i.count > 1 ? " ×\(i.count)" : ""): \(i.evidence)")
            }
            if incidents.count > 30 { out.append(style.dim("  … \(incidents.count - 30) earlier groups in the report files")) }
        }
        let st = s.stats
        out.append("")
        out.append(style.dim("Read \(st.entries) entries: \(st.attributed) exchanges at locations, \(st.unattributed) without a store id"
            + (st.skippedLines > 0 ? ", \(ReportFormat.unreadableCount(st.skippedLines)) skipped" : "")
            + (st.openAtEnd > 0 ? ", \(st.openAtEnd) callbacks still within their deadline at the end of the logs" : "") + "."))
        return out.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
