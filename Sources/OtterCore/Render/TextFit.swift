/// Fitting text to a terminal's width: one line cut in the middle, or a paragraph wrapped under its own indent.
/// Widths count Characters (what the harness prints is ASCII plus a few one-column symbols such as `·` and `└`).
public enum TextFit {
    /// `text` in at most `width` columns: unchanged when it fits, else its start and end joined by `…`, so both the
    /// record id at the front and the time left at the back stay visible.
    public static func middle(_ text: String, width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        if width == 1 { return "…" }
        let keep = width - 1, head = (keep + 1) / 2, tail = keep - head
        return String(text.prefix(head)) + "…" + String(text.suffix(tail))
    }

    /// `lead` + `text` word-wrapped to `width` columns; every line after the first starts with `indent` spaces, so
    /// a continued reason stays under its own start. A word longer than a line is cut.
    public static func wrap(_ text: String, width: Int, lead: String = "", indent: Int) -> String {
        guard width > max(indent, lead.count) + 8 else { return lead + text }
        var lines: [String] = []
        var line = "", prefix = lead
        func flush() { lines.append(prefix + line); line = ""; prefix = String(repeating: " ", count: indent) }
        for word in text.split(separator: " ") {
            var w = String(word)
            while true {
                let room = width - prefix.count - line.count - (line.isEmpty ? 0 : 1)
                if w.count <= room { line += (line.isEmpty ? "" : " ") + w; break }
                if line.isEmpty {  // longer than a whole line: cut it
                    line = String(w.prefix(room)); w = String(w.dropFirst(room)); flush()
                    if w.isEmpty { break }
                    continue
                }
                flush()
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(prefix + line) }
        return lines.joined(separator: "\n")
    }
}
