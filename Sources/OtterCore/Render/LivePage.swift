import Foundation

/// The live view's page: the HTML report of a `LiveSnapshot` (the same renderer as `report.html`, so it shows the
/// same thing), with a live bar on top (the verdict so far, how many records are settled) and a table of where each
/// record stands (not started, waiting for what and how long is left, settled with its verdict and reason).
///
/// Pure and deterministic (the time shown is given). Everything in it comes from the snapshot: verdicts and evidence
/// built from the log entries the harness already redacted, rendered and escaped by `ReportHTML`. Without JavaScript
/// the page reads as the report of the moment it was served; with it, a small inline script takes the new content of
/// `#live-root` from `GET /events` (Server-Sent Events) and swaps it in. No external assets.
public enum LivePage {
    /// The whole page, `GET /`. `snapshot` nil: the run has not started judging yet.
    public static func page(_ snapshot: LiveSnapshot?, source: ReportSource, at now: Double) -> String {
        wrap(root: root(snapshot, source: source, at: now), title: title(snapshot))
    }

    /// The page around an already rendered `root` (what `root` gives).
    public static func wrap(root: String, title: String) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(XMLEscape.escape(title))</title>\n"
        h += "<style>\n\(ReportHTML.css)\(css)</style>\n</head>\n<body>\n"
        h += "<div id=\"live-root\">\n" + root + "</div>\n"
        h += "<script>\n\(script)</script>\n</body>\n</html>\n"
        return h
    }

    /// The content of `#live-root`: what each Server-Sent Event carries.
    public static func root(_ snapshot: LiveSnapshot?, source: ReportSource, at now: Double) -> String {
        guard let snapshot else {
            return "<div id=\"live\" class=\"live wait\" data-final=\"false\" data-settled=\"0\" data-total=\"0\" data-verdict=\"\" "
                + "data-title=\"otter-cert live view\"><strong>Live</strong> · starting: no exchange judged yet · "
                + "\(XMLEscape.escape(clock(now)))</div>\n"
        }
        let r = snapshot.result
        let report = ReportHTML.render(r, source: source)
        var body = report
        if let b = body.range(of: "<body>\n") { body = String(body[b.upperBound...]) }
        if let e = body.range(of: "</body>", options: .backwards) { body = String(body[..<e.lowerBound]) }
        let settled = snapshot.settledCount, total = snapshot.records.count
        let headline = ReportFormat.headline(r)
        var h = "<div id=\"live\" class=\"live \(snapshot.final ? "final" : "wait")\" data-final=\"\(snapshot.final)\" "
        h += "data-settled=\"\(settled)\" data-total=\"\(total)\" data-verdict=\"\(XMLEscape.attribute(headline))\" "
        h += "data-certified=\"\(r.certified)\" data-title=\"\(XMLEscape.attribute(title(snapshot)))\">"
        if snapshot.final {
            h += "<strong>Final</strong> · \(XMLEscape.escape(headline)) · every record settled; the reports are written · "
        } else {
            h += "<strong>Live</strong> · verdict so far: <b>\(XMLEscape.escape(headline))</b> · \(settled) of \(total) records settled · "
        }
        h += "\(XMLEscape.escape(clock(now)))</div>\n"
        let states = statesSection(snapshot)
        if let m = body.range(of: "<main>\n") {
            body.insert(contentsOf: states, at: m.upperBound)
        } else {
            body = states + body
        }
        return h + body
    }

    /// "Records now": one row per record, where it stands.
    static func statesSection(_ s: LiveSnapshot) -> String {
        var h = "<section class=\"live-states\"><h2>Records now</h2>\n<table class=\"states\"><thead><tr><th>Record</th><th>State</th>"
        h += "<th>Waiting for</th><th>Left</th><th>Verdict</th><th>Reason</th></tr></thead><tbody>\n"
        let verdicts = Dictionary(s.result.verdicts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for st in s.records {
            let v = verdicts[st.id]
            let phase = st.phase.rawValue
            h += "<tr class=\"state \(phase.replacingOccurrences(of: " ", with: "-"))\" data-record=\"\(XMLEscape.attribute(st.id))\" data-phase=\"\(XMLEscape.attribute(phase))\""
            if st.phase == .settled, let v { h += " data-status=\"\(v.status.rawValue)\"" }
            h += "><td class=\"mono\"><a href=\"#\(XMLEscape.attribute(st.id))\">\(XMLEscape.escape(st.id))</a></td>"
            h += "<td>\(XMLEscape.escape(phase))</td><td>\(XMLEscape.escape(st.waitingFor))</td>"
            h += "<td>\(st.secondsLeft.map { XMLEscape.escape(String(format: "%.0f s", $0.rounded(.up))) } ?? "")</td>"
            if st.phase == .settled, let v {
                h += "<td>\(ReportHTML.badge(v.status))</td><td>\(XMLEscape.escape(CIRecord.reason(v)))</td>"
            } else {
                h += "<td class=\"muted\">so far: \(v.map { XMLEscape.escape(ReportFormat.word($0.status)) } ?? "")</td><td class=\"muted\">\(v.map { XMLEscape.escape(CIRecord.reason($0)) } ?? "")</td>"
            }
            h += "</tr>\n"
        }
        return h + "</tbody></table></section>\n"
    }

    /// `root` without its first line (the live bar, with the time it was rendered): what tells two renderings apart.
    public static func content(_ root: String) -> Substring {
        root.firstIndex(of: "\n").map { root[root.index(after: $0)...] } ?? root[...]
    }

    /// The page's title: how many records are settled and the verdict so far.
    public static func title(_ s: LiveSnapshot?) -> String {
        guard let s else { return "otter-cert live view · starting" }
        let type = s.result.integrationType.rawValue
        return s.final ? "\(ReportFormat.headline(s.result)) · otter-cert \(type) live view (final)"
            : "\(s.settledCount)/\(s.records.count) settled · \(ReportFormat.headline(s.result)) so far · otter-cert \(type) live view"
    }

    static func clock(_ t: Double) -> String { "as of " + Timestamp.format(t) }

    static let css = """
    .live { position: sticky; top: 0; z-index: 5; padding: 8px 24px; font-size: 15px; background: #1f2937; color: #f9fafb; }
    .live.final { background: #111827; } .live b { letter-spacing: .03em; }
    .states tr.not-started td { color: var(--muted); } .states tr.waiting td { background: #eff6ff; }
    .states tr.settled[data-status=failed] td { background: #fdecea; } .states tr.settled[data-status=skipped] td { background: #fff6e5; }

    """

    /// Swaps in each event's content; the token (if any) travels in the page's own query string, never in the page.
    static let script = """
    (function () {
      if (!window.EventSource) return;
      var root = document.getElementById('live-root');
      var es = new EventSource('/events' + location.search);
      function swap(e) {
        var y = window.scrollY;
        root.innerHTML = e.data;
        window.scrollTo(0, y);
        var bar = document.getElementById('live');
        if (bar) { bar.setAttribute('data-stream', 'on'); if (bar.dataset.title) document.title = bar.dataset.title; }
      }
      es.addEventListener('update', swap);
      es.addEventListener('final', function (e) { swap(e); es.close(); });
    })();

    """
}
