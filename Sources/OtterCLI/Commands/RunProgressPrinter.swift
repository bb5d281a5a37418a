import Foundation
import OtterCore
import OtterHarness

/// Live progress of a run: on a terminal one line that counts down, elsewhere plain lines; nothing with --quiet.
///
/// The live line is `[3/12] DEL-04 waiting for POST /v1/delivery/…/quotes · 12 s left · 0:41` (record n of N, what it
/// waits for, time left, time since the run started). It never takes more than the terminal's width (asked anew at
/// each draw, so a resize is followed): a long path is cut in the middle. It is drawn with `\r` and erase-line, so
/// there is never more than one on screen; verdict lines replace it and wrap their reason under its own indent.
///
/// Every text goes through `redact` (the run's value redactor) before it is cut to the width or wrapped, so no secret
/// is ever shown, not even half of one.
final class RunProgressPrinter: RunProgress {
    let out: LineWriter
    let style: VerdictText.Style
    let live: Bool
    let quiet: Bool
    /// The terminal's width now (nil: not a terminal).
    let columns: () -> Int?
    /// Masks the run's secrets in a text.
    let redact: (String) -> String
    private var lastLive = ""
    private var lastPlain = ""
    private var position = (index: 0, total: 0)
    private let started = Date()

    init(out: LineWriter, style: VerdictText.Style, live: Bool, quiet: Bool, columns: @escaping () -> Int? = { nil },
         redact: @escaping (String) -> String = { $0 }) {
        self.out = out; self.style = style; self.live = live; self.quiet = quiet; self.columns = columns; self.redact = redact
    }

    func started(_ record: Record, index: Int, of total: Int) {
        position = (index, total)
        guard !quiet else { return }
        if !live { out.line(redact("→ [\(index)/\(total)] \(record.id) \(record.title)")) }
        lastPlain = ""
    }

    func waiting(_ record: Record, for what: String, secondsLeft: Double) {
        guard !quiet else { return }
        let what = redact(what)
        let left = max(0, Int(secondsLeft.rounded(.up)))
        if live {
            let elapsed = Int(Date().timeIntervalSince(started))
            let text = "[\(position.index)/\(position.total)] \(record.id) waiting for \(what) · \(left) s left · \(elapsed / 60):\(String(format: "%02d", elapsed % 60))"
            // One column short of the width: a line that fills the last column wraps on some terminals.
            let fitted = TextFit.middle(text, width: max(10, (columns() ?? 80) - 1))
            clear()
            out.write(style.dim(fitted))
            lastLive = fitted
        } else if what != lastPlain {
            out.line("  waiting for \(what) (up to \(left) s)")
            lastPlain = what
        }
    }

    func finished(_ verdict: Verdict) {
        guard !quiet else { return }
        var v = verdict
        v.title = redact(v.title)
        v.reason = redact(v.reason)
        clear()
        out.line(VerdictText.line(v, style: style, width: live ? columns() : nil))
    }

    func say(_ text: String) {
        clear()
        out.line(redact(text))
    }

    private func clear() {
        if live && !lastLive.isEmpty { out.write("\r\u{1B}[2K"); lastLive = "" }
    }
}
