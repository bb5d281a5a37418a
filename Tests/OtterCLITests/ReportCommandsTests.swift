import XCTest
import OtterCore
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs the built `otter-cert` binary as a subprocess.
enum BuiltCLI {
    /// The checkout: three levels above this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `.build/debug/otter-cert`.
    static let binary = root.appendingPathComponent(".build/debug/otter-cert")

    /// Runs the binary; returns stdout, stderr and the exit code.
    static func run(_ args: [String]) throws -> (out: String, err: String, code: Int32) {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("out"), errURL = tmp.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_HOME"] = root.path
        env["OTTER_CERT_WEBHOOK_SECRET"] = nil
        env["NO_COLOR"] = "1"
        p.environment = env
        p.currentDirectoryURL = root
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        return (try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8), p.terminationStatus)
    }
}

/// Counts the elements of a JUnit document.
final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases: [String] = []
    var failures = 0, skipped = 0
    var suiteAttributes: [String: String] = [:]
    var rootName: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if rootName == nil { rootName = name }
        switch name {
        case "testsuite": suiteAttributes = attributes
        case "testcase": testcases.append(attributes["name"] ?? "")
        case "failure": failures += 1
        case "skipped": skipped += 1
        default: break
        }
    }

    static func parse(_ text: String) -> (JUnitCounter, Bool, String?) {
        let c = JUnitCounter()
        let p = XMLParser(data: Data(text.utf8))
        p.delegate = c
        let ok = p.parse()
        return (c, ok, p.parserError.map { "\($0)" })
    }
}

final class ReportCommandsTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: BuiltCLI.binary.path) else {
            throw XCTSkip("build first: \(BuiltCLI.binary.path) is missing")
        }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("otter-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func fixture(_ type: String) -> String { BuiltCLI.root.appendingPathComponent("Fixtures/logs/\(type)/pass.jsonl").path }

    /// A failing variant of a passing fixture: the first callback with an X-Event-Id gets a wrong one,
    /// and every line of the last record is dropped (so it is skipped).
    func failingLog(_ type: String) throws -> String {
        let lines = try String(contentsOfFile: fixture(type), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let records = lines.compactMap { l -> String? in
            guard let r = l.range(of: "\"record\":\"") else { return nil }
            return String(l[r.upperBound...].prefix { $0 != "\"" })
        }
        let last = try XCTUnwrap(records.last)
        var out: [String] = []
        var changed = false
        for var l in lines {
            if l.contains("\"record\":\"\(last)\"") { continue }
            if !changed, l.contains("\"kind\":\"callback\""), let r = l.range(of: "[\"X-Event-Id\",\"") {
                let c = l[r.upperBound]
                l.replaceSubrange(r.upperBound...r.upperBound, with: c == "0" ? "1" : "0")
                changed = true
            }
            out.append(l)
        }
        XCTAssertTrue(changed)
        let path = work.appendingPathComponent("\(type)-fail.jsonl").path
        try out.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func schema() throws -> JSONSchemaValidator {
        let text = try String(contentsOf: BuiltCLI.root.appendingPathComponent("docs/report.schema.json"), encoding: .utf8)
        return try JSONSchemaValidator(document: try JSONValue.parse(text))
    }

    func read(_ dir: URL, _ name: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) }

    func observe(_ type: String, _ log: String, into dir: URL) throws -> Int32 {
        let r = try BuiltCLI.run(["observe", "--type", type, "--log", log, "--report-dir", dir.path, "--quiet"])
        XCTAssertEqual(r.err, "", r.err)
        return r.code
    }

    func testAllFiveFormatsForPassingAndFailingRunsOfEachType() throws {
        let validator = try schema()
        for type in ["delivery", "pos", "orders"] {
            for failing in [false, true] {
                let log = failing ? try failingLog(type) : fixture(type)
                let dir = work.appendingPathComponent("\(type)-\(failing ? "fail" : "pass")")
                XCTAssertEqual(try observe(type, log, into: dir), failing ? 1 : 0)
                for f in ["report.html", "report.md", "report.json", "junit.xml", "report.tap", "events.jsonl"] {
                    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(type) \(f)")
                }
                let json = try JSONValue.parse(try read(dir, "report.json"))
                XCTAssertEqual(validator.validate(json).map(\.description), [], "\(type) failing=\(failing)")
                let records = try XCTUnwrap(json["records"]?.arrayValue)
                let ids = records.compactMap { $0["id"]?.stringValue }
                let failed = records.filter { $0["status"]?.stringValue == "failed" }.count
                let skipped = records.filter { $0["status"]?.stringValue == "skipped" }.count
                XCTAssertEqual(failing, failed > 0 && skipped > 0, "\(type): the variant fails and skips")
                XCTAssertNotNil(json["source"]?["sha256"]?.stringValue)

                let html = try read(dir, "report.html")
                for id in ids { XCTAssertTrue(html.contains("<section class=\"record") && html.contains("id=\"\(id)\""), "\(type) \(id)") }
                XCTAssertEqual(html.components(separatedBy: "<section class=\"record ").count - 1, ids.count)
                XCTAssertTrue(html.contains(failing ? "NOT CERTIFIED" : "✔ CERTIFIED"))
                XCTAssertNil(html.range(of: #"(src|href)\s*=\s*["']?\s*(https?:)?//"#, options: [.regularExpression, .caseInsensitive]), "external asset in \(type)")
                XCTAssertFalse(html.contains("<script"))
                XCTAssertTrue(html.contains("<svg"))

                let (junit, ok, error) = JUnitCounter.parse(try read(dir, "junit.xml"))
                XCTAssertTrue(ok, "\(type) junit: \(error ?? "")")
                XCTAssertEqual(junit.rootName, "testsuites")
                XCTAssertEqual(junit.testcases.count, ids.count)
                // A required record that failed or was not observed is a failure, so CI shows red; an optional one
                // (POS-18, ORD-18) that did not pass is skipped, never red.
                let notPassed = records.filter { $0["status"]?.stringValue != "passed" }
                let red = notPassed.filter { $0["required"]?.boolValue == true }.count
                let optional = notPassed.filter { $0["required"]?.boolValue == false }
                let optionalFailed = optional.filter { $0["status"]?.stringValue == "failed" }.count
                XCTAssertEqual(red + optional.count, failed + skipped)
                XCTAssertEqual(junit.failures, red)
                XCTAssertEqual(junit.skipped, optional.count)
                XCTAssertEqual(junit.suiteAttributes["name"], "otter-cert.\(type)")
                XCTAssertEqual(junit.suiteAttributes["failures"], "\(red)")
                XCTAssertEqual(junit.suiteAttributes["skipped"], "\(optional.count)")
                XCTAssertEqual(junit.suiteAttributes["file"], "checklists/\(type).json")
                XCTAssertTrue(junit.testcases.first?.hasPrefix(ids[0] + " ") == true)

                let tap = try read(dir, "report.tap")
                XCTAssertTrue(tap.hasPrefix("TAP version 13\n1..\(ids.count)\n"))
                XCTAssertEqual(tap.components(separatedBy: "\nnot ok ").count - 1, red + optionalFailed, type)
                XCTAssertEqual(tap.components(separatedBy: "\nok ").count - 1, ids.count - red - optionalFailed, type)
                XCTAssertTrue(tap.contains("    file: \"checklists/\(type).json\"\n"), type)

                let md = try read(dir, "report.md")
                XCTAssertTrue(md.contains("| Status | Record | Title | Source | Reason |"))
                // Every record carries its source: in the JSON, shown in the HTML, its kind in the Markdown table.
                for rec in records {
                    let kind = try XCTUnwrap(rec["source"]?["kind"]?.stringValue, "\(type) \(rec["id"]?.stringValue ?? "")")
                    let shown = (rec["title"]?.stringValue ?? "").replacingOccurrences(of: "_", with: "\\_")  // as Markdown escapes it
                        + (rec["required"]?.boolValue == false ? " (optional)" : "")
                    XCTAssertTrue(md.contains("| \(shown) | \(kind)"), "\(type): \(shown) \(kind)")
                }
                XCTAssertEqual(html.components(separatedBy: "<div class=\"source\"><div class=\"sh\">Source: ").count - 1, ids.count)
                XCTAssertEqual(json["checklist"]?["policies"]?.arrayValue?.count, 3)
                XCTAssertEqual(md.contains("### Records not passed"), failing)
            }
        }
    }

    /// The files `observe --report-dir` writes, read by CI readers: junit.xml valid against the xunit plugin's schema,
    /// report.tap read by prove; both red exactly when not certified. The checklist is named relative to the data
    /// root, or by its file name when it lies elsewhere (never an absolute local path).
    func testWrittenJUnitAndTAPAreReadByCIReaders() throws {
        let env = ProcessInfo.processInfo.environment
        guard let xmllint = CIReaderTools.onPath("xmllint"), let prove = CIReaderTools.onPath("prove") else {
            if env["CI"].map({ !$0.isEmpty }) ?? false { XCTFail("xmllint or prove is missing; .ci/install-junit-tools installs them") }
            throw XCTSkip("xmllint or prove is missing (.ci/install-junit-tools installs them)")
        }
        for failing in [false, true] {
            let dir = work.appendingPathComponent(failing ? "fail" : "pass")
            XCTAssertEqual(try observe("pos", failing ? try failingLog("pos") : fixture("pos"), into: dir), failing ? 1 : 0)
            let junit = dir.appendingPathComponent("junit.xml").path, tap = dir.appendingPathComponent("report.tap").path
            let lint = try runProcess(xmllint, ["--noout", "--schema", CIReaderTools.junitXSD, junit])
            XCTAssertEqual(lint.status, 0, lint.stderr)
            let proved = try runProcess(prove, ["--exec", "cat", tap])
            XCTAssertEqual(proved.status, failing ? 1 : 0, proved.stdout)
            XCTAssertFalse(proved.stdout.contains("Parse errors"), proved.stdout)
            XCTAssertTrue(try read(dir, "junit.xml").contains("<system-out>Checklist: checklists/pos.json:33\n"))
        }
        let copy = work.appendingPathComponent("my-pos-checklist.json").path
        try FileManager.default.copyItem(atPath: BuiltCLI.root.appendingPathComponent("checklists/pos.json").path, toPath: copy)
        for (checklist, shown) in [("checklists/pos.json", "checklists/pos.json"), (copy, "my-pos-checklist.json")] {
            let r = try BuiltCLI.run(["report", "--type", "pos", "--log", fixture("pos"), "--format", "junit", "--checklist", checklist])
            XCTAssertEqual(r.code, 0, r.err)
            XCTAssertTrue(r.out.contains(" file=\"\(shown)\">"), checklist)
            XCTAssertTrue(r.out.contains("Checklist: \(shown):420\n"), checklist)
            XCTAssertFalse(r.out.contains(work.path), "no absolute local path")
        }
    }

    func testReportCommandIsDeterministicPerFormat() throws {
        let log = try failingLog("delivery")
        for format in ["html", "md", "json", "junit", "tap"] {
            let a = try BuiltCLI.run(["report", "--type", "delivery", "--log", log, "--format", format])
            let b = try BuiltCLI.run(["report", "--type", "delivery", "--log", log, "--format", format])
            XCTAssertEqual(a.code, 0, a.err)
            XCTAssertFalse(a.out.isEmpty)
            XCTAssertEqual(a.out, b.out, format)
            let out = work.appendingPathComponent("r.\(format)").path
            let c = try BuiltCLI.run(["report", "--type", "delivery", "--log", log, "--format", format, "--out", out])
            XCTAssertEqual(c.code, 0)
            XCTAssertEqual(c.out, "")
            XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), a.out)
        }
        let bad = try BuiltCLI.run(["report", "--type", "delivery", "--log", log, "--format", "pdf"])
        XCTAssertEqual(bad.code, 2)
    }

    func testVerifyMatchesAndDetectsAOneByteChange() throws {
        let dir = work.appendingPathComponent("v")
        _ = try observe("delivery", fixture("delivery"), into: dir)
        let report = dir.appendingPathComponent("report.json").path, log = dir.appendingPathComponent("events.jsonl").path
        let ok = try BuiltCLI.run(["verify", report, log])
        XCTAssertEqual(ok.code, 0, ok.out + ok.err)
        XCTAssertTrue(ok.out.contains("match     log sha256"))
        XCTAssertTrue(ok.out.contains("12 of 12 verdicts identical"))

        // One byte: a digit inside a timing that no verdict depends on.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        let i = try XCTUnwrap(bytes.firstRange(of: Data("\"durationMs\":14.2".utf8))).upperBound - 1
        bytes[i] = UInt8(ascii: "3")
        let tampered = work.appendingPathComponent("tampered.jsonl")
        try bytes.write(to: tampered)
        let bad = try BuiltCLI.run(["verify", report, tampered.path])
        XCTAssertEqual(bad.code, 1, bad.out)
        XCTAssertTrue(bad.out.contains("MISMATCH  log sha256"))

        // A change that also flips a verdict is reported per record.
        let failing = try failingLog("delivery")
        let flipped = try BuiltCLI.run(["verify", report, failing])
        XCTAssertEqual(flipped.code, 1)
        XCTAssertTrue(flipped.out.contains("MISMATCH  DEL-"), flipped.out)

        XCTAssertEqual(try BuiltCLI.run(["verify", work.appendingPathComponent("nope.json").path, log]).code, 2)
        XCTAssertEqual(try BuiltCLI.run(["verify", log, log]).code, 2)
        XCTAssertEqual(try BuiltCLI.run(["verify", report, work.appendingPathComponent("nope.jsonl").path]).code, 2)
    }

    func testDiffClassifiesFixedAndRegressed() throws {
        let pass = work.appendingPathComponent("p"), fail = work.appendingPathComponent("f")
        _ = try observe("pos", fixture("pos"), into: pass)
        _ = try observe("pos", try failingLog("pos"), into: fail)
        let regressed = try BuiltCLI.run(["diff", pass.appendingPathComponent("report.json").path, fail.appendingPathComponent("report.json").path])
        XCTAssertEqual(regressed.code, 1, regressed.err)
        XCTAssertTrue(regressed.out.contains("Regressed (2):"), regressed.out)
        XCTAssertTrue(regressed.out.contains("0 fixed, 2 regressed, 0 still failing, 16 unchanged"), regressed.out)
        let fixed = try BuiltCLI.run(["diff", fail.appendingPathComponent("report.json").path, pass.appendingPathComponent("report.json").path])
        XCTAssertEqual(fixed.code, 0)
        XCTAssertTrue(fixed.out.contains("2 fixed, 0 regressed, 0 still failing, 16 unchanged"), fixed.out)
        let same = try BuiltCLI.run(["diff", fail.appendingPathComponent("report.json").path, fail.appendingPathComponent("report.json").path])
        XCTAssertEqual(same.code, 0)
        XCTAssertTrue(same.out.contains("0 fixed, 0 regressed, 2 still failing, 16 unchanged"), same.out)
        let mixed = try BuiltCLI.run(["diff", pass.appendingPathComponent("report.json").path, work.appendingPathComponent("missing.json").path])
        XCTAssertEqual(mixed.code, 2)
    }

    func testSecretsNeverLeaveTheReports() throws {
        let bearer = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWJlYXJlci10b2tlbg.Zm9vYmFy"
        let clientSecret = "cs_live_9f8e7d6c5b4a39281706"
        let basicUser = "hookuser", basicPass = "hook-pass-7731-secret"
        let basic = Data("\(basicUser):\(basicPass)".utf8).base64EncodedString()
        let accessToken = "at_4c1d2e3f5a6b7c8d9e0f"
        func entry(_ t: String, _ method: String, _ url: String, _ headers: [(String, String)], _ body: String, _ status: Int, _ respBody: String) -> JSONValue {
            .object(JSONObject([
                ("startedDateTime", .string(t)), ("time", 12),
                ("request", .object(JSONObject([("method", .string(method)), ("url", .string(url)),
                                                ("headers", .array(headers.map { .object(JSONObject([("name", .string($0.0)), ("value", .string($0.1))])) })),
                                                ("postData", .object(JSONObject([("mimeType", "application/json"), ("text", .string(body))])))]))),
                ("response", .object(JSONObject([("status", .number(Double(status))), ("headers", .array([])),
                                                 ("content", .object(JSONObject([("text", .string(respBody))])))]))),
            ]))
        }
        let webhook = #"{"eventId":"11111111-2222-4333-8444-555555555555","eventTime":"2026-11-29T10:00:01.000Z","eventType":"delivery.request_quote","metadata":{"storeId":"s-1","payload":{"deliveryReferenceId":"d-1"}}}"#
        let har: JSONValue = .object(JSONObject([("log", .object(JSONObject([("version", "1.2"), ("entries", .array([
            entry("2026-11-29T10:00:00.000Z", "POST", "https://sandbox.example/v1/auth/token", [("Content-Type", "application/x-www-form-urlencoded")],
                  "grant_type=client_credentials&client_id=demo&client_secret=\(clientSecret)&scope=delivery.provider", 200,
                  #"{"access_token":"\#(accessToken)","token_type":"bearer","expires_in":3600}"#),
            entry("2026-11-29T10:00:01.000Z", "POST", "https://partner.example/webhook",
                  [("Content-Type", "application/json"), ("Authorization", "Basic \(basic)"), ("X-HMAC-SHA256", "c2lnbmF0dXJl")], webhook, 200, ""),
            entry("2026-11-29T10:00:01.500Z", "POST", "https://sandbox.example/v1/delivery/d-1/quotes",
                  [("Content-Type", "application/json"), ("Authorization", "Bearer \(bearer)"), ("X-Event-Id", "11111111-2222-4333-8444-555555555555"),
                   ("X-Store-Id", "s-1")], #"{"currencyCode":"USD","cost":{"baseCost":5},"minPickupDuration":5,"maxPickupDuration":10,"createdAt":"2026-11-29T10:00:01.400Z"}"#, 204, ""),
        ]))])))]))
        let harPath = work.appendingPathComponent("capture.har").path
        try har.serialized(pretty: true).write(toFile: harPath, atomically: true, encoding: .utf8)
        let secrets = [bearer, clientSecret, basic, basicPass, accessToken]
        let dir = work.appendingPathComponent("secrets")
        let code = try observe("delivery", harPath, into: dir)
        XCTAssertEqual(code, 1)
        var outputs: [String: String] = [:]
        // events.jsonl is the capture as the event log it was judged by: redacted like the reports.
        for f in ["report.html", "report.md", "report.json", "junit.xml", "report.tap", "events.jsonl"] { outputs[f] = try read(dir, f) }
        for format in ["html", "md", "json", "junit", "tap"] {
            outputs["stdout." + format] = try BuiltCLI.run(["report", "--type", "delivery", "--log", harPath, "--format", format]).out
        }
        XCTAssertTrue(outputs["report.html"]!.contains("DEL-04"))
        XCTAssertTrue(outputs["report.json"]!.contains("/v1/delivery/d-1/quotes"), "the capture's calls are in the report")
        XCTAssertTrue(outputs["report.json"]!.contains("Bearer <redacted"), "the bearer call is cited, masked")
        XCTAssertTrue(outputs["report.html"]!.contains("Basic &lt;redacted"), "the webhook's Basic credential is shown, masked")
        for (name, text) in outputs {
            for s in secrets { XCTAssertFalse(text.contains(s), "\(name) leaks \(s)") }
        }
        XCTAssertTrue(outputs["events.jsonl"]!.contains("Bearer <redacted:"), "the capture's bearer call, masked, in the written event log")
    }
}
