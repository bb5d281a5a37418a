// The result of a successful parse, with typed accessors.

/// Options and positional arguments of a successfully parsed command line.
public struct ParsedArguments: Sendable {
    /// Where an option's effective value came from.
    public enum Source: Sendable, Equatable {
        /// Given on the command line.
        case commandLine
        /// Read from the named environment variable.
        case environment(String)
        /// The option's default value.
        case defaultValue
    }

    /// The subcommand path without the program name, e.g. `["checklist", "validate"]`.
    public var commandPath: [String]
    /// The program name (the root command's name).
    public var programName: String

    let specs: [String: OptionSpec]
    let given: [String: [String]]
    let environmentValues: [String: String]
    let positionals: [String: [String]]
    let argumentNames: Set<String>

    init(
        commandPath: [String], programName: String, specs: [String: OptionSpec], given: [String: [String]],
        environmentValues: [String: String], positionals: [String: [String]], argumentNames: Set<String>
    ) {
        self.commandPath = commandPath
        self.programName = programName
        self.specs = specs
        self.given = given
        self.environmentValues = environmentValues
        self.positionals = positionals
        self.argumentNames = argumentNames
    }

    private func spec(_ name: String) -> OptionSpec {
        guard let spec = specs[name] else {
            preconditionFailure("ParsedArguments: no option named '--\(name)' in \(commandPath)")
        }
        return spec
    }

    /// Whether the flag was given, or its environment variable is set to a true value (1, true, yes, on).
    public func flag(_ name: String) -> Bool {
        let spec = spec(name)
        precondition(!spec.takesValue, "ParsedArguments.flag: '--\(name)' takes a value")
        if given[name] != nil { return true }
        guard let env = environmentValues[name] else { return false }
        return parseBool(env) ?? true   // a flag's non-boolean environment value is one of its values
    }

    /// For a flag with values (`--lenient`, `--lenient=ignore`): nil when the flag is off, "" when given alone (or
    /// its environment variable is true), else the value of its last occurrence.
    public func flagValue(_ name: String) -> String? {
        let spec = spec(name)
        precondition(!spec.takesValue, "ParsedArguments.flagValue: '--\(name)' takes a value")
        if let last = given[name]?.last { return last }
        guard let env = environmentValues[name] else { return nil }
        if let b = parseBool(env) { return b ? "" : nil }
        return env
    }

    /// The option's last command-line occurrence, else its environment value, else its default.
    public func value(_ name: String) -> String? {
        let spec = spec(name)
        precondition(spec.takesValue, "ParsedArguments.value: '--\(name)' is a flag")
        if let last = given[name]?.last { return last }
        return environmentValues[name] ?? spec.defaultValue
    }

    /// All command-line occurrences in order; if none, the environment value or default as a single element.
    public func values(_ name: String) -> [String] {
        let spec = spec(name)
        precondition(spec.takesValue, "ParsedArguments.values: '--\(name)' is a flag")
        if let all = given[name], !all.isEmpty { return all }
        if let env = environmentValues[name] { return [env] }
        return spec.defaultValue.map { [$0] } ?? []
    }

    /// Where `value(name)` comes from, or nil when the option has no value at all.
    public func source(_ name: String) -> Source? {
        let spec = spec(name)
        if given[name] != nil { return .commandLine }
        if environmentValues[name] != nil, let env = spec.env { return .environment(env) }
        if spec.defaultValue != nil { return .defaultValue }
        return nil
    }

    /// The value of a single positional argument, or nil when an optional one was omitted.
    public func argument(_ name: String) -> String? {
        precondition(argumentNames.contains(name), "ParsedArguments: no argument named '<\(name)>'")
        return positionals[name]?.first
    }

    /// All values of a (variadic) positional argument.
    public func arguments(_ name: String) -> [String] {
        precondition(argumentNames.contains(name), "ParsedArguments: no argument named '<\(name)>'")
        return positionals[name] ?? []
    }

    /// The value as a finite number, e.g. `--timeout-scale 0.5`; throws "--timeout-scale expects a number, got 'abc'".
    public func double(_ name: String) throws(UsageError) -> Double? {
        guard let raw = value(name) else { return nil }
        if let number = Double(raw), number.isFinite { return number }
        throw typeError(name, raw: raw, expected: "a number")
    }

    /// The value as an integer; throws "--retries expects an integer, got 'x'".
    public func int(_ name: String) throws(UsageError) -> Int? {
        guard let raw = value(name) else { return nil }
        if let number = Int(raw) { return number }
        throw typeError(name, raw: raw, expected: "an integer")
    }

    private func typeError(_ name: String, raw: String, expected: String) -> UsageError {
        let spec = spec(name)
        var subject = spec.longForm
        if case .environment(let env)? = source(name) { subject = "\(env) (for \(spec.longForm))" }
        let got = spec.secret ? "" : ", got '\(raw)'"
        return UsageError("\(subject) expects \(expected)\(got)", commandPath: commandPath, programName: programName)
    }
}

/// Parses an environment boolean: 1/true/yes/on and 0/false/no/off (case-insensitive); nil otherwise.
func parseBool(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "1", "true", "yes", "on": return true
    case "0", "false", "no", "off": return false
    default: return nil
    }
}
