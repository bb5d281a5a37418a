import Foundation

/// The run drawn as an inline SVG: one row per record, its exchanges as marks on a shared time axis,
/// deadlines as dashed lines; late or failing marks in red.
public enum Timeline {
    static let red = "#c62828", green = "#2e7d32", amber = "#b26a00", blue = "#1565c0", gray = "#6b7280", purple = "#6a1b9a"

    /// The SVG for `verdicts` (deterministic). The axis spans every exchange and deadline shown, and `start...end` when given.
    public static func svg(_ verdicts: [Verdict], start: Double? = nil, end: Double? = nil, width: Int = 1000, title: String = "Timeline") -> String {
        var times: [Double] = []
        for v in verdicts {
            if let t = v.startedAt { times.append(t) }
            for e in v.evidence { times.append(e.entry.startedAt); times.append(e.entry.startedAt + e.entry.durationMs / 1000) }
            for d in v.deadlines { times.append(d.at) }
        }
        if let start { times.append(start) }
        if let end { times.append(end) }
        let t0 = times.min() ?? 0
        var t1 = times.max() ?? 1
        if t1 - t0 < 0.5 { t1 = t0 + 0.5 }
        let labelW = 96.0, right = 16.0, top = 26.0, rowH = 24.0
        let plotW = Double(width) - labelW - right
        let height = top + rowH * Double(max(verdicts.count, 1)) + 62
        func x(_ t: Double) -> Double { labelW + (t - t0) / (t1 - t0) * plotW }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" role=\"img\" viewBox=\"0 0 \(width) \(f(height))\" "
        s += "width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"system-ui, sans-serif\" font-size=\"11\">"
        s += "<title>\(XMLEscape.escape(title))</title>"
        // Axis: ticks with relative seconds.
        let span = t1 - t0
        let step = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400].first { span / $0 <= 10 } ?? span / 10
        var k = 0.0
        let bottom = top + rowH * Double(max(verdicts.count, 1))
        while k <= span + 1e-9 {
            let xx = x(t0 + k)
            s += "<line x1=\"\(f(xx))\" y1=\"\(f(top - 4))\" x2=\"\(f(xx))\" y2=\"\(f(bottom))\" stroke=\"#e5e7eb\"/>"
            let label = step < 1 ? String(format: "+%.2f s", k) : String(format: "+%.0f s", k)
            s += "<text x=\"\(f(xx))\" y=\"\(f(top - 8))\" text-anchor=\"middle\" fill=\"\(gray)\">\(label)</text>"
            k += step
        }
        for (i, v) in verdicts.enumerated() {
            let y = top + rowH * Double(i)
            let mid = y + rowH / 2
            let color = v.status == .passed ? green : v.status == .failed ? red : amber
            if i % 2 == 1 { s += "<rect x=\"0\" y=\"\(f(y))\" width=\"\(width)\" height=\"\(f(rowH))\" fill=\"#f9fafb\"/>" }
            s += "<a href=\"#\(XMLEscape.attribute(v.id))\"><text x=\"4\" y=\"\(f(mid + 4))\" fill=\"\(color)\" font-weight=\"bold\">"
            s += "\(ReportFormat.word(v.status)) \(XMLEscape.escape(v.id))</text></a>"
            // The record's window: its trigger to its last deadline.
            if let st = v.startedAt, let last = v.deadlines.map(\.at).max(), last > st {
                s += "<rect x=\"\(f(x(st)))\" y=\"\(f(mid - 2))\" width=\"\(f(x(last) - x(st)))\" height=\"4\" fill=\"\(color)\" opacity=\"0.15\"/>"
            }
            for d in v.deadlines {
                let missed = v.status == .failed && v.checks.contains { $0.status == .failed && d.label.hasPrefix($0.label) }
                let dc = missed ? red : gray
                s += "<line x1=\"\(f(x(d.at)))\" y1=\"\(f(y + 2))\" x2=\"\(f(x(d.at)))\" y2=\"\(f(y + rowH - 2))\" stroke=\"\(dc)\" stroke-width=\"2\" stroke-dasharray=\"3 2\">"
                s += "<title>\(XMLEscape.escape(d.label)) at \(Timestamp.format(d.at))</title></line>"
            }
            for e in v.evidence {
                let entry = e.entry
                let bad = e.role == .closestMiss || e.role == .violation || entry.error != nil || entry.action.map { $0.outcome == "failed" } == true
                let late = bad || (v.status == .failed && entry.kind != .webhook && v.deadlines.contains { entry.startedAt > $0.at && $0.label.hasSuffix("due") && !$0.label.hasPrefix("acknowledgement") })
                let xx = x(entry.startedAt)
                let tip = "<title>\(XMLEscape.escape("#\(entry.seq) \(e.role.rawValue): \(ReportFormat.exchange(entry)) at \(Timestamp.format(entry.startedAt)) — \(e.note)"))</title>"
                switch entry.kind {
                case .webhook:
                    let c = late ? red : blue
                    s += "<circle cx=\"\(f(xx))\" cy=\"\(f(mid))\" r=\"5\" fill=\"\(c)\">\(tip)</circle>"
                    if let resp = entry.response {
                        let ax = x(entry.startedAt + entry.durationMs / 1000)
                        let ac = late ? red : (200..<300).contains(resp.status) ? green : amber
                        s += "<line x1=\"\(f(ax))\" y1=\"\(f(mid + 3))\" x2=\"\(f(ax))\" y2=\"\(f(mid + 10))\" stroke=\"\(ac)\" stroke-width=\"2\"><title>acknowledged \(resp.status) after \(ReportFormat.duration(entry.durationMs))</title></line>"
                    }
                case .callback, .token:
                    let c = late ? red : entry.kind == .token ? purple : green
                    let r = 5.5
                    s += "<path d=\"M\(f(xx)) \(f(mid - r)) L\(f(xx + r)) \(f(mid)) L\(f(xx)) \(f(mid + r)) L\(f(xx - r)) \(f(mid)) Z\" fill=\"\(c)\">\(tip)</path>"
                case .action, .run, .end, .repeats, .harness:
                    let c = late ? red : gray
                    s += "<rect x=\"\(f(xx - 4))\" y=\"\(f(mid - 4))\" width=\"8\" height=\"8\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\">\(tip)</rect>"
                }
            }
        }
        // Legend.
        let ly = bottom + 24
        s += "<g transform=\"translate(\(f(labelW)) \(f(ly)))\" fill=\"#374151\">"
        var lx = 0.0
        func item(_ mark: String, _ label: String) {
            s += "<g transform=\"translate(\(f(lx)) 0)\">\(mark)<text x=\"10\" y=\"0\">\(label)</text></g>"
            lx += 30 + Double(label.count) * 6.6
        }
        item("<circle cx=\"0\" cy=\"-4\" r=\"5\" fill=\"\(blue)\"/>", "webhook")
        item("<line x1=\"0\" y1=\"-8\" x2=\"0\" y2=\"0\" stroke=\"\(green)\" stroke-width=\"2\"/>", "acknowledgement")
        item("<path d=\"M0 -9.5 L5.5 -4 L0 1.5 L-5.5 -4 Z\" fill=\"\(green)\"/>", "callback")
        item("<path d=\"M0 -9.5 L5.5 -4 L0 1.5 L-5.5 -4 Z\" fill=\"\(purple)\"/>", "token call")
        item("<rect x=\"-4\" y=\"-8\" width=\"8\" height=\"8\" fill=\"none\" stroke=\"\(gray)\" stroke-width=\"2\"/>", "partner action")
        item("<line x1=\"0\" y1=\"-10\" x2=\"0\" y2=\"2\" stroke=\"\(gray)\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>", "deadline")
        item("<circle cx=\"0\" cy=\"-4\" r=\"5\" fill=\"\(red)\"/>", "late, failing or missed")
        s += "<text x=\"0\" y=\"18\" fill=\"\(gray)\">+0 s = \(Timestamp.format(t0)) (UTC); hover a mark for its exchange</text>"
        s += "</g></svg>"
        return s
    }
}
