// Deterministic help text: usage line, abstract, discussion, ARGUMENTS, OPTIONS, SUBCOMMANDS.

/// Help for the command at `path` (subcommand names below `root`; unknown trailing names are ignored), wrapped to `width`.
public func helpText(for path: [String], root: CommandSpec, width: Int = 80) -> String {
    let width = max(width, 40)
    let chain = root.chain(for: path)
    let command = chain[chain.count - 1]
    let commandLine = chain.map(\.name).joined(separator: " ")
    var blocks: [String] = []

    blocks.append(usageLine(command, commandLine: commandLine, width: width))
    if !command.abstract.isEmpty { blocks.append(wrap(command.abstract, width: width).joined(separator: "\n")) }
    let discussion = trimTrailingWhitespace(command.discussion)
    if !discussion.isEmpty { blocks.append(discussion) }

    // Rows of every section share one help column.
    let argumentRows = command.arguments.map { (left: "<\($0.name)>", help: $0.help) }
    var optionRows = command.options.map { (left: optionLeft($0), help: optionHelp($0)) }
    let ownNames = Set(command.options.map(\.name))
    var inheritedSeen = Set<String>()
    for ancestor in chain.dropLast().reversed() {
        for option in ancestor.options where !ownNames.contains(option.name) && inheritedSeen.insert(option.name).inserted {
            optionRows.append((left: optionLeft(option), help: optionHelp(option)))
        }
    }
    optionRows.append((left: "-h, --help", help: "Show help information."))
    if chain.count == 1 { optionRows.append((left: "--version", help: "Show the version.")) }
    let subcommandRows = command.subcommands.map { (left: $0.name, help: $0.abstract) }

    let longestLeft = (argumentRows + optionRows + subcommandRows).map { $0.left.count }.max() ?? 0
    let column = min(2 + longestLeft + 2, max(24, width / 3))

    func section(_ title: String, _ rows: [(left: String, help: String)]) -> String {
        var lines = [title + ":"]
        for row in rows { lines += twoColumn(left: row.left, help: row.help, column: column, width: width) }
        return lines.joined(separator: "\n")
    }
    if !argumentRows.isEmpty { blocks.append(section("ARGUMENTS", argumentRows)) }
    blocks.append(section("OPTIONS", optionRows))
    if !subcommandRows.isEmpty {
        var text = section("SUBCOMMANDS", subcommandRows)
        let footer = "See '\(chain[0].name) help \((chain.dropFirst().map(\.name) + ["<subcommand>"]).joined(separator: " "))' for detailed help."
        text += "\n\n" + wrap(footer, width: width - 2).map { "  " + $0 }.joined(separator: "\n")
        blocks.append(text)
    }
    return blocks.joined(separator: "\n\n")
}

private func usageLine(_ command: CommandSpec, commandLine: String, width: Int) -> String {
    var items: [String] = []
    for option in command.options {
        var item = option.flagForm
        if let valueName = option.valueName { item += " <\(valueName)>" }
        if option.repeatable { item += " ..." }
        items.append(option.required ? item : "[\(item)]")
    }
    for argument in command.arguments {
        var item = "<\(argument.name)>"
        if argument.variadic { item += " ..." }
        items.append(argument.optional ? "[\(item)]" : item)
    }
    if !command.subcommands.isEmpty { items.append("<subcommand>") }

    let lead = "USAGE: \(commandLine)"
    let longestItem = items.map(\.count).max() ?? 0
    let indent = String(repeating: " ", count: min(lead.count + 1, max(2, width - longestItem)))
    var lines: [String] = []
    var line = lead
    for item in items {
        if line.count + 1 + item.count > width && line.count > indent.count {
            lines.append(line)
            line = indent + item
        } else {
            line += " " + item
        }
    }
    lines.append(line)
    return lines.joined(separator: "\n")
}

private func optionLeft(_ option: OptionSpec) -> String {
    var left = option.short.map { "-\($0), " } ?? ""
    left += option.flagForm
    if let valueName = option.valueName { left += " <\(valueName)>" }
    return left
}

private func optionHelp(_ option: OptionSpec) -> String {
    var extras: [String] = []
    if let allowed = option.allowed, option.takesValue { extras.append("values: " + allowed.joined(separator: ", ")) }
    if let def = option.defaultValue, !option.secret { extras.append("default:\(glue)\(def)") }
    if option.repeatable { extras.append("repeatable") }
    var text = option.help
    if !extras.isEmpty { text += (text.isEmpty ? "" : " ") + "(" + extras.joined(separator: "; ") + ")" }
    if let env = option.env { text += (text.isEmpty ? "" : " ") + "[env:\(glue)\(env)]" }
    return text
}

/// `  left      help...` rows: help starts at `column`, wraps to `width`; a long left part gets its own line.
private func twoColumn(left: String, help: String, column: Int, width: Int) -> [String] {
    let pad = String(repeating: " ", count: column)
    let helpLines = help.isEmpty ? [] : wrap(help, width: max(width - column, 20))
    let head = "  " + left
    guard let first = helpLines.first else { return [head] }
    var lines: [String]
    if head.count + 2 <= column {
        lines = [head + String(repeating: " ", count: column - head.count) + first]
    } else {
        lines = [head, pad + first]
    }
    lines += helpLines.dropFirst().map { pad + $0 }
    return lines
}

/// Joins words that `wrap` must keep on one line; rendered as a space.
let glue: Character = "\u{1F}"

/// Greedy word wrap; explicit newlines are kept, words longer than `width` stay whole, `glue` is a non-breaking space.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        // A glued group that cannot fit on a line by itself is split back into words.
        let words = paragraph.split(separator: " ").flatMap { word in
            word.count > width && word.contains(glue) ? word.split(separator: glue) : [word]
        }
        for word in words {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
    }
    return lines.map { String($0.map { $0 == glue ? " " : $0 }) }
}

private func trimTrailingWhitespace(_ text: String) -> String {
    var text = Substring(text)
    while let last = text.last, last.isWhitespace { text = text.dropLast() }
    return String(text)
}
