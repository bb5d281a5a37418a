import Foundation
import OtterCore
import OtterHarness

/// `otter-cert observe`: judge a recorded event log or HAR capture.
enum ObserveCommand {
    static let spec = CommandSpec(
        name: "observe", abstract: "Evaluate a recorded event log (.jsonl) or HAR capture (.har) against a checklist.",
        discussion: """
        Prints a verdict per record and a summary. A HAR file (from a browser, mitmproxy, Charles or Postman) is
        classified entry by entry: webhooks (JSON bodies with eventId and eventType), token calls and Public API calls.
        What the capture cannot show is said once, as a note: times without a UTC offset (read as UTC), Authorization
        headers stripped by the tool's sanitizer (bearer-token checks are then not judged).

        Exit codes: 0 certified, 1 not certified (also when --lenient skipped an unreadable line), 2 usage or input error.

        Examples:
          otter-cert observe --type delivery --log run/events.jsonl
          otter-cert observe --type pos --log capture.har --report-json report.json
          cat events.jsonl | otter-cert observe --type orders --log -
          otter-cert observe --follow out/attempt-1/events.jsonl --live-view 127.0.0.1:8090

        --follow FILE reads an event log as it grows, like `tail -f` (it may not exist yet), judging each line as it
        arrives (with --live-view, in the browser). It ends when the run in the log has ended (every record it runs
        has its end line), or on Ctrl-C or SIGTERM; then the whole file is judged exactly as --log FILE judges it, and
        the verdict and reports are those of `observe --log FILE`. The type comes from --type, else from the log's run
        line once it is there. A malformed line (unless --lenient) or a file that shrinks stops the following.
        """,
        options: [
            OtterCert.typeFromLogOption,
            OptionSpec(name: "log", short: "l", valueName: "file", help: "Event log (.jsonl) or HAR capture (.har); - reads standard input. Required unless --follow."),
            OptionSpec(name: "follow", short: "f", valueName: "file",
                       help: "Follow this event log (.jsonl) as it grows, judging lines as they arrive; ends when the log's run ends, or on Ctrl-C/SIGTERM, then writes the usual output and reports."),
            OptionSpec(name: "checklist", valueName: "file", help: "Use this checklist file instead of the bundled one."),
            OptionSpec(name: "openapi", valueName: "file",
                       help: "Judge by this OpenAPI description (JSON) instead of the bundled one, e.g. a newer Otter spec (see docs/openapi.md)."),
            OptionSpec(name: "report-json", valueName: "file", help: "Also write the report as JSON to this file."),
            OptionSpec(name: "report-dir", valueName: "dir",
                       help: "Also write report.html, report.md, report.json, junit.xml and report.tap into this directory, and the log as events.jsonl (a HAR capture as the redacted event log it was judged by)."),
            OptionSpec(name: "webhook-secret", valueName: "secret",
                       help: "Webhook secret; lets a log without record tags tell invalid signatures apart.",
                       env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
            OtterCert.lenientOption,
            .flag("quiet", short: "q", help: "Print only the summary."),
        ] + LiveViewOptions.options,
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        if let follow = c.args.value("follow") {
            if c.args.value("log") != nil { throw HarnessError.input("give --log FILE or --follow FILE, not both") }
            return try ObserveFollow.run(c, path: follow)
        }
        if c.args.value("live-view") != nil { throw HarnessError.input("--live-view applies to --follow FILE (a saved log is judged at once: open its report.html)") }
        guard let logPath = c.args.value("log") else {
            throw UsageError("missing required option '--log' (or --follow FILE)\nRun 'otter-cert observe --help' for usage.", commandPath: ["observe"])
        }
        let hash = ReportWriter.PendingLogHash(logPath: logPath)
        var obs = try Observer(files: try c.files()).observe(type: try c.type(orFromLog: logPath), checklistPath: c.args.value("checklist"),
                                                             openapiPath: c.args.value("openapi"),
                                                             logPath: logPath, leniency: c.leniency,
                                                             webhookSecret: c.args.value("webhook-secret"))
        obs = try hash.filling(obs)
        try print(obs, c, reportJSON: c.args.value("report-json"))
        if let dir = c.args.value("report-dir") { try ReportWriter.write(obs, to: dir, logPath: logPath) }
        return obs.result.certified ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }

    static func print(_ obs: Observer.Observation, _ c: Context, reportJSON: String?) throws {
        if c.args.flag("quiet") {
            c.out.line(VerdictText.summary(obs.result, style: c.style))
        } else {
            c.out.line(VerdictText.render(obs.result, style: c.style))
        }
        if let path = reportJSON {
            let text = ReportJSON.make(obs.result, source: obs.source).serialized(pretty: true) + "\n"
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw HarnessError.environment("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}
