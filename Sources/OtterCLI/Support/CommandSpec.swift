// Declarative description of the command tree: options, positional arguments, subcommands.

/// One `--name [value]` option (or a flag when `valueName` is nil) accepted by a command.
public struct OptionSpec: Sendable, Equatable {
    /// Long name without dashes, e.g. `"type"` for `--type`.
    public var name: String
    /// Optional single-character short name, e.g. `"q"` for `-q`. `h` is reserved for help.
    public var short: Character?
    /// Placeholder shown in help (`"file"` renders `<file>`); nil makes the option a flag.
    public var valueName: String?
    /// One-line help text.
    public var help: String
    /// Value used when the option is absent from the command line and from the environment.
    public var defaultValue: String?
    /// Closed set of accepted values (checked for command-line and environment values). For a flag: the values it
    /// may be given after `=` (`--lenient=ignore`).
    public var allowed: [String]?
    /// Whether the option may be given more than once (see `ParsedArguments.values`).
    public var repeatable: Bool
    /// Whether parsing fails when the option is absent (an `env` value or a default satisfies it).
    public var required: Bool
    /// Environment variable consulted when the option is absent from the command line.
    public var env: String?
    /// Whether the value must never be echoed in errors or help output.
    public var secret: Bool

    /// Creates an option; leave `valueName` nil for a flag.
    public init(
        name: String, short: Character? = nil, valueName: String? = nil, help: String,
        defaultValue: String? = nil, allowed: [String]? = nil, repeatable: Bool = false,
        required: Bool = false, env: String? = nil, secret: Bool = false
    ) {
        self.name = name
        self.short = short
        self.valueName = valueName
        self.help = help
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.repeatable = repeatable
        self.required = required
        self.env = env
        self.secret = secret
    }

    /// A boolean flag such as `--quiet`.
    public static func flag(_ name: String, short: Character? = nil, help: String, env: String? = nil) -> OptionSpec {
        OptionSpec(name: name, short: short, help: help, env: env)
    }

    /// A flag that may also be given one of `values` after `=`: `--lenient`, or `--lenient=ignore`. It never takes
    /// the next argument as its value (see `ParsedArguments.flagValue`).
    public static func flag(_ name: String, short: Character? = nil, values: [String], help: String, env: String? = nil) -> OptionSpec {
        OptionSpec(name: name, short: short, help: help, allowed: values, env: env)
    }

    /// Whether the option takes a value (false for flags).
    public var takesValue: Bool { valueName != nil }

    /// `--lenient[=ignore]` for a flag with values, else `--name`.
    var flagForm: String {
        guard !takesValue, let allowed, !allowed.isEmpty else { return longForm }
        return longForm + "[=" + allowed.joined(separator: "|") + "]"
    }

    /// `--name`.
    public var longForm: String { "--" + name }
}

/// One positional argument of a command.
public struct ArgumentSpec: Sendable, Equatable {
    /// Name shown in help as `<name>` and used with `ParsedArguments.argument(_:)`.
    public var name: String
    /// One-line help text.
    public var help: String
    /// Whether the argument may be omitted.
    public var optional: Bool
    /// Whether the argument collects all remaining positionals (must be the last argument).
    public var variadic: Bool

    /// Creates a positional argument.
    public init(name: String, help: String, optional: Bool = false, variadic: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
        self.variadic = variadic
    }
}

/// A command (or the root program) with its options, arguments and subcommands.
public struct CommandSpec: Sendable, Equatable {
    /// Command name; for the root this is the program name, e.g. `"otter-cert"`.
    public var name: String
    /// One-line summary shown in help and in the parent's SUBCOMMANDS list.
    public var abstract: String
    /// Free text (typically examples) shown verbatim in help.
    public var discussion: String
    /// Options accepted by this command (and by its subcommands, which inherit them).
    public var options: [OptionSpec]
    /// Positional arguments, in order; only for commands without subcommands.
    public var arguments: [ArgumentSpec]
    /// Subcommands; when non-empty one of them must be given.
    public var subcommands: [CommandSpec]

    /// Creates a command.
    public init(
        name: String, abstract: String, discussion: String = "", options: [OptionSpec] = [],
        arguments: [ArgumentSpec] = [], subcommands: [CommandSpec] = []
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.subcommands = subcommands
    }

    /// Programming mistakes in this tree (duplicate names, reserved names, misplaced variadics); empty when valid.
    public func specProblems() -> [String] {
        var problems: [String] = []
        collectProblems(prefix: name, inherited: [], into: &problems)
        return problems
    }

    private func collectProblems(prefix: String, inherited: [OptionSpec], into problems: inout [String]) {
        var longs = Set(inherited.map(\.name))
        var shorts = Set(inherited.compactMap(\.short))
        for option in options {
            if option.name.isEmpty || option.name.hasPrefix("-") || option.name.contains("=") {
                problems.append("\(prefix): invalid option name '\(option.name)'")
            }
            if ["help", "version"].contains(option.name) {
                problems.append("\(prefix): option name '--\(option.name)' is reserved")
            }
            if !longs.insert(option.name).inserted {
                problems.append("\(prefix): duplicate option '--\(option.name)'")
            }
            if let short = option.short {
                if short == "h" { problems.append("\(prefix): short option '-h' is reserved") }
                if short == "-" || short == "=" { problems.append("\(prefix): invalid short option '-\(short)'") }
                if !shorts.insert(short).inserted { problems.append("\(prefix): duplicate short option '-\(short)'") }
            }
            if !option.takesValue && (option.defaultValue != nil || option.repeatable) {
                problems.append("\(prefix): flag '--\(option.name)' cannot have a default or be repeatable")
            }
            if !option.takesValue, let allowed = option.allowed, allowed.isEmpty || allowed.contains(where: { parseBool($0) != nil || $0.isEmpty }) {
                problems.append("\(prefix): the values of flag '--\(option.name)' must be words other than booleans")
            }
            if option.secret && option.allowed != nil {
                problems.append("\(prefix): secret option '--\(option.name)' cannot have allowed values (they would be echoed)")
            }
            if let allowed = option.allowed, let def = option.defaultValue, !allowed.contains(def) {
                problems.append("\(prefix): default of '--\(option.name)' is not an allowed value")
            }
        }
        var argNames = Set<String>()
        for (index, argument) in arguments.enumerated() {
            if !argNames.insert(argument.name).inserted {
                problems.append("\(prefix): duplicate argument '<\(argument.name)>'")
            }
            if argument.variadic && index != arguments.count - 1 {
                problems.append("\(prefix): variadic argument '<\(argument.name)>' must be last")
            }
            if index > 0 && arguments[index - 1].optional && !argument.optional {
                problems.append("\(prefix): required argument '<\(argument.name)>' follows an optional one")
            }
        }
        if !subcommands.isEmpty && !arguments.isEmpty {
            problems.append("\(prefix): a command with subcommands cannot take positional arguments")
        }
        var subNames = Set<String>()
        for sub in subcommands {
            if !subNames.insert(sub.name).inserted { problems.append("\(prefix): duplicate subcommand '\(sub.name)'") }
            sub.collectProblems(prefix: prefix + " " + sub.name, inherited: inherited + options, into: &problems)
        }
    }

    /// The chain of commands named by `path` starting at `self`, stopping at the first name that does not match.
    func chain(for path: [String]) -> [CommandSpec] {
        var chain = [self]
        for name in path {
            guard let sub = chain[chain.count - 1].subcommands.first(where: { $0.name == name }) else { break }
            chain.append(sub)
        }
        return chain
    }
}
