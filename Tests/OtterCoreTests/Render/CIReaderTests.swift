import XCTest
@testable import OtterCore
import TestSupport

/// The JUnit and TAP reports as real CI readers see them: every junit.xml the renderer writes for the recorded runs
/// and their failing variants validates against the Jenkins xunit plugin's schema (xmllint) and reads, with
/// junitparser, red exactly when the run is not certified; every report.tap reads the same with tap.py and prove.
/// The tools come from .ci/install-junit-tools; missing, the tests skip locally and fail in CI.
final class CIReaderTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("otter-ci-readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// A tool, or a skip (a failure in CI) naming what installs it.
    func tool(_ found: String?, _ what: String) throws -> String {
        if let found { return found }
        if CIReaderTools.inCI { XCTFail("\(what) is missing; .ci/install-junit-tools installs it") }
        throw XCTSkip("\(what) is missing (.ci/install-junit-tools installs it)")
    }

    /// One evaluation to render, and what a reader must make of it.
    struct Run {
        var name: String
        var type: IntegrationType
        var result: EvaluationResult
    }

    /// The recorded passing runs, every failing case, and three made for the readers: a run whose only problems
    /// are required records never observed, and two whose failing records are made optional (one failed, one not
    /// observed), which are therefore certified.
    func runs(only: Set<String>? = nil) throws -> [Run] {
        var out: [Run] = []
        for type in IntegrationType.allCases {
            let base = try Repo.passingLog(type)
            if only?.contains("\(type.rawValue)-pass") ?? true {
                out.append(Run(name: "\(type.rawValue)-pass", type: type, result: try Repo.evaluate(type, lines: base)))
            }
            for path in try LogCase.all(type) {
                let c = try LogCase(path: path)
                guard only?.contains("\(type.rawValue)-\(c.name)") ?? true else { continue }
                out.append(Run(name: "\(type.rawValue)-\(c.name)", type: type, result: try Repo.evaluate(type, lines: try c.apply(to: base))))
            }
        }
        // The HAR captures of live runs, judged as `observe` judges them.
        for (name, type) in try Repo.liveCaptures() where only?.contains("live-\(name)") ?? true {
            out.append(Run(name: "live-\(name)", type: type, result: try Repo.observeCapture(name, type).result))
        }
        if only != nil { return out }
        let pos = try Repo.passingLog(.pos)
        let unobserved = pos.filter { !$0.contains("\"record\":\"POS-13\"") && !$0.contains("\"record\":\"POS-14\"") }
        let skippedOnly = try Repo.evaluate(.pos, lines: unobserved)
        XCTAssertEqual(skippedOnly.verdicts.filter { $0.status != .passed }.map { "\($0.id) \($0.status)" }, ["POS-13 skipped", "POS-14 skipped"])
        out.append(Run(name: "pos-required-not-observed", type: .pos, result: skippedOnly))
        var optionalSkipped = skippedOnly
        for i in optionalSkipped.verdicts.indices where optionalSkipped.verdicts[i].status != .passed { optionalSkipped.verdicts[i].required = false }
        out.append(Run(name: "pos-optional-not-observed", type: .pos, result: optionalSkipped))
        let menu = try LogCase(path: Repo.path("Fixtures/cases/pos/POS-10-empty-menu.json"))
        var optionalFailed = try Repo.evaluate(.pos, lines: try menu.apply(to: pos))
        for i in optionalFailed.verdicts.indices where optionalFailed.verdicts[i].status != .passed { optionalFailed.verdicts[i].required = false }
        out.append(Run(name: "pos-optional-failed", type: .pos, result: optionalFailed))
        return out
    }

    /// Writes each run's report in one format; returns run name → file.
    func write(_ runs: [Run], ext: String, _ render: (EvaluationResult, ReportSource) -> String) throws -> [String: String] {
        var files: [String: String] = [:]
        for run in runs {
            let path = work.appendingPathComponent("\(run.name).\(ext)").path
            try render(run.result, try Repo.reportSource(run.type, log: "Fixtures/logs/\(run.type.rawValue)/\(run.name).jsonl"))
                .write(toFile: path, atomically: true, encoding: .utf8)
            files[run.name] = path
        }
        return files
    }

    /// Reads files with Tests/Scripts/read-ci-reports.py.
    func read(_ kind: String, _ files: [String], python: String) throws -> [String: JSONValue] {
        let r = try runProcess(python, [Repo.path("Tests/Scripts/read-ci-reports.py"), kind] + files, timeout: 300)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONValue.parse(r.stdout).objectValue).reduce(into: [:]) { $0[$1.key] = $1.value }
    }

    /// The checklist's lines, to check a reference `checklists/pos.json:420` lands on the record's `"id"`.
    func checklistLines(_ type: IntegrationType) throws -> [String] {
        try String(contentsOfFile: Repo.path("checklists/\(type.rawValue).json"), encoding: .utf8).components(separatedBy: "\n")
    }

    func testJUnitValidatesAgainstTheXunitSchemaAndReadsRedExactlyWhenNotCertified() throws {
        let xmllint = try tool(CIReaderTools.onPath("xmllint"), "xmllint (Debian libxml2-utils)")
        let python = try tool(CIReaderTools.python(importing: ["junitparser"]), "junitparser in \(CIReaderTools.virtualenv)")
        let runs = try runs()
        let files = try write(runs, ext: "xml", ReportJUnit.render)
        XCTAssertGreaterThan(files.count, 50)

        let lint = try runProcess(xmllint, ["--noout", "--schema", CIReaderTools.junitXSD] + files.values.sorted(), timeout: 120)
        XCTAssertEqual(lint.status, 0, lint.stderr)
        for (name, path) in files { XCTAssertTrue(lint.stderr.contains("\(path) validates"), "\(name): \(lint.stderr)") }

        let seen = try read("junit", files.values.sorted(), python: python)
        for run in runs {
            let r = run.result
            let doc = try XCTUnwrap(seen[files[run.name]!], run.name)
            let suite = try XCTUnwrap(doc["suites"]?[0], run.name)
            let cases = try XCTUnwrap(suite["cases"]?.arrayValue, run.name)
            let red = cases.filter { $0["failure"]?.boolValue == true || $0["error"]?.boolValue == true }
            // What a CI gate does with it: red (junitparser verify exits 1) exactly when the run is not certified.
            XCTAssertEqual(doc["verify"]?.intValue, r.certified ? 0 : 1, run.name)
            if r.certified { XCTAssertEqual(red.count, 0, run.name) } else { XCTAssertGreaterThanOrEqual(red.count, 1, run.name) }
            XCTAssertEqual(red.count, r.verdicts.filter { $0.required && $0.status != .passed }.count, run.name)
            // The counts written agree with the counts junitparser makes from the test cases.
            for k in ["tests", "failures", "errors", "skipped"] {
                XCTAssertEqual(suite["written"]?[k]?.intValue, suite["counted"]?[k]?.intValue, "\(run.name) \(k)")
            }
            XCTAssertEqual(doc["root"]?["failures"]?.intValue, red.count, run.name)
            XCTAssertEqual(cases.count, r.verdicts.count, run.name)
            let lines = try checklistLines(run.type)
            for (v, c) in zip(r.verdicts, cases) {
                XCTAssertEqual(c["name"]?.stringValue, "\(v.id) \(v.title)", run.name)
                let results = c["results"]?.arrayValue ?? []
                switch (v.status, v.required) {
                case (.passed, _):
                    XCTAssertEqual(c["passed"]?.boolValue, true, "\(run.name) \(v.id)")
                case (.failed, true):
                    XCTAssertEqual(results.first?["kind"]?.stringValue, "failure", "\(run.name) \(v.id)")
                    XCTAssertEqual(results.first?["type"]?.stringValue, "required-failed")
                    XCTAssertEqual(results.first?["message"]?.stringValue, v.reason)
                case (.skipped, true):
                    XCTAssertEqual(results.first?["kind"]?.stringValue, "failure", "\(run.name) \(v.id): a required record not observed is red")
                    XCTAssertEqual(results.first?["type"]?.stringValue, "required-not-observed")
                    XCTAssertTrue(results.first?["message"]?.stringValue?.hasPrefix("required record not observed: ") == true)
                case (.failed, false):
                    XCTAssertEqual(results.first?["kind"]?.stringValue, "skipped", "\(run.name) \(v.id): an optional failure is not red")
                    XCTAssertTrue(results.first?["message"]?.stringValue?.hasPrefix("optional record failed: ") == true)
                case (.skipped, false):
                    XCTAssertEqual(results.first?["kind"]?.stringValue, "skipped", "\(run.name) \(v.id)")
                }
                if v.status != .passed {
                    // Skipped and failed both have a message and a text a reader acts on, with how to fix it.
                    let text = results.first?["text"]?.stringValue ?? ""
                    XCTAssertFalse(results.first?["message"]?.stringValue?.isEmpty ?? true, "\(run.name) \(v.id)")
                    XCTAssertTrue(text.contains("How to fix: " + v.rationale), "\(run.name) \(v.id): \(text)")
                    XCTAssertTrue(text.contains("otter-cert run --type '\(run.type.rawValue)' --only '\(v.id)'"), "\(run.name) \(v.id)")
                    // The reason once: no `Reason:` line when the first check that did not pass says it already.
                    if v.checks.contains(where: { "\($0.label): \($0.reason)" == v.reason }) {
                        XCTAssertFalse(text.contains("\nReason: "), "\(run.name) \(v.id): \(text)")
                    }
                }
                // Where the record is: its checklist, at the line of its "id".
                let out = c["system_out"]?.stringValue ?? ""
                let ref = try XCTUnwrap(out.split(separator: "\n").first.flatMap { $0.hasPrefix("Checklist: ") ? $0.dropFirst(11) : nil }, "\(run.name) \(v.id): \(out)")
                let parts = ref.split(separator: ":")
                XCTAssertEqual(parts.first.map(String.init), "checklists/\(run.type.rawValue).json")
                let line = try XCTUnwrap(parts.last.flatMap { Int($0) })
                XCTAssertTrue(lines[line - 1].contains("\"id\": \"\(v.id)\""), "\(run.name) \(v.id): line \(line) is «\(lines[line - 1])»")
                // Reasons are given once.
                for part in CIReaderTests.reasonParts(out) { XCTAssertEqual(out.components(separatedBy: part).count - 1, 1, "\(run.name) \(v.id) repeats «\(part)»") }
            }
        }
    }

    /// The `; `-separated parts of the outcome line of a test case's standard output.
    static func reasonParts(_ systemOut: String) -> [String] {
        guard let line = systemOut.split(separator: "\n").last, let colon = line.range(of: "): ") else { return [] }
        return line[colon.upperBound...].components(separatedBy: "; ").filter { $0.count > 12 }
    }

    func testJUnitTimesAreTheRecordsRealDurations() throws {
        let python = try tool(CIReaderTools.python(importing: ["junitparser"]), "junitparser in \(CIReaderTools.virtualenv)")
        let runs = try runs(only: ["pos-pass", "pos-POS-10-empty-menu", "delivery-DEL-05-no-accept", "live-pos--skip-callback"])
        XCTAssertEqual(runs.count, 4)
        let files = try write(runs, ext: "xml", ReportJUnit.render)
        let seen = try read("junit", files.values.sorted(), python: python)
        func time(_ run: String, _ id: String) throws -> Double {
            let cases = try XCTUnwrap(seen[files[run]!]?["suites"]?[0]?["cases"]?.arrayValue)
            return try XCTUnwrap(cases.first { $0["name"]?.stringValue?.hasPrefix(id + " ") == true }?["time"]?.doubleValue, "\(run) \(id)")
        }
        // The recorded pos run: POS-10's webhook at 10:00:13.490, its menus/current callback at 13.720 (2.4 ms).
        XCTAssertEqual(try time("pos-pass", "POS-10"), 0.232, accuracy: 0.0015)
        // POS-02 passes only once its 5 s quiet window is over: the run waited for it.
        XCTAssertEqual(try time("pos-pass", "POS-02"), 5.0, accuracy: 0.0015)
        // The menu sent is empty: no acceptable menus/current, so the run waited the 60 s it is due in.
        let menu = try XCTUnwrap(runs.first { $0.name == "pos-POS-10-empty-menu" }?.result.verdicts.first { $0.id == "POS-10" })
        XCTAssertEqual(menu.status, .failed)
        XCTAssertGreaterThan(try time("pos-POS-10-empty-menu", "POS-10"), 50)
        XCTAssertEqual(try time("pos-POS-10-empty-menu", "POS-10"), 60.0, accuracy: 0.0015)
        // The courier never accepts: DEL-05 waited until its accept was due.
        let del = try XCTUnwrap(runs.first { $0.name == "delivery-DEL-05-no-accept" }?.result.verdicts.first { $0.id == "DEL-05" })
        let due = try XCTUnwrap(del.deadlines.filter { $0.kind == .due }.map(\.at).max()) - (del.startedAt ?? 0)
        XCTAssertEqual(try time("delivery-DEL-05-no-accept", "DEL-05"), due, accuracy: 0.0015)
        XCTAssertGreaterThan(due, 5)
        // A live run (the sample partner never sends order-created, so no menu either): POS-10's webhook went out
        // at 00:36:10.378 and the run moved on to POS-11 at 00:37:10.680, after waiting the 60 s menus/current is
        // due in. Its capture says so.
        let live = try JSONValue.parse(try String(contentsOfFile: Repo.path("Fixtures/har/mitmproxy/pos--skip-callback/run-report.json"), encoding: .utf8))
        let started = Dictionary(uniqueKeysWithValues: (live["records"]?.arrayValue ?? []).compactMap { r in
            r["startedAt"]?.stringValue.flatMap(Timestamp.parse).map { (r["id"]?.stringValue ?? "", $0) } })
        let waited = try XCTUnwrap(started["POS-11"]) - XCTUnwrap(started["POS-10"])
        XCTAssertGreaterThan(waited, 60)
        let liveTime = try time("live-pos--skip-callback", "POS-10")
        XCTAssertGreaterThan(liveTime, 50)
        XCTAssertEqual(liveTime, 60, accuracy: 0.5)
        XCTAssertLessThanOrEqual(liveTime, waited)
        // POS-03 (its order-created never came either) waited 30 s, though the token call it cites came later.
        XCTAssertEqual(try time("live-pos--skip-callback", "POS-03"), 30, accuracy: 0.5)
        XCTAssertLessThanOrEqual(try time("live-pos--skip-callback", "POS-03"), try XCTUnwrap(started["POS-04"]) - XCTUnwrap(started["POS-03"]))
        // The suite's time spans the run, the last record's wait included.
        let suite = try XCTUnwrap(seen[files["pos-POS-10-empty-menu"]!]?["suites"]?[0]?["written"]?["time"]?.doubleValue)
        XCTAssertGreaterThanOrEqual(suite, 60)
    }

    func testTAPReadsRedExactlyWhenNotCertifiedWithTapPyAndProve() throws {
        let python = try tool(CIReaderTools.python(importing: ["tap", "yaml", "more_itertools"]), "tap.py with PyYAML in \(CIReaderTools.virtualenv)")
        let prove = try tool(CIReaderTools.onPath("prove"), "prove (Debian perl)")
        let runs = try runs()
        let files = try write(runs, ext: "tap", ReportTAP.render)
        let seen = try read("tap", files.values.sorted(), python: python)
        for run in runs {
            let r = run.result
            let doc = try XCTUnwrap(seen[files[run.name]!], run.name)
            XCTAssertEqual(doc["version"]?[0]?.intValue, 13, run.name)
            XCTAssertEqual(doc["plan"]?[0]?.intValue, r.verdicts.count, run.name)
            XCTAssertEqual(doc["unknownLines"]?.intValue, 0, run.name)
            XCTAssertEqual(doc["successful"]?.boolValue, r.certified, run.name)
            let points = try XCTUnwrap(doc["points"]?.arrayValue)
            XCTAssertEqual(points.count, r.verdicts.count)
            let lines = try checklistLines(run.type)
            for (i, (v, p)) in zip(r.verdicts, points).enumerated() {
                XCTAssertEqual(p["number"]?.intValue, i + 1)
                XCTAssertEqual(p["description"]?.stringValue, "- \(v.id) \(v.title)", run.name)
                XCTAssertEqual(p["ok"]?.boolValue, v.status == .passed || (!v.required && v.status == .skipped), "\(run.name) \(v.id)")
                XCTAssertEqual(p["todo"]?.boolValue, !v.required && v.status == .failed, "\(run.name) \(v.id)")
                XCTAssertEqual(p["skip"]?.boolValue, !v.required && v.status == .skipped, "\(run.name) \(v.id)")
                let yaml = try XCTUnwrap(p["yaml"]?.objectValue, "\(run.name) \(v.id): no YAML block")
                XCTAssertEqual(yaml["at"]?["file"]?.stringValue, "checklists/\(run.type.rawValue).json")
                let line = try XCTUnwrap(yaml["at"]?["line"]?.intValue)
                XCTAssertTrue(lines[line - 1].contains("\"id\": \"\(v.id)\""), "\(run.name) \(v.id)")
                XCTAssertEqual(yaml["status"]?.stringValue, v.status.rawValue)
                XCTAssertNotNil(yaml["duration_ms"]?.intValue)
                if v.status != .passed {
                    XCTAssertEqual(yaml["rationale"]?.stringValue, v.rationale)
                    XCTAssertTrue(yaml["details"]?.stringValue?.contains("How to fix: ") == true)
                }
            }
        }

        // prove, over all the files at once: its summary names exactly the files of runs not certified, each with
        // as many failed tests as required records not passed, and no parse error anywhere.
        let proved = try runProcess(prove, ["--exec", "cat"] + files.values.sorted(), timeout: 300)
        XCTAssertEqual(proved.status, 1, proved.stderr)
        XCTAssertFalse(proved.stdout.contains("Parse errors"), proved.stdout)
        XCTAssertTrue(proved.stdout.contains("Files=\(files.count), Tests=\(runs.map(\.result.verdicts.count).reduce(0, +)),"), proved.stdout)
        // Summary lines: `<file>   (Wstat: 0 Tests: 15 Failed: 2)`.
        var failedFiles: [String: String] = [:]
        for line in try XCTUnwrap(proved.stdout.components(separatedBy: "Test Summary Report").last).split(separator: "\n") {
            guard let paren = line.range(of: " (Wstat: ") else { continue }
            failedFiles[line[..<paren.lowerBound].trimmingCharacters(in: .whitespaces)] = String(line[paren.lowerBound...].dropFirst())
        }
        for run in runs {
            let red = run.result.verdicts.filter { $0.required && $0.status != .passed }.count
            XCTAssertEqual(failedFiles[files[run.name]!], run.result.certified ? nil : "(Wstat: 0 Tests: \(run.result.verdicts.count) Failed: \(red))", run.name)
        }
        XCTAssertEqual(failedFiles.count, runs.filter { !$0.result.certified }.count)
        // And one file at a time, prove's exit status is the verdict.
        for name in ["pos-pass", "pos-optional-failed", "pos-required-not-observed"] {
            let one = try runProcess(prove, ["--exec", "cat", files[name]!], timeout: 60)
            XCTAssertEqual(one.status, name == "pos-required-not-observed" ? 1 : 0, "\(name): \(one.stdout)")
        }
    }

    /// Lines skipped as unreadable are one more JUnit case and TAP point, red unless ignored, as the readers see them.
    func testUnreadableLinesAreOneMoreCaseRedUnlessIgnored() throws {
        let xmllint = try tool(CIReaderTools.onPath("xmllint"), "xmllint (Debian libxml2-utils)")
        let junitPython = try tool(CIReaderTools.python(importing: ["junitparser"]), "junitparser in \(CIReaderTools.virtualenv)")
        let tapPython = try tool(CIReaderTools.python(importing: ["tap", "yaml", "more_itertools"]), "tap.py with PyYAML in \(CIReaderTools.virtualenv)")
        let prove = try tool(CIReaderTools.onPath("prove"), "prove (Debian perl)")
        let (lines, n) = try Repo.deliveryLogWithDamagedDuplicate()
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        for (i, line) in lines.enumerated() {
            do { ev.consume(try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1)) } catch { ev.noteSkippedLine(i + 1) }
        }
        let skipped = ev.finish()
        var ignored = skipped
        ignored.unreadableLinesIgnored = true
        let runs = [Run(name: "unreadable", type: .delivery, result: skipped), Run(name: "unreadable-ignored", type: .delivery, result: ignored)]
        let xml = try write(runs, ext: "xml", ReportJUnit.render)
        let lint = try runProcess(xmllint, ["--noout", "--schema", CIReaderTools.junitXSD] + xml.values.sorted(), timeout: 60)
        XCTAssertEqual(lint.status, 0, lint.stderr)
        let junit = try read("junit", xml.values.sorted(), python: junitPython)
        for run in runs {
            let doc = try XCTUnwrap(junit[xml[run.name]!])
            XCTAssertEqual(doc["verify"]?.intValue, run.result.certified ? 0 : 1, run.name)
            let suite = try XCTUnwrap(doc["suites"]?[0])
            for k in ["tests", "failures", "errors", "skipped"] {
                XCTAssertEqual(suite["written"]?[k]?.intValue, suite["counted"]?[k]?.intValue, "\(run.name) \(k)")
            }
            let last = try XCTUnwrap(suite["cases"]?.arrayValue?.last)
            XCTAssertEqual(last["name"]?.stringValue, "log: 1 unreadable line")
            XCTAssertEqual(last["results"]?[0]?["kind"]?.stringValue, run.result.certified ? "skipped" : "failure", run.name)
            XCTAssertTrue(last["results"]?[0]?["message"]?.stringValue?.contains("(line \(n))") == true, run.name)
        }
        let tap = try write(runs, ext: "tap", ReportTAP.render)
        let seen = try read("tap", tap.values.sorted(), python: tapPython)
        for run in runs {
            let doc = try XCTUnwrap(seen[tap[run.name]!])
            XCTAssertEqual(doc["plan"]?[0]?.intValue, 13, run.name)
            XCTAssertEqual(doc["successful"]?.boolValue, run.result.certified, run.name)
            XCTAssertEqual(doc["points"]?.arrayValue?.last?["skip"]?.boolValue, run.result.certified, run.name)
            let proved = try runProcess(prove, ["--exec", "cat", tap[run.name]!], timeout: 60)
            XCTAssertEqual(proved.status, run.result.certified ? 0 : 1, "\(run.name): \(proved.stdout)")
        }
    }

    func testTAPEscapesHostileText() throws {
        let python = try tool(CIReaderTools.python(importing: ["tap", "yaml", "more_itertools"]), "tap.py with PyYAML in \(CIReaderTools.virtualenv)")
        let hostile = "x # SKIP y \\ \"q\" \n---\n...\n  key: [1\u{1}\u{85}\u{2028}"
        var r = try Repo.evaluate(.pos, lines: try Repo.passingLog(.pos))
        r.verdicts[0].title += hostile
        r.verdicts[0].status = .failed
        r.verdicts[0].reason = hostile
        r.verdicts[0].rationale = hostile
        let path = work.appendingPathComponent("hostile.tap").path
        try ReportTAP.render(r, source: try Repo.reportSource(.pos)).write(toFile: path, atomically: true, encoding: .utf8)
        let doc = try XCTUnwrap(try read("tap", [path], python: python)[path])
        XCTAssertEqual(doc["unknownLines"]?.intValue, 0)
        XCTAssertEqual(doc["points"]?.arrayValue?.count, r.verdicts.count)
        let first = try XCTUnwrap(doc["points"]?[0])
        XCTAssertEqual(first["ok"]?.boolValue, false)
        XCTAssertEqual(first["skip"]?.boolValue, false, "a # in a title is not a directive")
        XCTAssertEqual(first["yaml"]?["rationale"]?.stringValue, XMLEscape.stripInvalid(hostile))
        XCTAssertEqual(doc["successful"]?.boolValue, false)
    }
}
