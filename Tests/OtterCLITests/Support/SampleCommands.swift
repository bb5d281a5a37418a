@testable import OtterCLI

/// A command tree shaped like otter-cert's, used by the parser and help tests.
enum Sample {
    static let secret = "s3cr3t-HUNTER2"

    static let observe = CommandSpec(
        name: "observe",
        abstract: "Evaluate a recorded event log against a checklist.",
        discussion: """
            EXAMPLES:
              otter-cert observe --type delivery --log events.jsonl --lenient
            """,
        options: [
            OptionSpec(name: "type", short: "t", valueName: "type", help: "Integration type.",
                       allowed: ["delivery", "pos", "orders"], required: true, env: "OTTER_CERT_TYPE"),
            OptionSpec(name: "log", valueName: "file", help: "Event log (JSON Lines); '-' reads stdin.", required: true),
            OptionSpec(name: "report-json", valueName: "file", help: "Also write the report as JSON."),
            .flag("lenient", short: "l", help: "Treat warnings as passes.", env: "OTTER_CERT_LENIENT"),
        ])

    static let checklist = CommandSpec(
        name: "checklist",
        abstract: "Inspect and validate checklists.",
        subcommands: [
            CommandSpec(name: "list", abstract: "List the built-in checklists."),
            CommandSpec(name: "validate", abstract: "Validate checklist files.",
                        arguments: [ArgumentSpec(name: "file", help: "Checklist JSON file.", variadic: true)]),
        ])

    static let run = CommandSpec(
        name: "run",
        abstract: "Drive a live certification run against a partner endpoint.",
        options: [
            OptionSpec(name: "type", valueName: "type", help: "Integration type.",
                       allowed: ["delivery", "pos", "orders"], required: true),
            OptionSpec(name: "partner-url", valueName: "url", help: "Base URL of the partner integration.", required: true),
            OptionSpec(name: "webhook-secret", valueName: "secret", help: "Shared webhook signing secret.",
                       allowed: nil, required: true, env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
            OptionSpec(name: "only", valueName: "ids", help: "Run only these checks (comma-separated).", repeatable: true),
            OptionSpec(name: "timeout-scale", valueName: "factor", help: "Multiply every timeout by this factor.",
                       defaultValue: "1.0", env: "OTTER_CERT_TIMEOUT_SCALE"),
            OptionSpec(name: "retries", valueName: "n", help: "Retries per request.", defaultValue: "2"),
            OptionSpec(name: "sandbox-listen", valueName: "host:port", help: "Address for the sandbox listener.",
                       defaultValue: "127.0.0.1:0"),
        ])

    static let diff = CommandSpec(
        name: "diff",
        abstract: "Compare two JSON reports.",
        arguments: [
            ArgumentSpec(name: "old", help: "Earlier report."),
            ArgumentSpec(name: "new", help: "Later report."),
            ArgumentSpec(name: "output", help: "Where to write the diff ('-' for stdout).", optional: true),
        ])

    static let root = CommandSpec(
        name: "otter-cert",
        abstract: "Certification test harness for Otter Public API integrations.",
        options: [.flag("quiet", short: "q", help: "Print only the verdict.")],
        subcommands: [observe, checklist, run, diff])

    static let env: [String: String] = [:]

    static let runBase = ["run", "--type", "pos", "--partner-url", "http://localhost:9000", "--webhook-secret", secret]
}
