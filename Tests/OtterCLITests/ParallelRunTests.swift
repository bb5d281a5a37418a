import XCTest
import OtterCore
import TestSupport

/// `run --parallel`: records side by side give the verdicts of records one after another, record by record, check by
/// check, and the report lists them in checklist order.
extension RunEndToEndTests {
    /// One record of a report, as a user compares two reports: its id, status, and each check's label and status, with
    /// the reason's run-specific values (ids, times, durations) taken out.
    struct RecordOutcome: Equatable, CustomStringConvertible {
        var id: String
        var status: String
        var reason: String
        var checks: [String]
        var description: String { "\(id) \(status): \(reason) [\(checks.joined(separator: "; "))]" }
    }

    static func outcomes(_ reportDir: String) throws -> [RecordOutcome] {
        let data = try Data(contentsOf: URL(fileURLWithPath: reportDir + "/report.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["records"] as! [[String: Any]]).map { r in
            let checks = (r["checks"] as? [[String: Any]] ?? []).map { c in "\(c["label"] ?? "") \(c["status"] ?? "")" }
            return RecordOutcome(id: r["id"] as! String, status: r["status"] as! String, reason: neutral(r["reason"] as? String ?? ""),
                                 checks: checks.map(neutral))
        }
    }

    /// A reason without what differs from run to run: uuids, numbers (ms, s, counts of retries are kept as words).
    static func neutral(_ s: String) -> String {
        var t = s.replacingOccurrences(of: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", with: "<id>", options: .regularExpression)
        t = t.replacingOccurrences(of: "[0-9]+(\\.[0-9]+)?", with: "#", options: .regularExpression)
        return t
    }

    /// Whether two records of the log ran at the same time: each record's span is from its first line's start to its
    /// `end` line (times, not line order: a quick record may log all its lines before a slow one logs its first).
    static func recordsOverlapped(_ reportDir: String) throws -> Bool {
        let spans = try timeSpans(reportDir).map { ($0.key, $0.value.start, $0.value.end) }
        return spans.contains { a in spans.contains { b in a.0 != b.0 && a.1 < b.2 && b.1 < a.2 } }
    }

    /// Each record's first logged exchange and its end line, in log time.
    static func timeSpans(_ reportDir: String) throws -> [String: (start: Double, end: Double)] {
        func time(_ s: Any?) -> Double? { (s as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0)?.timeIntervalSince1970 } }
        var start: [String: Double] = [:], end: [String: Double] = [:]
        for line in try String(contentsOfFile: reportDir + "/events.jsonl", encoding: .utf8).split(separator: "\n") {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let r = o["record"] as? String,
                  let t = time(o["startedAt"]) else { continue }
            if o["kind"] as? String == "end" { end[r] = t } else { start[r] = min(start[r] ?? t, t) }
        }
        var spans: [String: (start: Double, end: Double)] = [:]
        for (r, s) in start { if let e = end[r] { spans[r] = (s, e) } }
        return spans
    }

    func testEveryTypeGivesTheSameVerdictsSideBySideAsOneAfterAnother() throws {
        let cases: [(type: String, fault: String?)] = [
            ("delivery", nil), ("pos", nil), ("orders", nil),
            ("delivery", "no-retry"), ("delivery", "statuses-out-of-order"), ("delivery", "duplicate-side-effects"),
            ("delivery", "ignore-retry-after"), ("pos", "no-error-callback"), ("orders", "bad-totals"),
        ]
        let runs = cases.flatMap { c in [(c.type, c.fault, "1"), (c.type, c.fault, "default")] }
        concurrently(runs, width: 6) { (type, fault, parallel) in
            let dir = self.tmp.appendingPathComponent("par-\(type)-\(fault ?? "none")-\(parallel)").path
            var args = ["demo", "--type", type, "--report-dir", dir, "--quiet"]
            if let fault { args += ["--fault", fault] }
            if parallel != "default" { args += ["--parallel", parallel] }
            let r = try runProcess(Repo.binary, args, environment: self.env(), timeout: 300)
            XCTAssertTrue([0, 1].contains(r.status), "\(args): \(r.stdout) \(r.stderr)")
        }
        for c in cases {
            let label = "\(c.type) \(c.fault ?? "(no fault)")"
            let one = self.tmp.appendingPathComponent("par-\(c.type)-\(c.fault ?? "none")-1").path + "/\(c.type)/latest"
            let all = self.tmp.appendingPathComponent("par-\(c.type)-\(c.fault ?? "none")-default").path + "/\(c.type)/latest"
            let a = try Self.outcomes(one), b = try Self.outcomes(all)
            // The report lists the records in checklist order, whatever ran first.
            let order = try Repo.checklist(IntegrationType(rawValue: c.type)!).records.map(\.id)
            XCTAssertEqual(b.map(\.id), order, "\(label): the report of the parallel run is in checklist order")
            XCTAssertEqual(a.map(\.id), b.map(\.id), label)
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, "\(label): --parallel 1 and the default disagree on \(x.id)") }
            if c.fault == nil { XCTAssertTrue(b.allSatisfy { $0.status == "passed" }, "\(label): \(b.filter { $0.status != "passed" })") }
            else { XCTAssertTrue(b.contains { $0.status != "passed" }, "\(label): the fault fails some record") }
            XCTAssertTrue(try Self.recordsOverlapped(all), "\(label): by default records run side by side")
            XCTAssertFalse(try Self.recordsOverlapped(one), "\(label): --parallel 1 runs one record after another")
            try self.assertUntaggedLogAgrees(all, type: c.type, label: "\(label) in parallel", asCaptured: true)
            try self.assertUntaggedLogAgrees(one, type: c.type, label: "\(label) one after another")
            // Side by side, a record can end seconds after it was settled (the engine waits for every exchange in
            // flight, any record's): that is held to the 1 s bound one after another only.
            try self.assertRecordsEndedWhenSettled(one, label: "\(label) one after another")
        }
    }

    func testAnExclusiveRecordRunsAlone() throws {
        let dir = tmp.appendingPathComponent("exclusive").path
        let r = try runProcess(Repo.binary, ["demo", "--type", "orders", "--only", "ORD-08,ORD-09,ORD-13,ORD-14", "--report-dir", dir, "--quiet"],
                               environment: env(), timeout: 120)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)   // a partial run (4 of 21) is not a certification
        let log = try String(contentsOfFile: dir + "/orders/latest/events.jsonl", encoding: .utf8).split(separator: "\n")
        var spans: [String: (first: Int, end: Int)] = [:]
        for (i, line) in log.enumerated() {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = o["record"] as? String else { continue }
            var s = spans[id] ?? (i, i)
            if o["kind"] as? String == "end" { s.end = i }
            spans[id] = s
        }
        guard let pause = spans["ORD-09"] else { return XCTFail("ORD-09 did not run: \(r.stdout)") }
        for id in ["ORD-08", "ORD-13", "ORD-14"] {
            guard let other = spans[id] else { XCTFail("\(id) did not run"); continue }
            XCTAssertTrue(other.end < pause.first || other.first > pause.end,
                          "\(id) (lines \(other.first)–\(other.end)) ran while the store-wide ORD-09 (lines \(pause.first)–\(pause.end)) ran")
        }
        // The records after it ran side by side: ORD-14 (after ORD-13 in the checklist) did not wait for ORD-13, whose
        // 3 s duplicate window keeps it open. (ORD-14 takes some 10 ms: it may well be over before ORD-13's first
        // exchange is, which is why this is not a check that their logged spans overlap.)
        let t = try Self.timeSpans(dir + "/orders/latest")
        let (s13, s14) = (try XCTUnwrap(t["ORD-13"]), try XCTUnwrap(t["ORD-14"]))
        XCTAssertLessThan(s14.start, s13.end, "ORD-14 started \(s14.start - s13.end) s after ORD-13 ended")
        XCTAssertGreaterThan(s13.end - s13.start, 2.5, "ORD-13 holds its 3 s duplicate window")
        XCTAssertEqual(try Self.outcomes(dir + "/orders/latest").filter { ["ORD-08", "ORD-09", "ORD-13", "ORD-14"].contains($0.id) }.map(\.status),
                       ["passed", "passed", "passed", "passed"])
    }

    func testParallelMustBeAWholeNumber() throws {
        for bad in ["0", "two", "1.5"] {
            let r = try runProcess(Repo.binary, ["demo", "--parallel", bad, "--report-dir", tmp.path], environment: env(), timeout: 30)
            XCTAssertEqual(r.status, 2, "--parallel \(bad): \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("--parallel must be a whole number of records, 1 or more, got '\(bad)'"), r.stderr)
        }
    }
}
