import Foundation
import OtterCore
import OtterHarness
#if canImport(Glibc)
import Glibc
#endif

/// `otter-cert run`: replay a checklist against a partner's live sandbox.
enum RunCommand {
    static let options: [OptionSpec] = [
        OtterCert.typeOption,
        OptionSpec(name: "partner-url", valueName: "url", help: "The partner's webhook URL (where Otter's webhooks go); credentials in it (user:pw@, ?token=) are masked wherever it is shown.", required: true),
        OptionSpec(name: "webhook-secret", valueName: "secret", help: "Secret the webhooks are signed with.",
                   required: true, env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
        OptionSpec(name: "client-id", valueName: "id", help: "OAuth client id the partner uses against the sandbox.",
                   required: true, env: "OTTER_CERT_CLIENT_ID"),
        OptionSpec(name: "client-secret", valueName: "secret", help: "OAuth client secret the partner uses against the sandbox.",
                   required: true, env: "OTTER_CERT_CLIENT_SECRET", secret: true),
        OptionSpec(name: "store-id", valueName: "id", help: "Store id (X-Store-Id) of the test store.", defaultValue: "otter-cert-store"),
        OptionSpec(name: "sandbox-listen", valueName: "host:port",
                   help: "Where the embedded Otter sandbox listens; point the partner's Otter base URL at it (port 0: any free port).",
                   required: true),
        OptionSpec(name: "report-dir", valueName: "dir", help: "Write each attempt into a new folder here, DIR/attempt-N (DIR/latest links to the newest): events.jsonl as it happens, then report.html, report.md, report.json, junit.xml, report.tap."),
        OptionSpec(name: "only", valueName: "ids", help: "Run only these records, comma-separated (DEL-04,DEL-05)."),
        RunCommand.parallelOption,
        OptionSpec(name: "rerun-failed", valueName: "report.json", help: "Run only the records that failed or were skipped in this earlier report."),
        OptionSpec(name: "action-hook", valueName: "command",
                   help: "Command that performs partner actions (gets OTTER_CERT_ACTION, OTTER_CERT_VARS …; see docs/run.md)."),
        OptionSpec(name: "timeout-scale", valueName: "x", help: "Multiply every deadline and window (2 for a slow sandbox).", defaultValue: "1"),
        OptionSpec(name: "signature-encoding", valueName: "enc", help: "Encoding of X-HMAC-SHA256.", defaultValue: "base64", allowed: ["base64", "hex"]),
        OptionSpec(name: "webhook-auth", valueName: "mode",
                   help: "Webhook authentication: the X-HMAC-SHA256 header alone (hmac), or with Basic, Bearer or the legacy HMAC-SHA1 (Authorization: MAC …) as well.",
                   defaultValue: "hmac", allowed: ["hmac", "basic", "bearer", "hmac-sha1"]),
        OptionSpec(name: "rate-limits", valueName: "mode", help: "Sandbox rate limits: otter (documented), off, or xN to scale them.", defaultValue: "otter"),
        OptionSpec(name: "token-ttl", valueName: "seconds",
                   help: "Lifetime of the sandbox's access tokens (the spec's 30 days by default); a short one makes tokens expire during the run, so the partner must fetch a new one and retry.",
                   defaultValue: String(SandboxConfiguration.specTokenTTL)),
        OptionSpec(name: "cacert", valueName: "file", help: "CA bundle to verify the partner's TLS certificate with."),
        .flag("insecure", help: "Do not verify the partner's TLS certificate (said in every report and the summary; such a run is NOT CERTIFIED, exit 1)."),
        .flag("allow-insecure-certification", help: "With --insecure: let the run certify all the same (every report still says TLS was not verified)."),
        OptionSpec(name: "checklist", valueName: "file", help: "Use this checklist file instead of the bundled one."),
        OptionSpec(name: "openapi", valueName: "file",
                   help: "Serve and judge by this OpenAPI description (JSON) instead of the bundled one (see docs/openapi.md)."),
        .flag("quiet", short: "q", help: "No live progress; print only the summary."),
    ] + LiveViewOptions.options

    /// `--parallel N`, shared with `demo`.
    static let parallelOption = OptionSpec(
        name: "parallel", valueName: "n",
        help: "Run up to N records side by side (1: one after another). Records marked exclusive in the "
            + "checklist (a store-wide pause) still run alone, and with an operator instead of --action-hook the records "
            + "with partner actions run one at a time. Each exchange is told apart by its eventId and resource ids, the "
            + "sandbox's rate limits are counted per resource as ever, and the verdicts are those of --parallel 1, with the "
            + "records in checklist order on the terminal and in the report.",
        defaultValue: String(RunOptions.defaultParallel))

    /// `--parallel`, checked.
    static func parallel(_ a: ParsedArguments) throws -> Int {
        guard let text = a.value("parallel") else { return RunOptions.defaultParallel }
        guard let n = Int(text), n >= 1 else {
            throw HarnessError.input("--parallel must be a whole number of records, 1 or more, got '\(text)'")
        }
        return n
    }

    static let spec = CommandSpec(
        name: "run", abstract: "Replay a checklist against a partner's live sandbox: send signed webhooks, emulate the Otter API.",
        discussion: """
        otter-cert plays Otter: for each record it sends the webhook to --partner-url (signed with X-HMAC-SHA256),
        serves the Public API the partner calls back on --sandbox-listen (token, callbacks, orders, menus), and waits,
        event-driven, until the record's expectations are met or its deadline passes. Every exchange is appended to
        DIR/events.jsonl as it happens; the verdict is computed from that log, so `otter-cert observe` on it agrees.

        Partner actions (confirm an order, create an order, move the courier): with --action-hook the command is run
        with OTTER_CERT_ACTION, OTTER_CERT_RECORD, OTTER_CERT_STORE_ID, OTTER_CERT_SANDBOX_URL and OTTER_CERT_VARS (JSON,
        also on stdin); on a terminal without a hook you are told what to do; otherwise the record is skipped.

        Exit codes: 0 certified, 1 not certified, 2 usage or input error, 3 environment error (port in use, libcurl,
        or a record the harness could not run, such as a webhook fixture unreadable when due: that record fails as a
        harness error and the report is written), 130 interrupted (Ctrl-C, SIGTERM or SIGHUP: transfers and action
        hooks in flight are stopped, the log is flushed and the report of what ran is written).

        Examples:
          export OTTER_CERT_WEBHOOK_SECRET=… OTTER_CERT_CLIENT_ID=… OTTER_CERT_CLIENT_SECRET=…
          otter-cert run --type delivery --partner-url https://partner.example/otter/webhook \\
              --sandbox-listen 127.0.0.1:8089 --report-dir out --action-hook ./perform-action.sh
          otter-cert run --type delivery … --rerun-failed out/latest/report.json --report-dir out
          otter-cert run --type pos … --report-dir out --live-view 127.0.0.1:8090   # then open http://127.0.0.1:8090/

        Secrets never reach the log, a report or the terminal: the webhook secret, the client id and secret, the
        credentials in --partner-url and every token the sandbox issues are masked by value wherever they appear
        (base64, hex and percent-encoded forms too), and credentials by name (docs/event-log.md, "Secrets").

        Each run writes into a new attempt folder under --report-dir (out/attempt-1/, out/attempt-2/ …, and
        out/latest, a link to the newest): nothing an earlier attempt wrote is ever overwritten.
        """,
        options: options, arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let a = c.args
        var o = RunOptions(type: try c.type(), partnerURL: a.value("partner-url") ?? "", webhookSecret: a.value("webhook-secret") ?? "",
                           clientId: a.value("client-id") ?? "", clientSecret: a.value("client-secret") ?? "",
                           storeId: a.value("store-id") ?? "otter-cert-store")
        guard let url = URL(string: o.partnerURL), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw HarnessError.input("--partner-url must be an http:// or https:// URL, got '\(RunSecrets.redactor(for: o).url(o.partnerURL))'")
        }
        (o.sandboxHost, o.sandboxPort) = try hostPort(a.value("sandbox-listen") ?? "")
        o.sandboxListen = a.value("sandbox-listen")
        o.reportDir = a.value("report-dir")
        o.checklistPath = a.value("checklist")
        o.openapiPath = a.value("openapi")
        o.only = onlyIDs(a)
        o.parallel = try parallel(a)
        if let prev = a.value("rerun-failed") {
            let report = try DataFiles.json(prev)
            let notPassed = (report["records"]?.arrayValue ?? []).filter { $0["status"]?.stringValue != "passed" }.compactMap { $0["id"]?.stringValue }
            if notPassed.isEmpty {
                c.out.line("Nothing to rerun: every record in \(prev) passed.")
                return OtterCert.Exit.ok
            }
            o.only = Set(notPassed).intersection(o.only ?? Set(notPassed))
            o.attempt = (report["run"]?["attempt"]?.intValue ?? 1) + 1
            o.previousReport = prev
            o.earlierVerdicts = ReportJSON.verdicts(from: report)
        }
        o.actionHook = a.value("action-hook")
        o.interactive = isTerminal(0) && isTerminal(1)
        o.timeoutScale = try timeoutScale(a)
        let encoding = WebhookAuth.SignatureEncoding(rawValue: a.value("signature-encoding") ?? "base64") ?? .base64
        switch a.value("webhook-auth") ?? "hmac" {
        case "basic": o.webhookAuth = .basic(user: o.clientId)
        case "bearer": o.webhookAuth = .bearer
        case "hmac-sha1": o.webhookAuth = .hmacSHA1
        default: o.webhookAuth = .hmac(encoding: encoding)
        }
        guard let limits = RateLimitMode(argument: a.value("rate-limits") ?? "otter") else {
            throw HarnessError.input("--rate-limits must be otter, off or xN (x2, x0.5), got '\(a.value("rate-limits") ?? "")'")
        }
        o.rateLimits = limits
        o.tokenTTL = try tokenTTL(a)
        o.caFile = a.value("cacert")
        o.insecure = a.flag("insecure")
        o.allowInsecureCertification = a.flag("allow-insecure-certification")
        if o.allowInsecureCertification && !o.insecure {
            throw HarnessError.input("--allow-insecure-certification only applies with --insecure")
        }
        // Mistakes in the TLS options are the operator's, and are said before anything is sent.
        if let ca = o.caFile {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: ca, isDirectory: &isDir), !isDir.boolValue,
                  FileManager.default.isReadableFile(atPath: ca) else {
                throw HarnessError.input("--cacert \(ca): no such readable file (give the PEM bundle of the CA that signed the partner's certificate)")
            }
            if url.scheme?.lowercased() != "https" {
                throw HarnessError.input("--cacert only applies to an https:// --partner-url; \(RunSecrets.redactor(for: o).url(o.partnerURL)) is plain http")
            }
        }
        if o.insecure, url.scheme?.lowercased() != "https" {
            throw HarnessError.input("--insecure only applies to an https:// --partner-url; \(RunSecrets.redactor(for: o).url(o.partnerURL)) is plain http, so there is no certificate to skip")
        }
        if o.insecure { c.err.line("otter-cert: WARNING: --insecure: the partner's TLS certificate is NOT verified; every report says so" + (o.allowInsecureCertification ? "." : ", and the run cannot certify (add --allow-insecure-certification to let it).")) }
        var folderLock: AttemptFolders.Lock?
        if let dir = o.reportDir {
            // The earlier report as the attempt it is (`latest` will soon point elsewhere), relative to the folder.
            if let prev = o.previousReport {
                let real = URL(fileURLWithPath: prev).resolvingSymlinksInPath().path
                let base = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path + "/"
                o.previousReport = real.hasPrefix(base) ? String(real.dropFirst(base.count)) : prev
            }
            folderLock = try AttemptFolders.lock(dir)
            (o.reportDir, o.attempt) = try AttemptFolders.next(in: dir, atLeast: o.attempt)
        }
        return try withExtendedLifetime(folderLock) { try execute(o, c) }
    }

    /// Runs with options, prints the verdicts and writes the reports; shared with `demo`.
    ///
    /// Everything it prints, and the message of any error it ends with, goes through the run's value redactor
    /// (the secrets of the options, every token the sandbox issues): no secret reaches the terminal.
    static func execute(_ o: RunOptions, _ c: Context, banner: String? = nil) throws -> Int32 {
        let redaction = LiveRedactor(RunSecrets.redactor(for: o))
        do {
            return try execute(o, c, banner: banner, redaction: redaction)
        } catch let e as HarnessError {
            switch e {
            case .input(let m): throw HarnessError.input(redaction.text(m))
            case .environment(let m): throw HarnessError.environment(redaction.text(m))
            }
        }
    }

    private static func execute(_ o: RunOptions, _ c: Context, banner: String?, redaction: LiveRedactor) throws -> Int32 {
        let quiet = c.args.flag("quiet")
        for w in RunSecrets.shortSecretWarnings(for: o) { c.err.line("otter-cert: warning: " + w) }
        // NO_COLOR takes the colour away, not the live line; a dumb terminal cannot redraw a line.
        let live = c.out.isTerminal && c.environment["TERM"] != "dumb"
        let printer = RunProgressPrinter(out: c.out, style: c.style, live: live, quiet: quiet,
                                         columns: { [environment = c.environment] in terminalColumns(1, environment: environment) },
                                         redact: redaction.text)
        let echo = live && !quiet ? TerminalEcho() : nil
        defer { echo?.restore() }
        let runner = Runner(options: o, files: try c.files(), progress: printer, redaction: redaction)
        // Ctrl-C (and a polite kill) ends the run cleanly: the log is flushed, the report of what ran written,
        // and `demo`'s sample partner stopped.
        // A closed terminal (SIGHUP) ends the run the same way: `demo`'s partner must not outlive it.
        let stopSignals = StopSignals(interrupting: runner.wakeup)
        defer { stopSignals.restore() }
        // The live view shows the run's live engine while it judges, then the report's verdicts.
        let holdLive = try LiveViewOptions.holdSeconds(c)
        let liveSource = ReportSource(log: o.reportDir.map { ReportWriter.logLabel(URL(fileURLWithPath: $0).appendingPathComponent("events.jsonl").path) } ?? "(in memory)",
                                      format: "jsonl")
        let liveView = try LiveViewOptions.start(c) { [weak runner] in
            runner?.liveSnapshot().map { ($0, liveSource) }
        }
        defer { liveView?.stop() }
        runner.onLogged = { [weak liveView] in liveView?.changed() }
        if !quiet {
            c.out.line(c.style.bold(redaction.text(banner ?? "otter-cert run · \(o.type.rawValue) · partner \(redaction.url(o.partnerURL))")))
        }
        let outcome = try runner.run()
        if !quiet { c.out.line("") }
        // The reports are written before the verdict is said: a verdict whose evidence could not be written
        // (a full disk) is never printed.
        var reportLine: String?
        if let dir = o.reportDir {
            let logPath = URL(fileURLWithPath: dir).appendingPathComponent("events.jsonl").path
            let files = try c.files()
            let checklist = try DataFiles.checklistLocation(o.checklistPath ?? files.checklist(o.type), files: files)
            let obs = try ReportWriter.withLogHash(
                Observer.Observation(result: outcome.result,
                                     source: ReportSource(log: ReportWriter.logLabel(logPath), format: "jsonl", checklistSHA256: outcome.checklistSHA256, checklist: checklist)),
                logPath: logPath)
            try ReportWriter.write(obs, to: dir, logPath: logPath)
            reportLine = redaction.text("Report: \(dir)/report.html (also report.md, report.json, junit.xml, report.tap) · log: \(logPath)")
            liveView?.finish(.final(outcome.result), source: obs.source)
        } else {
            liveView?.finish(.final(outcome.result), source: liveSource)
        }
        let code = outcome.interrupted ? OtterCert.Exit.interrupted
            : !outcome.harnessErrors.isEmpty ? OtterCert.Exit.environment
            : outcome.result.certified ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
        // Once the verdict is said, only the teardown is left: it may not keep the terminal (or a CI job) for ever.
        // (Armed after the lines are written: a slow reader of the output must not lose them.)
        func done() -> Int32 {
            ShutdownWatchdog.arm(exitCode: code) { [err = c.err] in err.line($0) }
            return code
        }
        c.out.line(redaction.text(VerdictText.summary(outcome.result, style: c.style)))
        if let reportLine { c.out.line(reportLine) }
        if !outcome.interrupted { LiveViewOptions.hold(liveView, seconds: holdLive) { runner.wakeup.interrupted } }
        if outcome.interrupted {
            c.err.line("otter-cert: interrupted after \(outcome.ran.count) record(s); the log and the report hold what ran.")
            return done()
        }
        if !outcome.harnessErrors.isEmpty {
            // The harness, not the partner, failed these records: the run says so, and CI sees an environment error.
            for e in outcome.harnessErrors { c.err.line("otter-cert: error: harness error in \(e)") }
            c.err.line("otter-cert: \(outcome.harnessErrors.count) record(s) could not be run; fix the cause and rerun them (--rerun-failed).")
            return done()
        }
        ShutdownWatchdog.entering("restoring the terminal")
        return done()
    }

    /// `--only DEL-01,DEL-04` as a set of ids (nil when not given).
    static func onlyIDs(_ a: ParsedArguments, option: String = "only") -> Set<String>? {
        a.value(option).map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }
    }

    /// `--token-ttl`, checked.
    static func tokenTTL(_ a: ParsedArguments) throws -> Int {
        guard let ttl = Int(a.value("token-ttl") ?? ""), ttl >= 1 else {
            throw HarnessError.input("--token-ttl must be a whole number of seconds, at least 1, got '\(a.value("token-ttl") ?? "")'")
        }
        return ttl
    }

    /// `--timeout-scale`, checked.
    static func timeoutScale(_ a: ParsedArguments) throws -> Double {
        guard let scale = try a.double("timeout-scale"), scale > 0, scale <= 100 else {
            throw HarnessError.input("--timeout-scale must be a number above 0 (and at most 100)")
        }
        return scale
    }

    static func hostPort(_ s: String, option: String = "--sandbox-listen") throws(HarnessError) -> (String, Int) {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw .input("\(option) must be HOST:PORT (127.0.0.1:8089, or port 0 for any free port), got '\(s)'")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    static func makeDirectory(_ dir: String) throws(HarnessError) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create \(dir): \(error.localizedDescription)")
        }
    }
}
