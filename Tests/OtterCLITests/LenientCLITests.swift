import XCTest
import OtterCore
import TestSupport

/// `--lenient` as a user meets it (issue #11): deleting one byte of DEL-10's duplicate-callback line must not turn
/// NOT CERTIFIED into CERTIFIED. `--lenient` says "not certified: 1 unreadable line" (exit 1) with the records still
/// judged; `--lenient=ignore` gives the verdict of what could be read, and every report says the line was ignored.
/// Also: logs and captures read from a pipe are read like files.
final class LenientCLITests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-lenient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Repo.binary), "build first: \(Repo.binary)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func cert(_ args: String..., stdin: Data? = nil) throws -> ProcessResult { try otterCert(args, stdin: stdin, timeout: 120) }

    func read(_ dir: String, _ name: String) throws -> String { try String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    func testDamagingTheDuplicateCallbackLineNeverCertifies() throws {
        let (lines, n) = try Repo.deliveryLogWithDamagedDuplicate()
        let log = tmp.appendingPathComponent("events.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let schema = try JSONSchemaValidator(document: try JSONValue.parse(try String(contentsOfFile: Repo.path("docs/report.schema.json"), encoding: .utf8)))

        // Strict: the damaged line stops the read, with its number.
        let strict = try cert("observe", "--type", "delivery", "--log", log)
        XCTAssertEqual(strict.status, 2, strict.stdout + strict.stderr)
        XCTAssertTrue(strict.stderr.contains("events.jsonl:\(n): not valid JSON"), strict.stderr)

        // --lenient: the records are judged (all pass without the duplicate), the verdict is not.
        let dir = tmp.appendingPathComponent("lenient").path
        let lenient = try cert("observe", "--type", "delivery", "--log", log, "--lenient", "--report-dir", dir)
        XCTAssertEqual(lenient.status, 1, lenient.stdout + lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("NOT CERTIFIED (1 unreadable line): 12 passed, 0 failed, 0 skipped of 12 records"), lenient.stdout)
        XCTAssertTrue(lenient.stdout.contains("not certified: 1 unreadable line (line \(n)), skipped with --lenient: it could have held evidence"), lenient.stdout)
        XCTAssertTrue(lenient.stdout.contains("1 unreadable line skipped"), lenient.stdout)
        let json = try JSONValue.parse(try read(dir, "report.json"))
        XCTAssertEqual(schema.validate(json).map(\.description), [])
        XCTAssertEqual(json["certified"]?.boolValue, false)
        XCTAssertEqual(json["unreadableLines"]?["count"]?.intValue, 1)
        XCTAssertEqual(json["unreadableLines"]?["ignored"]?.boolValue, false)
        XCTAssertEqual(json["unreadableLines"]?["lines"]?.arrayValue?.compactMap(\.intValue), [n])
        for f in ["report.md", "report.html", "junit.xml", "report.tap"] {
            XCTAssertTrue(try read(dir, f).contains("not certified: 1 unreadable line (line \(n))"), f)
        }
        XCTAssertTrue(try read(dir, "junit.xml").contains(#"<failure type="unreadable-lines""#))
        XCTAssertTrue(try read(dir, "report.tap").contains("not ok 13 - log: 1 unreadable line"))
        // verify reads the log as the report did.
        let verified = try cert("verify", dir + "/report.json", dir + "/events.jsonl")
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("note      the report skipped 1 unreadable line of the log (--lenient): not certified"), verified.stdout)

        // --lenient=ignore: the old verdict, and the reports say prominently that a line was ignored.
        let ignoredDir = tmp.appendingPathComponent("ignore").path
        let ignored = try cert("observe", "--type", "delivery", "--log", log, "--lenient=ignore", "--report-dir", ignoredDir)
        XCTAssertEqual(ignored.status, 0, ignored.stdout + ignored.stderr)
        XCTAssertTrue(ignored.stdout.contains("CERTIFIED: 12 passed"), ignored.stdout)
        let said = "1 unreadable line ignored (line \(n)) with --lenient=ignore"
        XCTAssertTrue(ignored.stdout.contains(said), ignored.stdout)
        let ignoredJSON = try JSONValue.parse(try read(ignoredDir, "report.json"))
        XCTAssertEqual(schema.validate(ignoredJSON).map(\.description), [])
        XCTAssertEqual(ignoredJSON["certified"]?.boolValue, true)
        XCTAssertEqual(ignoredJSON["unreadableLines"]?["ignored"]?.boolValue, true)
        for f in ["report.md", "report.html", "junit.xml", "report.tap"] { XCTAssertTrue(try read(ignoredDir, f).contains(said), f) }
        XCTAssertTrue(try read(ignoredDir, "junit.xml").contains(#"<skipped type="unreadable-lines-ignored""#))
        let verifiedIgnored = try cert("verify", ignoredDir + "/report.json", ignoredDir + "/events.jsonl")
        XCTAssertEqual(verifiedIgnored.status, 0, verifiedIgnored.stdout)
        XCTAssertTrue(verifiedIgnored.stdout.contains("and ignored them (--lenient=ignore)"), verifiedIgnored.stdout)

        // report takes the same option.
        let junit = try cert("report", "--type", "delivery", "--log", log, "--lenient", "--format", "junit")
        XCTAssertEqual(junit.status, 0, junit.stderr)
        XCTAssertTrue(junit.stdout.contains(#"<property name="certified" value="false"/>"#), junit.stdout)
        XCTAssertTrue(junit.stdout.contains(#"<failure type="unreadable-lines""#), junit.stdout)
    }

    func testTheLenientValueIsCheckedWithTheValuesItTakes() throws {
        let log = Repo.path("Fixtures/logs/delivery/pass.jsonl")
        let yes = try cert("observe", "--type", "delivery", "--log", log, "--lenient=yes")
        XCTAssertEqual(yes.status, 2)
        XCTAssertTrue(yes.stderr.contains("otter-cert observe: --lenient is given alone or as --lenient=ignore; got '--lenient=yes'"), yes.stderr)
        let spaced = try cert("observe", "--type", "delivery", "--log", log, "--lenient", "ignore")
        XCTAssertEqual(spaced.status, 2)
        XCTAssertTrue(spaced.stderr.contains("otter-cert observe: --lenient takes its value after '=': --lenient=ignore"), spaced.stderr)
        let help = try cert("observe", "--help")
        XCTAssertTrue(help.stdout.contains("--lenient[=ignore]"), help.stdout)
        let helpWords = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(helpWords.contains("the verdict is then NOT CERTIFIED (\"N unreadable lines\")"), help.stdout)
        // A clean log is certified under every leniency.
        for flag in ["--lenient", "--lenient=ignore", "--lenient=IGNORE"] {
            let r = try cert("observe", "--type", "delivery", "--log", log, flag, "--quiet")
            XCTAssertEqual(r.status, 0, flag + r.stdout + r.stderr)
        }
    }

    func testOnboardingLeavesTheCriterionUnmetOverAnUnreadableLine() throws {
        // 14 days, the first with an incident (a new order never injected): not met. Damage that webhook's line and,
        // skipped, it would hide the incident; --lenient keeps the criterion unmet.
        let g = OnboardingLogGenerator(locations: [.init("store-1", days: 1...14, incidentDays: [1])])
        var lines = g.jsonl(0).split(separator: "\n").map(String.init)
        let f = tmp.appendingPathComponent("store-1.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        let whole = try cert("onboarding", "--logs", f.path, "--phase", "pilot")
        XCTAssertEqual(whole.status, 1, whole.stdout + whole.stderr)
        XCTAssertTrue(whole.stdout.contains("order-not-injected"), whole.stdout)
        lines[0].removeFirst()
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        let lenient = try cert("onboarding", "--logs", f.path, "--phase", "pilot", "--lenient")
        XCTAssertEqual(lenient.status, 1, lenient.stdout + lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("Exit criterion: NOT MET — the streaks meet it on \(g.date(14)), but not every log line could be read"), lenient.stdout)
        XCTAssertTrue(lenient.stdout.contains("exit criterion not met: 1 unreadable line, skipped with --lenient: it could have held an incident, so the streaks are counted without it"), lenient.stdout)
        let dir = tmp.appendingPathComponent("tracker").path
        let ignored = try cert("onboarding", "--logs", f.path, "--phase", "pilot", "--lenient=ignore", "--report-dir", dir)
        XCTAssertEqual(ignored.status, 0, ignored.stdout + ignored.stderr)
        XCTAssertTrue(ignored.stdout.contains("Exit criterion: MET on \(g.date(14))"), ignored.stdout)
        let said = "1 unreadable line ignored with --lenient=ignore"
        XCTAssertTrue(ignored.stdout.contains(said), ignored.stdout)
        for name in ["onboarding.html", "onboarding.md"] {
            XCTAssertTrue(try String(contentsOfFile: dir + "/" + name, encoding: .utf8).contains(said), name)
        }
        let json = try JSONValue.parse(try String(contentsOfFile: dir + "/onboarding.json", encoding: .utf8))
        XCTAssertEqual(json["exitMet"]?.boolValue, true)
        XCTAssertEqual(json["unreadableLines"]?.serialized(), #"{"count":1,"ignored":true}"#)
    }

    func testLogsAndCapturesFromAPipeAreReadLikeFiles() throws {
        // A log whose one callback carries an 8 MiB body, from a pipe (64 KiB reads) and from the file.
        var lines = try Repo.passingLog(.delivery)
        var entry = try XCTUnwrap(JSONValue.parse(lines[32]).objectValue)
        var request = try XCTUnwrap(entry["request"]?.objectValue)
        request["headers"] = .array((request["headers"]?.arrayValue ?? []) + [.array([.string("X-Pad"), .string(String(repeating: "p", count: 8 << 20))])])
        entry["request"] = .object(request)
        lines[32] = JSONValue.object(entry).serialized()
        let log = tmp.appendingPathComponent("long.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let file = try cert("observe", "--type", "delivery", "--log", log, "--quiet")
        let pipe = try cert("observe", "--type", "delivery", "--log", "-", "--quiet", stdin: try Data(contentsOf: URL(fileURLWithPath: log)))
        XCTAssertEqual(file.status, 0, file.stdout + file.stderr)
        XCTAssertEqual(pipe.status, 0, pipe.stdout + pipe.stderr)
        XCTAssertEqual(pipe.stdout, file.stdout)

        let har = Repo.path("Fixtures/har/mitmproxy/delivery/capture.har")
        let fromFile = try cert("observe", "--type", "delivery", "--log", har, "--webhook-secret", "capture-webhook-secret-delivery-Hk27")
        let fromPipe = try cert("observe", "--type", "delivery", "--log", "-", "--webhook-secret", "capture-webhook-secret-delivery-Hk27",
                                stdin: try Data(contentsOf: URL(fileURLWithPath: har)))
        XCTAssertEqual(fromFile.status, 0, fromFile.stdout + fromFile.stderr)
        XCTAssertEqual(fromPipe.status, 0, fromPipe.stdout + fromPipe.stderr)
        XCTAssertEqual(fromPipe.stdout, fromFile.stdout)
        XCTAssertTrue(fromPipe.stdout.contains("CERTIFIED: 12 passed"), fromPipe.stdout)
    }
}
