import Foundation

/// The tracker as one self-contained HTML page: inline CSS and SVG, no scripts, no external resources.
public enum OnboardingHTML {
    /// Escapes text for HTML content and attributes (the reports' escaping).
    public static func escape(_ s: String) -> String { XMLEscape.escape(s) }

    private static func colour(_ st: DayState) -> String {
        switch st {
        case .clean: return "#2e9e5b"
        case .incident: return "#d64545"
        case .quiet: return "#e0b03a"
        case .noTraffic: return "#c9ccd1"
        }
    }

    /// The calendar strip of one location: a square per day, the target date marked when it is in range.
    static func strip(_ l: OnboardingStatus.Location, target: Int?) -> String {
        let cell = 22, gap = 3
        let n = l.days.count + (target.map { t in max(0, t - (l.days.last?.day ?? t)) } ?? 0)
        let width = max(1, n) * (cell + gap)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(cell + 16)\" role=\"img\" aria-label=\"days of \(escape(l.storeId))\">"
        for (i, d) in l.days.enumerated() {
            let x = i * (cell + gap)
            let label = "\(DayCalendar.name(d.day)): \(d.state.rawValue), \(d.exchanges) exchanges"
            svg += "<rect x=\"\(x)\" y=\"0\" width=\"\(cell)\" height=\"\(cell)\" rx=\"3\" fill=\"\(colour(d.state))\"><title>\(escape(label))</title></rect>"
            if d.state == .incident { svg += "<text x=\"\(x + cell / 2)\" y=\"16\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"13\" font-weight=\"bold\">✕</text>" }
            let dayOfMonth = DayCalendar.name(d.day).suffix(2)
            svg += "<text x=\"\(x + cell / 2)\" y=\"\(cell + 13)\" text-anchor=\"middle\" font-size=\"9\" fill=\"#555\">\(dayOfMonth)</text>"
        }
        if let t = target, let last = l.days.last?.day, let first = l.days.first?.day, t >= first {
            let i = t - first
            let x = i * (cell + gap)
            if t > last {
                svg += "<rect x=\"\(x)\" y=\"0\" width=\"\(cell)\" height=\"\(cell)\" rx=\"3\" fill=\"none\" stroke=\"#2463c9\" stroke-width=\"2\" stroke-dasharray=\"3 2\"><title>target \(DayCalendar.name(t))</title></rect>"
            } else {
                svg += "<rect x=\"\(x)\" y=\"0\" width=\"\(cell)\" height=\"\(cell)\" rx=\"3\" fill=\"none\" stroke=\"#2463c9\" stroke-width=\"3\"><title>exit met \(DayCalendar.name(t))</title></rect>"
            }
        }
        return svg + "</svg>"
    }

    /// Renders the page.
    public static func render(_ s: OnboardingStatus) -> String {
        let name = { (d: Int?) in d.map(DayCalendar.name) ?? "—" }
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Onboarding tracker — \(escape(s.phase.title))</title>
        <style>
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#1d2330;padding:0 1em}
        h1{font-size:1.5em;margin-bottom:.2em}.sub{color:#5b6272}
        .card{border:1px solid #dde1e8;border-radius:8px;padding:1em 1.2em;margin:1em 0}
        .met{color:#1f7a45;font-weight:600}.notmet{color:#b3261e;font-weight:600}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #eceff3;vertical-align:top}
        th{background:#f6f7f9}.loc{margin:.8em 0}.loc h3{margin:.2em 0;font-size:1.05em}.muted{color:#7a8190}
        .legend span{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 .3em 0 1em;vertical-align:middle}
        code{background:#f3f4f6;padding:0 .25em;border-radius:3px}.scroll{overflow-x:auto}
        </style></head><body>
        <h1>Onboarding tracker: \(escape(s.phase.title))</h1>
        <div class="sub">As of <b>\(name(s.asOfDay))</b> (days in \(escape(s.timeZone))) · incident rules \(escape(s.rulesVersion)) · \(escape(Harness.name))</div>
        <div class="card">
        """
        if s.asOfDay == nil || s.firstDay == nil {
            h += "<p class=\"notmet\">No location traffic in the logs: no location is live, the pilot has not started.</p></div></body></html>\n"
            return h
        }
        h += "<p>Phase <b>\(escape(s.phase.title))</b> (\(s.phaseWasAuto ? "picked from the logs" : "as asked")); "
        h += "\(s.counted.count)\(s.phase.requiredLocations.map { " of \($0)" } ?? "") locations counted"
        if s.missingLocations > 0 { h += " — <span class=\"notmet\">\(s.missingLocations) more needed</span>" }
        h += ".</p>"
        h += "<p>Phase streak: <b>\(s.phaseStreakDays)</b> of \(s.requiredStreak) clean days (since \(name(s.phaseStartDay))).</p>"
        if s.exitMet && s.unreadableLines > 0 {
            h += "<p><span class=\"notmet\">Exit criterion not met:</span> the streaks meet it on \(name(s.targetDay)), but not every log line could be read.</p>"
        } else if s.exitMet {
            h += "<p class=\"met\">Exit criterion met on \(name(s.targetDay)).</p>"
        } else {
            h += "<p><span class=\"notmet\">Exit criterion not met.</span> Earliest target date <b>\(name(s.targetDay))</b> if nothing else goes wrong.</p>"
        }
        if let note = s.unreadableNote { h += "<p class=\"\(s.unreadableLines > 0 ? "notmet" : "")\"><b>\(escape(note))</b></p>" }
        if let p = s.pilotExitDay { h += "<p class=\"muted\">Pilot exit criterion met on \(DayCalendar.name(p)).</p>" }
        if let e = s.earlyExitDay { h += "<p class=\"muted\">Early Adoption exit criterion met on \(DayCalendar.name(e)).</p>" }
        if let r = s.lastReset {
            h += "<p>Streak last reset on <b>\(DayCalendar.name(r.day))</b>:</p><ul>" + r.reasons.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        h += "</div>\n<h2>Locations</h2><div class=\"legend muted\">"
        for st in [DayState.clean, .incident, .quiet, .noTraffic] { h += "<span style=\"background:\(colour(st))\"></span>\(st.rawValue)" }
        h += "<span style=\"background:none;border:2px dashed #2463c9;box-sizing:border-box\"></span>target date</div>\n"
        for l in s.locations {
            h += "<div class=\"card loc\"><h3><code>\(escape(l.storeId))</code> <span class=\"muted\">\(escape(l.role))\(l.counted ? "" : ", not counted for this phase")</span></h3>"
            h += "<div>Streak <b>\(l.streakDays)</b> days · last incident \(name(l.lastIncidentDay)) · first live \(name(l.firstLiveDay))</div>"
            h += "<div class=\"scroll\">" + strip(l, target: l.counted ? s.targetDay : nil) + "</div>"
            if let r = l.lastReset { h += "<div class=\"muted\">Last reset \(DayCalendar.name(r.day)): \(escape(r.reasons.joined(separator: "; ")))</div>" }
            h += "</div>\n"
        }
        let incidents = s.locations.flatMap(\.incidents).sorted { ($0.day, $0.storeId, $0.firstAt) < ($1.day, $1.storeId, $1.firstAt) }
        h += "<h2>Incidents</h2>"
        if incidents.isEmpty { h += "<p>None on or before \(name(s.asOfDay)).</p>" } else {
            h += "<table><tr><th>Date</th><th>Store</th><th>Cause</th><th>Count</th><th>Evidence (first)</th></tr>"
            for i in incidents {
                h += "<tr><td>\(i.date)</td><td><code>\(escape(i.storeId))</code></td><td>\(escape(i.cause))</td><td>\(i.count)</td><td>\(escape(i.evidence))</td></tr>"
            }
            h += "</table>"
        }
        h += "\n</body></html>\n"
        return h
    }
}
