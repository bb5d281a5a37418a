import Foundation
import OtterCore
import OtterHarness

/// `otter-cert verify`: check that a report.json belongs to an event log and still says what the log shows.
enum VerifyCommand {
    static let spec = CommandSpec(
        name: "verify", abstract: "Check a report.json against its event log: the log's SHA-256 and every verdict.",
        discussion: """
        Recomputes the SHA-256 of the log and compares it with the report's source.sha256, then evaluates the log
        again and compares each record's status and reason with the report's. Prints what matched and what did not.

        Exit codes: 0 everything matches, 1 mismatch, 2 usage or input error (unreadable report or log).

        Example:
          otter-cert verify run/report.json run/events.jsonl
        """,
        options: [
            OptionSpec(name: "checklist", valueName: "file", help: "Use this checklist file instead of the bundled one."),
            OptionSpec(name: "webhook-secret", valueName: "secret",
                       help: "Webhook secret, when the report was made with one.", env: "OTTER_CERT_WEBHOOK_SECRET", secret: true),
        ],
        arguments: [ArgumentSpec(name: "report", help: "The report.json to check."),
                    ArgumentSpec(name: "log", help: "The event log (.jsonl) or HAR capture (.har) it was made from.")],
        subcommands: [])

    static func evaluate(_ c: Context, type: IntegrationType, logPath: String, leniency: Leniency) -> Result<Observer.Observation, HarnessError> {
        do {
            return .success(try Observer(files: try c.files()).observe(type: type, checklistPath: c.args.value("checklist"), logPath: logPath,
                                                                       leniency: leniency, webhookSecret: c.args.value("webhook-secret")))
        } catch { return .failure(error) }
    }

    static func run(_ c: Context) throws -> Int32 {
        let reportPath = c.args.argument("report") ?? "", logPath = c.args.argument("log") ?? ""
        let report = try DataFiles.json(reportPath)
        guard let typeName = report["integrationType"]?.stringValue, let type = IntegrationType(rawValue: typeName),
              let records = report["records"]?.arrayValue else {
            throw HarnessError.input("\(reportPath): not an otter-cert report.json (no integrationType and records)")
        }
        guard let claimed = report["source"]?["sha256"]?.stringValue else {
            throw HarnessError.input("\(reportPath): the report holds no source.sha256; make it with `otter-cert report --format json` or `observe --report-dir`")
        }
        let actual = try ReportWriter.sha256(path: logPath)
        var ok = true
        if actual == claimed.lowercased() {
            c.out.line("match     log sha256 \(actual)")
        } else {
            ok = false
            c.out.line("MISMATCH  log sha256: report says \(claimed), \(logPath) is \(actual)")
        }
        // The log is read as the report read it: lines it skipped are skipped again, and ignored if it ignored them
        // (a report written before `unreadableLines` existed ignored them).
        let skipped = report["stats"]?["skippedLines"]?.intValue ?? 0
        let ignored = report["unreadableLines"]?["ignored"]?.boolValue ?? true
        let leniency: Leniency = skipped == 0 ? .strict : ignored ? .ignore : .lenient
        if skipped > 0 {
            c.out.line("note      the report skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s") of the log"
                       + (ignored ? " and ignored them (--lenient=ignore)" : " (--lenient): not certified"))
        }
        let evaluated = evaluate(c, type: type, logPath: logPath, leniency: leniency)
        guard case .success(let obs) = evaluated else {
            if case .failure(let e) = evaluated {
                if ok { throw e }
                c.out.line("MISMATCH  verdicts: the log cannot be evaluated any more: \(e.description)")
            }
            c.out.line("MISMATCH: \(reportPath) does not match \(logPath)")
            return OtterCert.Exit.notCertified
        }
        let r = obs.result
        if let rs = report["checklist"]?["sha256"]?.stringValue, let cs = obs.source.checklistSHA256 {
            if rs == cs { c.out.line("match     checklist \(type.rawValue) \(r.checklistVersion) sha256 \(cs)") } else {
                c.out.line("note      checklist differs: report used sha256 \(rs), this check uses \(cs) (\(r.checklistVersion))")
            }
        }
        var byId: [String: Verdict] = [:]
        for v in r.verdicts { byId[v.id] = v }
        var same = 0
        var seen = Set<String>()
        for rec in records {
            let id = rec["id"]?.stringValue ?? "?"
            seen.insert(id)
            let status = rec["status"]?.stringValue ?? "?", reason = rec["reason"]?.stringValue ?? ""
            guard let v = byId[id] else {
                ok = false; c.out.line("MISMATCH  \(id): in the report, not in the checklist"); continue
            }
            if v.status.rawValue == status && v.reason == reason { same += 1; continue }
            ok = false
            c.out.line("MISMATCH  \(id): report says \(status) (\(reason)); the log gives \(v.status.rawValue) (\(v.reason))")
        }
        for v in r.verdicts where !seen.contains(v.id) {
            ok = false; c.out.line("MISMATCH  \(v.id): in the checklist, missing from the report")
        }
        if report["certified"]?.boolValue != r.certified {
            ok = false; c.out.line("MISMATCH  certified: report says \(report["certified"]?.boolValue ?? false), the log gives \(r.certified)")
        }
        c.out.line("\(same == records.count && same == r.verdicts.count ? "match" : "MISMATCH")\(same == records.count && same == r.verdicts.count ? "    " : "") \(same) of \(r.verdicts.count) verdicts identical (\(r.certified ? "CERTIFIED" : "NOT CERTIFIED"))")
        c.out.line(ok ? "OK: \(reportPath) matches \(logPath)" : "MISMATCH: \(reportPath) does not match \(logPath)")
        return ok ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }
}
