// The error for anything wrong with the command line (exit code 2).

/// A command-line usage error; `description` is the line to print on stderr.
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, without the program/command prefix, e.g. `"--log expects a value"`.
    public var message: String
    /// The subcommand path in effect, without the program name, e.g. `["checklist", "validate"]`.
    public var commandPath: [String]
    /// The program name (the root command's name).
    public var programName: String
    /// Full help text to print after the message (set when a required subcommand is missing).
    public var helpText: String?

    /// The process exit code for usage errors.
    public static let exitCode: Int32 = 2

    /// Creates a usage error.
    public init(_ message: String, commandPath: [String] = [], programName: String = "otter-cert", helpText: String? = nil) {
        self.message = message
        self.commandPath = commandPath
        self.programName = programName
        self.helpText = helpText
    }

    /// `"otter-cert checklist validate"`: the program name followed by the command path.
    public var commandLine: String { ([programName] + commandPath).joined(separator: " ") }

    /// `"otter-cert observe: unknown option '--lgo'. Did you mean '--log'?"`, followed by the help text if any.
    public var description: String {
        let line = "\(commandLine): \(message)"
        guard let helpText else { return line }
        return line + "\n\n" + helpText
    }

    /// A pointer to the help, e.g. `"Run 'otter-cert observe --help' for usage."`.
    public var hint: String { "Run '\(commandLine) --help' for usage." }
}
