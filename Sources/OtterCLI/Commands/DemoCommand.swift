import Foundation
import OtterCore
import OtterHarness

/// `otter-cert demo`: the whole thing on bundled data.
enum DemoCommand {
    static let spec = CommandSpec(
        name: "demo", abstract: "Evaluate the bundled recorded certification runs and print their verdicts.",
        discussion: """
        Runs `observe` on the recorded passing run of each integration type under Fixtures/logs/ (or only --type).

        Example:
          otter-cert demo --type delivery
        """,
        options: [OptionSpec(name: "type", short: "t", valueName: "type", help: "Only this integration type.",
                             allowed: IntegrationType.allCases.map(\.rawValue)),
                  .flag("quiet", short: "q", help: "Print only the summaries.")],
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let files = try c.files()
        let types = c.args.value("type").flatMap(IntegrationType.init(rawValue:)).map { [$0] } ?? IntegrationType.allCases
        var all = true
        for (i, t) in types.enumerated() {
            if i > 0 { c.out.line("") }
            let log = files.fixtures.appendingPathComponent("logs/\(t.rawValue)/pass.jsonl").path
            let obs = try Observer(files: files).observe(type: t, logPath: log, lenient: false, webhookSecret: nil)
            try ObserveCommand.print(obs, c, reportJSON: nil)
            all = all && obs.result.certified
        }
        return all ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }
}
