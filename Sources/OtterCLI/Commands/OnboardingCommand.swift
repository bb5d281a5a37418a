import Foundation
import OtterCore
import OtterHarness

/// `otter-cert onboarding`: track Pilot → Early Adoption → General Adoption from the live locations' logs.
enum OnboardingCommand {
    static let spec = CommandSpec(
        name: "onboarding", abstract: "Track the Pilot → Early Adoption → General Adoption phases from live event logs.",
        discussion: """
        Reads the operational event logs (.jsonl) or HAR captures of live locations, derives incidents per location
        per day (rules: checklists/incident-rules.json), and reports the phase, each location's incident-free streak,
        whether the exit criterion (14 consecutive clean days; Early Adoption: at all 6 locations on the same days)
        is met, and if not the earliest date it can be. A day with no traffic is not a clean day.

        Exit codes: 0 exit criterion met, 1 not yet, 2 usage or input error.

        Examples:
          otter-cert onboarding --logs live-logs/
          otter-cert onboarding --logs store-1.jsonl store-2.jsonl --phase early --as-of 2026-03-14
          otter-cert onboarding --logs logs/ --tz Europe/Madrid --report-dir tracker/
        """,
        options: [
            OptionSpec(name: "logs", short: "l", valueName: "path", help: "A log file or a directory of them (.jsonl, .har); repeatable.", repeatable: true),
            OptionSpec(name: "phase", valueName: "phase", help: "Phase to report; auto walks the phases from the logs.",
                       defaultValue: "auto", allowed: OnboardingTracker.PhaseChoice.allCases.map(\.rawValue)),
            OptionSpec(name: "as-of", valueName: "date", help: "Last day considered, YYYY-MM-DD (default: the last day with traffic)."),
            OptionSpec(name: "tz", valueName: "zone", help: "IANA time zone of the calendar days (Europe/Madrid).", defaultValue: "UTC"),
            OptionSpec(name: "min-live-exchanges", valueName: "n", help: "Exchanges a location-day needs to count as live (default: from the rules)."),
            OptionSpec(name: "rules", valueName: "file", help: "Incident rules file (default: checklists/incident-rules.json)."),
            OptionSpec(name: "report-dir", valueName: "dir", help: "Write onboarding.html, onboarding.md and onboarding.json here."),
            .flag("lenient", values: [Leniency.ignore.rawValue],
                  help: "Skip unreadable log lines (and count them) instead of stopping at the first; the exit criterion is then "
                      + "not met (\"N unreadable lines\"), since a skipped line could have held an incident. --lenient=ignore judges "
                      + "from the lines that could be read, and the tracker says how many were ignored."),
        ],
        arguments: [ArgumentSpec(name: "files", help: "More log files or directories.", optional: true, variadic: true)],
        subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let a = c.args
        func usage(_ m: String) -> UsageError { UsageError(m, commandPath: a.commandPath, programName: a.programName) }
        let paths = a.values("logs") + a.arguments("files")
        if paths.isEmpty { throw usage("--logs is required (a directory or log files)") }
        let zone = a.value("tz") ?? "UTC"
        guard let calendar = DayCalendar(identifier: zone) else { throw usage("--tz: unknown time zone '\(zone)' (use an IANA name such as Europe/Madrid)") }
        var asOf: Int?
        if let t = a.value("as-of") {
            guard let d = DayCalendar.parse(t) else { throw usage("--as-of expects a date YYYY-MM-DD, got '\(t)'") }
            asOf = d
        }
        let choice = OnboardingTracker.PhaseChoice(rawValue: a.value("phase") ?? "auto") ?? .auto
        let rules = try a.value("rules").map { p throws(HarnessError) in try OnboardingReader.rules(path: p) }
            ?? OnboardingReader.bundledRules(environment: c.environment, dataDir: c.args.value("data-dir"))
        var minLive = rules.minLiveExchanges
        if let n = try a.int("min-live-exchanges") {
            guard n >= 1 else { throw usage("--min-live-exchanges must be at least 1, got \(n)") }
            minLive = n
        }
        let deriver = IncidentDeriver(rules: rules, calendar: calendar)
        let leniency = c.leniency
        try OnboardingReader(lenient: leniency.skips).read(paths, into: deriver)
        let ledgers = deriver.finish()
        var status = OnboardingTracker(minLiveExchanges: minLive)
            .status(ledgers: ledgers, choice: choice, asOf: asOf, timeZone: zone, stats: deriver.stats, rulesVersion: rules.version)
        status.unreadableLinesIgnored = leniency == .ignore
        c.out.line(OnboardingText.render(status, style: c.style))
        if let dir = a.value("report-dir") {
            let written = try OnboardingReportWriter.write(status, to: dir)
            c.out.line("Tracker written: " + written.joined(separator: ", "))
        }
        return status.exitCriterionMet ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }
}
