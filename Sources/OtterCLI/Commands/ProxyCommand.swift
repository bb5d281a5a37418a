import Foundation
import OtterCore
import OtterHarness

/// `otter-cert proxy`: certify against Otter's real sandbox as the traffic flows.
enum ProxyCommand {
    static let spec = CommandSpec(
        name: "proxy",
        abstract: "Stand between a partner and Otter's real sandbox, in both directions, and certify the traffic as it flows.",
        discussion: """
        For the certification call itself, when the partner talks to Otter's own sandbox. Point the partner's Otter
        base URL at --listen-api, and Otter's webhook URL for the partner at --listen-webhooks. Each call the partner
        makes is forwarded to --otter-url, each webhook Otter sends to --partner-url, over libcurl (TLS verified;
        --cacert for a private CA), and every answer comes back as it was given: the proxy alters no traffic (--inject aside, below).

        Every exchange of both directions is appended to DIR/attempt-N/events.jsonl as it happens, with the same
        redaction as a run (tokens, secrets and credentials masked). The correlation engine judges the records as the
        traffic arrives, from its content alone (eventIds, resource ids). Each exchange is also checked against the
        OpenAPI description, request and answer, and a departure is reported with the side named: one on Otter's side
        (a webhook or an answer not as the spec says) is a finding about Otter, not the partner's failure.

        The session ends on Ctrl-C, or with --until-settled once every record the traffic reached has settled and
        nothing is left to bind (untagged traffic is bound after 90 s without a related exchange). It then writes the
        same reports as `run` and `observe`: report.html, report.md, report.json, junit.xml, report.tap. Records that
        need an injected fault (a 429 or 5xx Otter must answer) are skipped as "needs otter-cert run" unless the traffic
        holds such an answer, or --inject names them: the proxy then answers a call their fault matches itself, once
        per record (the first such call of a webhook bound to that record, or to none yet; its retries go through),
        logs it with the tag injected-fault, and does not forward it.

        An upstream that cannot be reached answers the caller 502 (refused, DNS, TLS) or 504 (no answer within
        --upstream-timeout), with the libcurl error in the log. The webhook listener speaks plain HTTP: put it behind a
        TLS-terminating tunnel for Otter to reach it (docs/proxy.md).

        Exit codes: 0 certified, 1 not certified, 2 usage or input error, 3 environment error (a port in use).

        Examples:
          export OTTER_CERT_WEBHOOK_SECRET=… OTTER_CERT_CLIENT_ID=… OTTER_CERT_CLIENT_SECRET=…
          otter-cert proxy --type orders --otter-url https://sandbox.otter.example \\
              --partner-url https://partner.example/otter/webhook \\
              --listen-api 127.0.0.1:8090 --listen-webhooks 127.0.0.1:8091 --report-dir call-2026-12-03 \\
              --live-view 127.0.0.1:8092     # open it in a browser, and share the screen on the call
        """,
        options: [
            OtterCert.typeOption,
            OptionSpec(name: "otter-url", valueName: "url", help: "Otter's base URL (its sandbox): where the partner's calls go on to.", required: true),
            OptionSpec(name: "partner-url", valueName: "url", help: "The partner's webhook URL: where Otter's webhooks go on to.", required: true),
            OptionSpec(name: "listen-api", valueName: "host:port",
                       help: "Where the partner's calls come in: the partner's Otter base URL points here (port 0: any free port, printed).", required: true),
            OptionSpec(name: "listen-webhooks", valueName: "host:port",
                       help: "Where Otter's webhooks come in: Otter's webhook URL for the partner points here (port 0: any free port, printed).", required: true),
            OptionSpec(name: "report-dir", valueName: "dir",
                       help: "Write each session into a new folder here, DIR/attempt-N (DIR/latest links to the newest): events.jsonl as traffic flows, the reports at the end.",
                       defaultValue: "otter-cert-proxy"),
            .flag("until-settled", help: "End by itself once every record the traffic reached has settled, instead of on Ctrl-C."),
            OptionSpec(name: "webhook-secret", valueName: "secret",
                       help: "The webhook secret: masked in the log, and checks the signatures of the webhooks that pass.",
                       env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
            OptionSpec(name: "client-id", valueName: "id", help: "The partner's OAuth client id (masked with its secret).", env: "OTTER_CERT_CLIENT_ID"),
            OptionSpec(name: "client-secret", valueName: "secret", help: "The partner's OAuth client secret (masked in the log).",
                       env: "OTTER_CERT_CLIENT_SECRET", secret: true),
            OptionSpec(name: "cacert", valueName: "file", help: "CA bundle to verify the upstreams' TLS certificates with."),
            OptionSpec(name: "upstream-timeout", valueName: "seconds", help: "How long an upstream may take to answer before the caller gets 504.",
                       defaultValue: "30"),
            OptionSpec(name: "inject", valueName: "ids",
                       help: "Records whose injected fault the proxy gives in Otter's place, comma-separated (DEL-11,DEL-12): for each, one call its fault matches is answered with it (a 503, a 429 with Retry-After) and not forwarded; its retries and everything else pass unchanged."),
            OptionSpec(name: "checklist", valueName: "file", help: "Use this checklist file instead of the bundled one."),
            OptionSpec(name: "openapi", valueName: "file",
                       help: "Judge by this OpenAPI description (JSON) instead of the bundled one (see docs/openapi.md)."),
            .flag("quiet", short: "q", help: "Print only the summary."),
        ] + LiveViewOptions.options,
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let a = c.args
        var o = ProxyOptions(type: try c.type(), otterURL: a.value("otter-url") ?? "", partnerURL: a.value("partner-url") ?? "",
                             reportDir: a.value("report-dir") ?? "otter-cert-proxy")
        for (name, value) in [("--otter-url", o.otterURL), ("--partner-url", o.partnerURL)] {
            guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
                throw HarnessError.input("\(name) must be an http:// or https:// URL, got '\(Redactor(salt: "").url(value))'")
            }
        }
        (o.apiHost, o.apiPort) = try RunCommand.hostPort(a.value("listen-api") ?? "", option: "--listen-api")
        (o.webhookHost, o.webhookPort) = try RunCommand.hostPort(a.value("listen-webhooks") ?? "", option: "--listen-webhooks")
        if o.apiPort != 0 && o.apiPort == o.webhookPort && o.apiHost == o.webhookHost {
            throw HarnessError.input("--listen-api and --listen-webhooks must be two addresses (one for each direction), both are \(o.apiHost):\(o.apiPort)")
        }
        guard let timeout = try a.double("upstream-timeout"), timeout > 0, timeout <= 600 else {
            throw HarnessError.input("--upstream-timeout must be a number of seconds above 0 (and at most 600)")
        }
        o.upstreamTimeout = timeout
        o.webhookSecret = a.value("webhook-secret")
        o.clientId = a.value("client-id")
        o.clientSecret = a.value("client-secret")
        o.checklistPath = a.value("checklist")
        o.openapiPath = a.value("openapi")
        o.inject = RunCommand.onlyIDs(a, option: "inject").map { $0.sorted() } ?? []
        if let ca = a.value("cacert") {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw HarnessError.input("--cacert \(ca): no such readable file (give the PEM bundle of the CA that signed Otter's or the partner's certificate)")
            }
            o.caFile = ca
        }
        let folderLock = try AttemptFolders.lock(o.reportDir)
        (o.reportDir, _) = try AttemptFolders.next(in: o.reportDir)
        return try withExtendedLifetime(folderLock) { try session(o, c) }
    }

    private static func session(_ o: ProxyOptions, _ c: Context) throws -> Int32 {
        let quiet = c.args.flag("quiet")
        let holdLive = try LiveViewOptions.holdSeconds(c)
        let proxy = try Proxy(options: o, files: try c.files())
        try proxy.start()
        // The live view shows the records as the traffic settles them, then the report's verdicts.
        let liveSource = ReportSource(log: ReportWriter.logLabel(proxy.logPath), format: "jsonl")
        let liveView = try LiveViewOptions.start(c) { [weak proxy] in proxy.map { ($0.snapshot(), liveSource) } }
        defer { liveView?.stop() }
        proxy.onForwarded = { [weak liveView] in liveView?.changed() }
        // Ctrl-C (and a polite kill, or a closed terminal) is how a session ends: the reports are then written.
        let stopSignals = StopSignals(interrupting: proxy.stop)
        defer { stopSignals.restore() }
        let r = proxy.log.redaction
        // The addresses are said even with --quiet: the partner and Otter must be pointed at them.
        if !quiet { c.out.line(c.style.bold(r.text("otter-cert proxy · \(o.type.rawValue) · Otter \(r.url(o.otterURL)) · partner \(r.url(o.partnerURL))"))) }
        c.out.line("Partner → Otter: set the partner's Otter base URL to \(proxy.apiURL)")
        c.out.line("Otter → partner: set the partner's webhook URL at Otter to \(proxy.webhookURL)")
        if !quiet {
            c.out.line("Log: \(proxy.logPath) (appended as traffic flows). " + (c.args.flag("until-settled")
                ? "The session ends once every record has settled, or on Ctrl-C." : "Ctrl-C ends the session and writes the reports."))
        }
        let settled = proxy.wait(untilSettled: c.args.flag("until-settled"))
        if !quiet { c.out.line(settled ? "Every record has settled; the session ends." : "Stopped; the session ends.") }
        proxy.shutdown()
        let obs = try proxy.report()
        if quiet {
            c.out.line(VerdictText.summary(obs.result, style: c.style))
        } else {
            c.out.line(VerdictText.render(obs.result, style: c.style))
        }
        liveView?.finish(.final(obs.result), source: obs.source)
        c.out.line("Report: \(o.reportDir)/report.html (also report.md, report.json, junit.xml, report.tap) · log: \(proxy.logPath) · \(proxy.exchanges) exchange(s) forwarded")
        // The session is over (a first Ctrl-C may have ended it; the listeners are closed, so nothing else pokes):
        // the final view is held for --live-view-hold, or until the next Ctrl-C.
        let generation = proxy.stop.current
        LiveViewOptions.hold(liveView, seconds: holdLive) { proxy.stop.current != generation }
        return obs.result.certified ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }
}
