import Foundation
import OtterCore
import OtterHarness
import SamplePartner

/// `otter-cert demo`: a whole live certification run on loopback, against the bundled sample partner.
enum DemoCommand {
    static let spec = CommandSpec(
        name: "demo", abstract: "Certify the bundled sample partner live on loopback and show the verdict and report.",
        discussion: """
        Starts the sample partner (a correct reference integration) and the embedded Otter sandbox on free loopback
        ports, runs the checklist against them exactly as `otter-cert run` would against a partner's sandbox, and
        prints the verdict per record and where the report is. --fault makes the sample partner misbehave in one
        way, so you can see a failing certification:
        \(SamplePartner.faults.map { "  \($0.name.padded(to: 23)) \($0.summary)" }.joined(separator: "\n"))

        Examples:
          otter-cert demo
          otter-cert demo --type pos --fault skip-callback --report-dir /tmp/demo
          otter-cert demo --type orders --live-view 127.0.0.1:0   # prints "Live view: http://127.0.0.1:PORT/"
        """,
        options: [OptionSpec(name: "type", short: "t", valueName: "type", help: "Integration type to certify.",
                             defaultValue: "delivery", allowed: IntegrationType.allCases.map(\.rawValue)),
                  OptionSpec(name: "fault", valueName: "name", help: "Make the sample partner misbehave this way (the faults are listed above).",
                             allowed: SamplePartner.faults.map(\.name)),
                  OptionSpec(name: "report-dir", valueName: "dir", help: "Where the log and reports go: DIR/TYPE/attempt-N, a new folder each run (DIR/TYPE/latest links to the newest).", defaultValue: "otter-cert-demo"),
                  OptionSpec(name: "only", valueName: "ids", help: "Run only these records, comma-separated."),
                  RunCommand.parallelOption,
                  OptionSpec(name: "timeout-scale", valueName: "x", help: "Multiply every deadline and window.", defaultValue: "1"),
                  OptionSpec(name: "token-ttl", valueName: "seconds", help: "Lifetime of the sandbox's access tokens (30 days by default; 5 shows the partner refreshing them).",
                             defaultValue: String(SandboxConfiguration.specTokenTTL)),
                  .flag("quiet", short: "q", help: "No live progress; print only the summary.")] + LiveViewOptions.options,
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let type = IntegrationType(rawValue: c.args.value("type") ?? "delivery") ?? .delivery
        let secret = "demo-webhook-secret", clientId = "demo-client", clientSecret = "demo-client-secret"
        let port = try freeLoopbackPort()
        let partner = try SamplePartnerProcess(type: type.rawValue, otterURL: "http://127.0.0.1:\(port)", webhookSecret: secret,
                                               clientId: clientId, clientSecret: clientSecret, fault: c.args.value("fault"))
        defer { ShutdownWatchdog.entering("stopping the sample partner"); partner.stop(); ShutdownWatchdog.entering("exiting") }
        var o = RunOptions(type: type, partnerURL: partner.webhookURL, webhookSecret: secret, clientId: clientId,
                           clientSecret: clientSecret, storeId: "demo-store-001")
        o.sandboxPort = port
        o.demo = true
        o.actionHook = partner.actionHook
        o.reportDir = URL(fileURLWithPath: c.args.value("report-dir") ?? "otter-cert-demo").appendingPathComponent(type.rawValue).path
        o.only = RunCommand.onlyIDs(c.args)
        o.parallel = try RunCommand.parallel(c.args)
        o.timeoutScale = try RunCommand.timeoutScale(c.args)
        o.tokenTTL = try RunCommand.tokenTTL(c.args)
        let folderLock = try AttemptFolders.lock(o.reportDir!)
        (o.reportDir, o.attempt) = try AttemptFolders.next(in: o.reportDir!)
        let fault = c.args.value("fault").map { " (fault: \($0))" } ?? ""
        return try withExtendedLifetime(folderLock) {
            try RunCommand.execute(o, c, banner: "otter-cert demo · \(type.rawValue) · sample partner\(fault) at \(partner.webhookURL) · sandbox http://127.0.0.1:\(port)")
        }
    }
}
