// parseCommandLine: turns argv (without the program name) into a ParseOutcome.

/// What the command line asked for.
public enum ParseOutcome: Sendable {
    /// A command to run with its arguments.
    case parsed(ParsedArguments)
    /// `--help`, `-h` or `help <command>`: the help text to print on stdout (exit 0).
    case help(String)
    /// `--version`: print the version (exit 0).
    case version
}

/// Parses `argv` (arguments after the program name) against `root`; environment supplies `OptionSpec.env` fallbacks.
public func parseCommandLine(
    _ argv: [String], root: CommandSpec, environment: [String: String]
) throws(UsageError) -> ParseOutcome {
    assert(root.specProblems().isEmpty, "invalid command tree: \(root.specProblems())")
    // `otter-cert help [command...]`
    if argv.first == "help", !root.subcommands.isEmpty, !root.subcommands.contains(where: { $0.name == "help" }) {
        var chain = [root]
        for name in argv.dropFirst() {
            guard let sub = chain[chain.count - 1].subcommands.first(where: { $0.name == name }) else {
                throw unknownSubcommand(name, chain: chain)
            }
            chain.append(sub)
        }
        return .help(helpText(for: chain.dropFirst().map(\.name), root: root))
    }
    let scan = scanForHelpAndVersion(argv, root: root)
    if let helpPath = scan.helpPath { return .help(helpText(for: helpPath, root: root)) }
    if scan.version { return .version }
    return .parsed(try parseStrictly(argv, root: root, environment: environment))
}

// MARK: - Lookup helpers

/// Options visible in a command chain, deepest command first (subcommands inherit their ancestors' options).
private func visibleOptions(_ chain: [CommandSpec]) -> [OptionSpec] {
    var seen = Set<String>()
    var result: [OptionSpec] = []
    for command in chain.reversed() {
        for option in command.options where seen.insert(option.name).inserted { result.append(option) }
    }
    return result
}

private func lookupLong(_ name: Substring, in chain: [CommandSpec]) -> OptionSpec? {
    for command in chain.reversed() {
        if let option = command.options.first(where: { $0.name == name }) { return option }
    }
    return nil
}

private func lookupShort(_ short: Character, in chain: [CommandSpec]) -> OptionSpec? {
    for command in chain.reversed() {
        if let option = command.options.first(where: { $0.short == short }) { return option }
    }
    return nil
}

/// Whether `token` can be the value of a preceding `--option` (so `--log --lenient` is a missing value, `--n -1` is not).
private func canBeValue(_ token: String) -> Bool {
    token == "-" || !token.hasPrefix("-") || Double(token) != nil
}

private func isShortCluster(_ token: String) -> Bool {
    token.hasPrefix("-") && !token.hasPrefix("--") && token.count > 1
}

// MARK: - Pass 1: help and version win over every other problem

private func scanForHelpAndVersion(_ argv: [String], root: CommandSpec) -> (helpPath: [String]?, version: Bool) {
    var chain = [root]
    var resolving = true
    var help = false
    var version = false
    var index = 0
    while index < argv.count {
        let token = argv[index]
        index += 1
        if token == "--" { break }
        if token == "--help" || token == "-h" {
            help = true
        } else if token == "--version" {
            version = true
        } else if token.hasPrefix("--") {
            let body = token.dropFirst(2)
            if !body.contains("="), let option = lookupLong(body, in: chain), option.takesValue,
               index < argv.count, canBeValue(argv[index]) {
                index += 1
            }
        } else if isShortCluster(token) {
            var rest = token.dropFirst()
            while let char = rest.first {
                rest = rest.dropFirst()
                if char == "h" { help = true; continue }
                guard let option = lookupShort(char, in: chain) else { break }
                if option.takesValue {
                    if rest.isEmpty, index < argv.count, canBeValue(argv[index]) { index += 1 }
                    break
                }
            }
        } else if resolving, !chain[chain.count - 1].subcommands.isEmpty {
            if let sub = chain[chain.count - 1].subcommands.first(where: { $0.name == token }) {
                chain.append(sub)
            } else {
                resolving = false
            }
        }
    }
    return (help ? chain.dropFirst().map(\.name) : nil, version)
}

// MARK: - Pass 2: strict parse

private func parseStrictly(
    _ argv: [String], root: CommandSpec, environment: [String: String]
) throws(UsageError) -> ParsedArguments {
    var chain = [root]
    var given: [String: [String]] = [:]
    var loose: [String] = []
    var onlyPositionals = false
    var index = 0

    func fail(_ message: String) -> UsageError {
        UsageError(message, commandPath: chain.dropFirst().map(\.name), programName: root.name)
    }
    func record(_ option: OptionSpec, _ value: String) throws(UsageError) {
        var value = value
        if let allowed = option.allowed {
            guard let canonical = canonicalChoice(value, in: allowed) else {
                throw fail(notAllowedMessage(option, subject: option.longForm, value: value))
            }
            value = canonical
        }
        given[option.name, default: []].append(value)
    }

    while index < argv.count {
        let token = argv[index]
        index += 1
        if onlyPositionals {
            loose.append(token)
        } else if token == "--" {
            onlyPositionals = true
        } else if token.hasPrefix("--") {
            let body = token.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let inline: String? = body.contains("=") ? String(body.drop(while: { $0 != "=" }).dropFirst()) : nil
            guard let option = lookupLong(name, in: chain) else {
                var message = "unknown option '--\(name)'"
                let candidates = visibleOptions(chain).map(\.name) + ["help", "version"]
                if let guess = closestMatch(to: String(name), among: candidates) { message += ". Did you mean '--\(guess)'?" }
                throw fail(message)
            }
            if option.takesValue {
                if let inline {
                    guard !inline.isEmpty else { throw fail("\(option.longForm) expects a value") }
                    try record(option, inline)
                } else {
                    guard index < argv.count, canBeValue(argv[index]) else { throw fail("\(option.longForm) expects a value") }
                    try record(option, argv[index])
                    index += 1
                }
            } else if let allowed = option.allowed {
                // A flag with values: alone, or with one of them after '=' (never the next argument).
                if let inline {
                    guard let canonical = canonicalChoice(inline, in: allowed) else { throw fail(flagValueMessage(option, got: "\(option.longForm)=\(inline)")) }
                    given[option.name, default: []].append(canonical)
                } else {
                    let leaf = chain[chain.count - 1]
                    if index < argv.count, leaf.arguments.isEmpty, leaf.subcommands.isEmpty, let v = canonicalChoice(argv[index], in: allowed) {
                        throw fail("\(option.longForm) takes its value after '=': \(option.longForm)=\(v)")
                    }
                    given[option.name, default: []].append("")
                }
            } else {
                if inline != nil { throw fail("\(option.longForm) does not take a value") }
                given[option.name, default: []].append("")
            }
        } else if isShortCluster(token) {
            var rest = token.dropFirst()
            while let char = rest.first {
                rest = rest.dropFirst()
                guard let option = lookupShort(char, in: chain) else { throw fail("unknown option '-\(char)'") }
                if option.takesValue {
                    let display = "-\(char)"
                    if !rest.isEmpty {
                        try record(option, String(rest.hasPrefix("=") ? rest.dropFirst() : rest))
                    } else {
                        guard index < argv.count, canBeValue(argv[index]) else { throw fail("\(display) expects a value") }
                        try record(option, argv[index])
                        index += 1
                    }
                    break
                }
                given[option.name, default: []].append("")
            }
        } else if !chain[chain.count - 1].subcommands.isEmpty {
            guard let sub = chain[chain.count - 1].subcommands.first(where: { $0.name == token }) else {
                throw unknownSubcommand(token, chain: chain)
            }
            chain.append(sub)
        } else {
            loose.append(token)
        }
    }

    let command = chain[chain.count - 1]
    if !command.subcommands.isEmpty {
        let names = command.subcommands.map(\.name).joined(separator: ", ")
        var error = fail("missing subcommand (expected one of: \(names))")
        error.helpText = helpText(for: error.commandPath, root: root)
        throw error
    }

    // Positional arguments, in declaration order; a variadic one takes the rest.
    var positionals: [String: [String]] = [:]
    var remaining = loose[...]
    for argument in command.arguments {
        if argument.variadic {
            if remaining.isEmpty && !argument.optional { throw fail("missing required argument '<\(argument.name)>'") }
            positionals[argument.name] = Array(remaining)
            remaining = []
        } else if let next = remaining.popFirst() {
            positionals[argument.name] = [next]
        } else if !argument.optional {
            throw fail("missing required argument '<\(argument.name)>'")
        }
    }
    if let extra = remaining.first { throw fail("unexpected argument '\(extra)'") }

    // Environment fallbacks, then required options.
    let options = visibleOptions(chain)
    var environmentValues: [String: String] = [:]
    for option in options where given[option.name] == nil {
        guard let variable = option.env, let value = environment[variable], !value.isEmpty else { continue }
        let subject = "\(variable) (for \(option.longForm))"
        if !option.takesValue {
            if parseBool(value) == nil && canonicalChoice(value, in: option.allowed ?? []) == nil {
                let got = option.secret ? "" : ", got '\(value)'"
                let or = (option.allowed ?? []).map { " or \($0)" }.joined()
                throw fail("\(subject) expects a boolean (1/0, true/false, yes/no, on/off)\(or)\(got)")
            }
            environmentValues[option.name] = parseBool(value) == nil ? canonicalChoice(value, in: option.allowed ?? []) : value
            continue
        }
        var chosen = value
        if let allowed = option.allowed {
            guard let canonical = canonicalChoice(value, in: allowed) else { throw fail(notAllowedMessage(option, subject: subject, value: value)) }
            chosen = canonical
        }
        environmentValues[option.name] = chosen
    }
    let missing = chain.flatMap(\.options).filter {
        $0.required && given[$0.name] == nil && environmentValues[$0.name] == nil && $0.defaultValue == nil
    }
    if !missing.isEmpty {
        let list = missing.map { o in "'\(o.longForm)'" + (o.env.map { " (or set \($0))" } ?? "") }.joined(separator: ", ")
        throw fail("missing required option\(missing.count == 1 ? "" : "s") \(list)")
    }

    return ParsedArguments(
        commandPath: chain.dropFirst().map(\.name), programName: root.name,
        specs: Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
        given: given, environmentValues: environmentValues, positionals: positionals,
        argumentNames: Set(command.arguments.map(\.name)))
}

/// `value` as one of `allowed`, ignoring case (`--type POS` is `pos`); nil when it is none of them.
private func canonicalChoice(_ value: String, in allowed: [String]) -> String? {
    if allowed.contains(value) { return value }
    return allowed.first { $0.caseInsensitiveCompare(value) == .orderedSame }
}

/// "--lenient is given alone or as --lenient=ignore; got '--lenient=yes'".
private func flagValueMessage(_ option: OptionSpec, got: String) -> String {
    let forms = (option.allowed ?? []).map { "\(option.longForm)=\($0)" }.joined(separator: " or ")
    return "\(option.longForm) is given alone or as \(forms); got '\(got)'"
}

private func notAllowedMessage(_ option: OptionSpec, subject: String, value: String) -> String {
    let choices = (option.allowed ?? []).joined(separator: ", ")
    return "\(subject) must be one of \(choices); got '\(value)'"  // secret options cannot have `allowed`
}

private func unknownSubcommand(_ name: String, chain: [CommandSpec]) -> UsageError {
    let kind = chain.count == 1 ? "command" : "subcommand"
    var message = "unknown \(kind) '\(name)'"
    if let guess = closestMatch(to: name, among: chain[chain.count - 1].subcommands.map(\.name)) {
        message += ". Did you mean '\(guess)'?"
    }
    return UsageError(message, commandPath: chain.dropFirst().map(\.name), programName: chain[0].name)
}

// MARK: - Suggestions

/// The candidate closest to `input` by edit distance, if within 2 edits (ties go to the earliest candidate).
func closestMatch(to input: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(input, candidate)
        if distance <= 2, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}

/// Levenshtein distance between two strings, by Character.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
