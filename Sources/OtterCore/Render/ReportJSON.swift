import Foundation

/// The harness's name and version, as written in reports and logs.
public enum Harness {
    /// Semantic version of otter-cert.
    public static let version = "0.1.0"
    /// `otter-cert 0.1.0`.
    public static let name = "otter-cert \(version)"
    /// The header of each webhook `run` sends that names its record (`DEL-04`), and the one that names its step: not
    /// Otter's API (a partner ignores them); in a capture without record tags they are the hint a tag would be.
    public static let recordHeader = "X-Otter-Cert-Record"
    public static let stepHeader = "X-Otter-Cert-Step"
}

/// Facts about where an evaluation came from, for the report.
public struct ReportSource: Sendable {
    /// The log or capture file.
    public var log: String
    /// `jsonl` or `har`.
    public var format: String
    /// SHA-256 of the checklist file.
    public var checklistSHA256: String?
    /// SHA-256 of the log file, when computed.
    public var logSHA256: String?
    /// The checklist file (relative to the data root) and the line of each record in it, for CI readers.
    public var checklist: ChecklistLocation?
    /// Creates a source.
    public init(log: String, format: String, checklistSHA256: String? = nil, logSHA256: String? = nil, checklist: ChecklistLocation? = nil) {
        self.log = log; self.format = format; self.checklistSHA256 = checklistSHA256; self.logSHA256 = logSHA256; self.checklist = checklist
    }
}

/// The machine-readable report (`report.json`): the stable minimum
/// `{certified, integrationType, records: [{id, title, required, status, reason}]}` and everything else the evaluation knows.
public enum ReportJSON {
    /// Version of the report format.
    public static let schemaVersion = 2

    /// Builds the report document. Deterministic: the same evaluation gives the same bytes.
    public static func make(_ r: EvaluationResult, source: ReportSource) -> JSONValue {
        var o = JSONObject()
        o["schemaVersion"] = .number(Double(schemaVersion))
        o["certified"] = .bool(r.certified)
        if r.partial || r.carried > 0 {
            var c = JSONObject([("judged", .number(Double(r.judged))), ("of", .number(Double(r.verdicts.count))),
                                ("fromEarlierAttempts", .number(Double(r.carried)))])
            if r.interrupted { c["interrupted"] = .bool(true) }
            o["coverage"] = .object(c)
        }
        if !r.blockers.isEmpty { o["blockers"] = .array(r.blockers.map { .string($0) }) }
        if let tls = ReportFormat.tlsNote(r) { o["tlsVerification"] = .string(tls) }
        if r.stats.skippedLines > 0 {
            o["unreadableLines"] = .object(JSONObject([("count", .number(Double(r.stats.skippedLines))), ("ignored", .bool(r.unreadableLinesIgnored)),
                                                       ("lines", .array(r.stats.skippedLineNumbers.map { .number(Double($0)) }))]))
        }
        o["integrationType"] = .string(r.integrationType.rawValue)
        o["harness"] = .string(Harness.name)
        var cl = JSONObject([("version", .string(r.checklistVersion))])
        if let s = ReportFormat.checklistSHA(r, source) { cl["sha256"] = .string(s) }
        if !r.policies.isEmpty { cl["policies"] = .array(r.policies.map(\.json)) }
        o["checklist"] = .object(cl)
        var src = JSONObject([("log", .string(source.log)), ("format", .string(source.format))])
        if let s = source.logSHA256 { src["sha256"] = .string(s) }
        o["source"] = .object(src)
        if let f = r.stats.firstAt { o["date"] = .string(Timestamp.format(f)) }
        if let run = r.run {
            var ro = JSONObject()
            if let v = run.partnerURL { ro["partnerUrl"] = .string(ReportMask.url(v)) }
            if let v = run.storeId { ro["storeId"] = .string(v) }
            if let v = run.harness { ro["harness"] = .string(v) }
            for (k, v) in run.extra { ro[k] = v }
            o["run"] = .object(ro)
        }
        o["counts"] = .object(JSONObject([("total", .number(Double(r.verdicts.count))), ("passed", .number(Double(r.count(.passed)))),
                                          ("failed", .number(Double(r.count(.failed)))), ("skipped", .number(Double(r.count(.skipped))))]))
        o["records"] = .array(r.verdicts.map { record($0, r) })
        if r.specChecked {
            o["specFindings"] = .object(JSONObject([
                ("count", .number(Double(r.specFindingCount))),
                ("findings", .array(r.specFindings.map { f in
                    .object(JSONObject([("side", .string(f.side.rawValue)), ("line", .number(Double(f.line))),
                                        ("exchange", .string(f.exchange)), ("problem", .string(f.problem))]))
                })),
            ]))
        }
        o["warnings"] = .array(r.warnings.map { .string($0) })
        o["unknownEventTypes"] = .array(r.unknownEventTypes.map { .object(JSONObject([("eventType", .string($0.eventType)), ("count", .number(Double($0.count)))])) })
        var stats = JSONObject([("entries", .number(Double(r.stats.entries))), ("webhooks", .number(Double(r.stats.webhooks))),
                                ("tokens", .number(Double(r.stats.tokens))), ("callbacks", .number(Double(r.stats.callbacks))),
                                ("actions", .number(Double(r.stats.actions))), ("skippedLines", .number(Double(r.stats.skippedLines))),
                                ("unclassified", .number(Double(r.stats.unclassified))),
                                ("unattributed", .number(Double(r.stats.unattributed)))])
        if let f = r.stats.firstAt { stats["firstAt"] = .string(Timestamp.format(f)) }
        if let l = r.stats.lastAt { stats["lastAt"] = .string(Timestamp.format(l)) }
        o["stats"] = .object(stats)
        return .object(o)
    }

    /// The verdicts of a `report.json` this module wrote, as a later attempt carries them forward: each one's id,
    /// title, required, rationale, status, reason and checks, and the attempt that judged it (its own `attempt`, or
    /// the report's `run.attempt`, else 1). Records it did not judge (`notRun`) are left out.
    public static func verdicts(from report: JSONValue) -> [Verdict] {
        let runAttempt = report["run"]?["attempt"]?.intValue ?? 1
        return (report["records"]?.arrayValue ?? []).compactMap { r in
            guard r["notRun"] == nil, let id = r["id"]?.stringValue, let status = r["status"]?.stringValue.flatMap(Verdict.Status.init(rawValue:))
            else { return nil }
            let checks = (r["checks"]?.arrayValue ?? []).compactMap { c -> CheckResult? in
                guard let label = c["label"]?.stringValue, let s = c["status"]?.stringValue.flatMap(Verdict.Status.init(rawValue:)) else { return nil }
                return CheckResult(label: label, status: s, reason: c["reason"]?.stringValue ?? "",
                                   expected: c["expected"]?.stringValue, seen: c["seen"]?.stringValue)
            }
            return Verdict(id: id, title: r["title"]?.stringValue ?? id, required: r["required"]?.boolValue ?? true,
                           rationale: r["rationale"]?.stringValue ?? "", status: status, reason: r["reason"]?.stringValue ?? "",
                           checks: checks, evidence: [], startedAt: nil, deadlines: [],
                           attempt: r["attempt"]?.intValue ?? runAttempt)
        }
    }

    static func record(_ v: Verdict, _ r: EvaluationResult) -> JSONValue {
        var o = JSONObject()
        o["id"] = .string(v.id)
        o["title"] = .string(v.title)
        o["required"] = .bool(v.required)
        o["status"] = .string(v.status.rawValue)
        o["reason"] = .string(v.reason)
        o["rationale"] = .string(v.rationale)
        if let a = v.attempt { o["attempt"] = .number(Double(a)) }
        if let n = v.notRun { o["notRun"] = .string(n.rawValue) }
        if let s = v.source { o["source"] = s.json }
        if let t = v.startedAt { o["startedAt"] = .string(Timestamp.format(t)) }
        o["checks"] = .array(v.checks.map { c in
            var co = JSONObject([("label", .string(c.label)), ("status", .string(c.status.rawValue)), ("reason", .string(c.reason))])
            if let e = c.expected { co["expected"] = .string(e) }
            if let s = c.seen { co["seen"] = .string(s) }
            if let s = c.source { co["source"] = s.json }
            if !c.fieldSources.isEmpty {
                co["fieldSources"] = .array(c.fieldSources.map { .object(JSONObject([("rule", .string($0.rule)), ("source", $0.source.json)])) })
            }
            return .object(co)
        })
        o["deadlines"] = .array(v.deadlines.map { .object(JSONObject([("label", .string($0.label)), ("at", .string(Timestamp.format($0.at)))])) })
        o["evidence"] = .array(v.evidence.map(evidence))
        var rep = JSONObject([("run", .string(Reproduce.run(type: r.integrationType.rawValue, recordId: v.id, run: r.run)))])
        rep["webhooks"] = .array(v.evidence.compactMap { e in
            Reproduce.curl(e.entry).map { .object(JSONObject([("seq", .number(Double(e.entry.seq))), ("role", .string(e.role.rawValue)), ("curl", .string($0))])) }
        })
        o["reproduce"] = .object(rep)
        return .object(o)
    }

    static func evidence(_ e: Evidence) -> JSONValue {
        var eo = JSONObject([("role", .string(e.role.rawValue)), ("note", .string(e.note)), ("seq", .number(Double(e.entry.seq))),
                             ("kind", .string(e.entry.kind.rawValue)), ("startedAt", .string(Timestamp.format(e.entry.startedAt))),
                             ("durationMs", .number((e.entry.durationMs * 1000).rounded() / 1000))])
        if let d = e.entry.direction { eo["direction"] = .string(d.rawValue) }
        if let a = e.entry.attempt { eo["attempt"] = .number(Double(a)) }
        if !e.entry.tags.isEmpty { eo["tags"] = .array(e.entry.tags.map { .string($0) }) }
        if let r = e.entry.request { eo["method"] = .string(r.method); eo["url"] = .string(ReportMask.url(r.url)) }
        if let s = e.entry.response?.status { eo["status"] = .number(Double(s)) }
        if let err = e.entry.error { eo["error"] = .string("\(err.kind): \(err.message)") }
        if let a = e.entry.action {
            var ao = JSONObject([("name", .string(a.name)), ("outcome", .string(a.outcome))])
            if let m = a.message { ao["message"] = .string(m) }
            eo["action"] = .object(ao)
        }
        if let r = e.entry.request { eo["request"] = message(r, request: true) }
        if let r = e.entry.response { eo["response"] = message(r, request: false) }
        return .object(eo)
    }

    /// A request or response with credentials masked.
    static func message(_ m: Message, request: Bool) -> JSONValue {
        var o = JSONObject()
        if request { o["method"] = .string(m.method); o["url"] = .string(ReportMask.url(m.url)) } else { o["status"] = .number(Double(m.status)) }
        o["headers"] = .array(ReportMask.headers(m.headers).map { .object(JSONObject([("name", .string($0.name)), ("value", .string($0.value))])) })
        o["body"] = .string(ReportMask.body(m.body))
        return .object(o)
    }
}
