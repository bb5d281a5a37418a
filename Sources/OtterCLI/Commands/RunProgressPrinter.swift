import Foundation
import OtterCore
import OtterHarness

/// Live progress of a run: on a terminal one line that counts down, elsewhere plain lines; nothing with --quiet.
final class RunProgressPrinter: RunProgress {
    let out: LineWriter
    let style: VerdictText.Style
    let live: Bool
    let quiet: Bool
    private var lastLive = ""
    private var lastPlain = ""

    init(out: LineWriter, style: VerdictText.Style, live: Bool, quiet: Bool) {
        self.out = out; self.style = style; self.live = live; self.quiet = quiet
    }

    func started(_ record: Record, index: Int, of total: Int) {
        guard !quiet else { return }
        if !live { out.line("→ [\(index)/\(total)] \(record.id) \(record.title)") }
        lastPlain = ""
    }

    func waiting(_ record: Record, for what: String, secondsLeft: Double) {
        guard !quiet else { return }
        let text = "  \(record.id) waiting for \(what) · \(max(0, Int(secondsLeft.rounded(.up)))) s left"
        if live {
            clear()
            out.write(style.dim(text))
            lastLive = text
        } else if what != lastPlain {
            out.line("  waiting for \(what) (up to \(max(0, Int(secondsLeft.rounded(.up)))) s)")
            lastPlain = what
        }
    }

    func finished(_ verdict: Verdict) {
        guard !quiet else { return }
        clear()
        out.line(VerdictText.line(verdict, style: style))
    }

    func say(_ text: String) {
        clear()
        out.line(text)
    }

    private func clear() {
        if live && !lastLive.isEmpty { out.write("\r\u{1B}[2K"); lastLive = "" }
    }
}
