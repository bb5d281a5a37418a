import Foundation
import OtterCore
import OtterHarness

/// `otter-cert report`: re-render a saved event log or capture as HTML, Markdown, JSON, JUnit or TAP.
enum ReportCommand {
    static let spec = CommandSpec(
        name: "report", abstract: "Render the certification report of a saved event log or HAR capture (html, md, json, junit, tap).",
        discussion: """
        Evaluates the log like `observe` and writes the report in one format to --out, or to standard output.
        The output depends only on the log and the checklist: rendering twice gives the same bytes.

        Exit codes: 0 report written (whatever the verdict), 2 usage or input error, 3 cannot write.

        Examples:
          otter-cert report --type delivery --log run/events.jsonl --format html --out report.html
          otter-cert report --type pos --log capture.har --format junit > junit.xml
          otter-cert report --type pos --log run/events.jsonl --format tap --out report.tap && prove --exec cat report.tap
        """,
        options: [
            OtterCert.typeFromLogOption,
            OptionSpec(name: "log", short: "l", valueName: "file", help: "Event log (.jsonl) or HAR capture (.har); - reads standard input.", required: true),
            OptionSpec(name: "format", short: "f", valueName: "format", help: "Report format.", defaultValue: "html",
                       allowed: ReportWriter.Format.allCases.map(\.rawValue)),
            OptionSpec(name: "out", short: "o", valueName: "file", help: "Write the report to this file instead of standard output."),
            OptionSpec(name: "checklist", valueName: "file", help: "Use this checklist file instead of the bundled one."),
            OptionSpec(name: "webhook-secret", valueName: "secret",
                       help: "Webhook secret; lets a log without record tags tell invalid signatures apart.",
                       env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
            OtterCert.lenientOption,
        ],
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let logPath = c.args.value("log") ?? "-"
        guard let format = ReportWriter.Format(rawValue: c.args.value("format") ?? "html") else { throw HarnessError.input("unknown --format") }
        let hash = ReportWriter.PendingLogHash(logPath: logPath)
        var obs = try Observer(files: try c.files()).observe(type: try c.type(orFromLog: logPath), checklistPath: c.args.value("checklist"), logPath: logPath,
                                                             leniency: c.leniency, webhookSecret: c.args.value("webhook-secret"))
        obs = try hash.filling(obs)
        let text = ReportWriter.render(obs, format: format)
        if let out = c.args.value("out") {
            try ReportWriter.write(text, to: out)
            c.err.line("wrote \(out) (\(obs.result.certified ? "CERTIFIED" : "NOT CERTIFIED"))")
        } else {
            c.out.write(text)
        }
        return OtterCert.Exit.ok
    }
}
