import XCTest
import TestSupport

/// `otter-cert` as a user runs it: the built binary, its output and its exit code.
final class ObserveCLITests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Repo.binary), "build first: \(Repo.binary)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func cert(_ args: String..., stdin: Data? = nil) throws -> ProcessResult { try otterCert(args, stdin: stdin) }

    func write(_ name: String, _ lines: [String]) throws -> String {
        let p = tmp.appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testChecklistListShowsEveryTypeAndId() throws {
        let r = try cert("checklist", "list")
        XCTAssertEqual(r.status, 0, r.stderr)
        for t in ["delivery", "pos", "orders"] { XCTAssertTrue(r.stdout.contains(t)) }
        for id in (1...12).map({ String(format: "DEL-%02d", $0) }) + (1...15).map({ String(format: "POS-%02d", $0) }) + (1...16).map({ String(format: "ORD-%02d", $0) }) {
            XCTAssertTrue(r.stdout.contains(id), id)
        }
    }

    func testShowPrintsEachRecordsSourceMarkedSpecOrPolicy() throws {
        let r = try cert("checklist", "show", "delivery")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Sources: records 5 spec, 0 policy, 7 spec+policy; checks "), r.stdout)
        XCTAssertTrue(r.stdout.contains("""
            DEL-04  Quote request answered with a quotes callback
              source:  spec    operation requestDeliveryQuoteCallback: "Otter Notify the Result of a Request Delivery Quote Event"
            """), r.stdout)
        // A check whose source differs shows it, marked spec and policy.
        XCTAssertTrue(r.stdout.contains("""
              expect:  acknowledgement of trigger
                         source: spec    operation requestDeliveryQuotesWebhook: "Return any 2XX status to indicate that the data was received successfully"
                                 policy  Otter treats an acknowledgement slower than 3 s as a failed delivery
            """), r.stdout)
        XCTAssertTrue(r.stdout.contains("""
                         field $.currencyCode matches ^[A-Z]{3}$
                           source: spec    schema RequestDeliveryQuoteCallbackRequest.currencyCode: "The 3-letter currency code (ISO 4217) to use for all monetary values."
            """), r.stdout)
        // DEL-10 deduplicates: policy, resting on the spec's unique eventId.
        XCTAssertTrue(r.stdout.contains("""
            DEL-10  The same quote request delivered twice produces exactly one quotes callback
              source:  spec    section "Notification Schema": "Unique id of the event."
                       policy  Otter may deliver the same webhook (same eventId) more than once
            """), r.stdout)
    }

    func testValidateAcceptsTheBundledChecklistsAndNamesMistakes() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Repo.path("checklists")).filter { $0.hasSuffix(".json") }.map { "checklists/" + $0 }
        let ok = try runProcess(Repo.binary, ["checklist", "validate"] + files, currentDirectory: Repo.root.path)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        let bad = try write("bad.json", [try String(contentsOfFile: Repo.path("checklists/pos.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"withinMs\": 3000", with: "\"withinMs\": -1")])
        let r = try cert("checklist", "validate", bad)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stdout.contains("bad.json: record POS-01: $.records[0].expect[0].withinMs: must be at least 1, got -1"), r.stdout)
        XCTAssertTrue(ok.stdout.contains("ok    checklists/pos.json: pos v1.0.0, 18 records (sources: "), ok.stdout)
        // A record without a source, and a quote the OpenAPI does not hold.
        var doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Repo.path("checklists/pos.json")))) as! [String: Any]
        var records = doc["records"] as! [[String: Any]]
        records[0]["source"] = nil
        doc["records"] = records
        let noSource = try write("no-source.json", [String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self)])
        let badQuote = try write("bad-quote.json", [try String(contentsOfFile: Repo.path("checklists/pos.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"Otter Mark an Order as Ready to Pickup\"", with: "\"Otter Marks an Order Ready\"")])
        let s = try cert("checklist", "validate", noSource, badQuote)
        XCTAssertEqual(s.status, 2)
        XCTAssertTrue(s.stdout.contains("no-source.json: record POS-01: $.records[0]: missing key 'source': say where this rule comes from, "), s.stdout)
        XCTAssertTrue(s.stdout.contains(#"bad-quote.json: record POS-06: $.records[5].source.spec.quote: the quote does not occur verbatim in operation markAsReadyToPickup's summary and descriptions: "Otter Marks an Order Ready""#), s.stdout)
    }

    func testObserveCertifiesThePassingRunsAndWritesTheReport() throws {
        for t in ["delivery", "pos", "orders"] {
            let report = tmp.appendingPathComponent("\(t).json").path
            let r = try cert("observe", "--type", t, "--log", "Fixtures/logs/\(t)/pass.jsonl", "--report-json", report)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            XCTAssertTrue(r.stdout.contains("CERTIFIED:"), r.stdout)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
            XCTAssertEqual(json["certified"] as? Bool, true)
            XCTAssertEqual(json["integrationType"] as? String, t)
            let records = json["records"] as! [[String: Any]]
            for rec in records {
                for key in ["id", "title", "required", "status", "reason"] { XCTAssertNotNil(rec[key], key) }
            }
        }
    }

    func testTheReportsLogHashIsSha256sumsForASmallLogAndALargeOne() throws {
        // A log over 1 MiB is hashed on a thread of its own while it is judged; either way the report carries the
        // file's SHA-256 as sha256sum computes it, and report.json/events.jsonl are written beside it.
        let lines = try Repo.passingLog(.delivery)
        let blank = String(repeating: " ", count: 1023)
        for (name, padding) in [("small", 0), ("large", 1100)] {
            let log = try write("\(name).jsonl", lines + Array(repeating: blank, count: padding))
            let dir = tmp.appendingPathComponent("\(name)-report").path
            let r = try cert("observe", "--type", "delivery", "--log", log, "--quiet", "--report-dir", dir)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            let sum = Process()
            sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            sum.arguments = [log]
            let out = Pipe()
            sum.standardOutput = out
            try sum.run()
            sum.waitUntilExit()
            let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as! [String: Any]
            let source = try XCTUnwrap(json["source"] as? [String: Any])
            XCTAssertEqual(source["sha256"] as? String, String(expected), name)
            XCTAssertTrue(FileManager.default.contentsEqual(atPath: log, andPath: dir + "/events.jsonl"), name)
        }
    }

    func testObserveNamesTheFailingRecordAndExitsOne() throws {
        let c = try LogCase(path: Repo.path("Fixtures/cases/delivery/DEL-04-wrong-event-id.json"))
        let log = try write("events.jsonl", try c.apply(to: try Repo.passingLog(.delivery)))
        let r = try cert("observe", "--type", "delivery", "--log", log)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("FAIL  DEL-04"), r.stdout)
        XCTAssertTrue(r.stdout.contains("X-Event-Id was 7f3c2b1a-0000-4000-a000-000000000000"), r.stdout)
        XCTAssertTrue(r.stdout.contains("NOT CERTIFIED: 11 passed, 1 failed, 0 skipped"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no color codes with NO_COLOR")
    }

    func testHARCaptureWithAWrongEventIdFailsTheRecordItBinds() throws {
        let report = tmp.appendingPathComponent("r.json").path
        let r = try cert("observe", "--type", "delivery", "--log", "Fixtures/har/delivery-quote-wrong-event-id.har", "--report-json", report)
        XCTAssertEqual(r.status, 1)
        // The capture's one plain quote request is the first record it fits (DEL-03); DEL-04 is not observed.
        XCTAssertTrue(r.stdout.contains("FAIL  DEL-03"), r.stdout)
        XCTAssertTrue(r.stdout.contains("SKIP  DEL-04"), r.stdout)
        XCTAssertTrue(r.stdout.contains("X-Event-Id was 7f3c2b1a-0000-4000-a000-000000000000, expected"), r.stdout)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertFalse(text.contains("har-raw-token-7Q2x"), "the capture's bearer token never reaches the report")
        XCTAssertFalse(r.stdout.contains("har-raw-token-7Q2x"))
    }

    func testACapturesWarningsArePrintedOnceAndStrippedTokensFailNothing() throws {
        // What a sanitizing, local-time exporter on Windows writes: a byte order mark, no UTC offsets, no Authorization.
        let bytes = HARFixtures.bom + (try HARFixtures.quoteCapture { HARFixtures.dropUTCOffsets(&$0); HARFixtures.stripAuthorization(&$0) })
        let har = tmp.appendingPathComponent("sanitized.har").path
        XCTAssertTrue(FileManager.default.createFile(atPath: har, contents: Data(bytes)))
        let report = tmp.appendingPathComponent("r.json").path
        let r = try cert("observe", "--type", "delivery", "--log", har, "--report-json", report)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let notes = r.stdout.split(separator: "\n").filter { $0.hasPrefix("note: ") }
        XCTAssertEqual(notes.count, 2, r.stdout)
        XCTAssertTrue(notes[0].hasPrefix("note: 4 HAR entries have a startedDateTime without a UTC offset (first: entry 1"), r.stdout)
        XCTAssertTrue(notes[1].contains("none of the capture's 1 call(s) to the Otter API carries an Authorization header"), r.stdout)
        XCTAssertFalse(r.stdout.contains("FAIL  "), "the quotes callback is not failed for its missing token: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("SKIP  DEL-03"), r.stdout)
        XCTAssertTrue(r.stdout.contains("its use as a bearer token is not judged"), r.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        XCTAssertEqual((json["warnings"] as? [String])?.count, 2, "the report's warnings: \(json["warnings"] ?? "none")")
    }

    func testATokenCallGivenOnlyAsFormParamsStillCountsAsTheToken() throws {
        // Charles and some browser exports give a form body as postData.params alone.
        let bytes = try HARFixtures.quoteCapture { entries in
            HARFixtures.request(&entries[0]) { r in
                r["postData"] = ["mimeType": "application/x-www-form-urlencoded", "params": [
                    ["name": "grant_type", "value": "client_credentials"], ["name": "client_id", "value": "demo-client"],
                    ["name": "client_secret", "value": "har-client-secret-Zk81"], ["name": "scope", "value": "delivery.provider callback.error.write"]]]
            }
        }
        let har = tmp.appendingPathComponent("params.har").path
        XCTAssertTrue(FileManager.default.createFile(atPath: har, contents: Data(bytes)))
        let r = try cert("observe", "--type", "delivery", "--log", har, "--report-dir", tmp.appendingPathComponent("out").path)
        XCTAssertTrue(r.stdout.contains("PASS  DEL-03"), "the grant is read from the params: \(r.stdout)")
        let events = try String(contentsOfFile: tmp.appendingPathComponent("out/events.jsonl").path, encoding: .utf8)
        XCTAssertTrue(events.contains("grant_type=client_credentials&client_id=demo-client&client_secret=<redacted:"), events)
        XCTAssertFalse(events.contains("har-client-secret-Zk81"))
    }

    func testReportDirWritesACaptureAsTheEventLogItWasJudgedBy() throws {
        let dir = tmp.appendingPathComponent("out").path
        let r = try cert("observe", "--type", "delivery", "--log", "Fixtures/har/delivery-quote-wrong-event-id.har", "--report-dir", dir)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let events = dir + "/events.jsonl"
        let text = try String(contentsOfFile: events, encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, text)
        XCTAssertTrue(lines[0].contains(#""kind":"run""#) && lines[0].contains(#""importedFrom":"har""#), String(lines[0]))
        XCTAssertFalse(text.contains("har-raw-token-7Q2x"), "redacted as in a run's own log")
        XCTAssertFalse(text.contains("har-client-secret-Zk81"))
        XCTAssertTrue(text.contains("Bearer <redacted:"), text)
        // Observing the written log says what observing the capture said.
        let again = try cert("observe", "--type", "delivery", "--log", events)
        XCTAssertEqual(again.status, 1, again.stdout + again.stderr)
        func verdictLines(_ s: String) -> [Substring] { s.split(separator: "\n").filter { ["PASS", "FAIL", "SKIP", "  "].contains(String($0.prefix(4))) } }
        XCTAssertEqual(verdictLines(again.stdout), verdictLines(r.stdout))
        XCTAssertTrue(again.stdout.contains("FAIL  DEL-03"), again.stdout)
    }

    func testStandardInputIsALog() throws {
        let r = try cert("observe", "--type", "orders", "--log", "-", stdin: try Data(contentsOf: URL(fileURLWithPath: Repo.path("Fixtures/logs/orders/pass.jsonl"))))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("CERTIFIED: 21 passed"), r.stdout)
    }

    func testMalformedLinesAreNamedOrSkippedWhenLenient() throws {
        var lines = try Repo.passingLog(.pos)
        lines.insert("{\"kind\": \"webhook\", oops", at: 5)
        let log = try write("bad.jsonl", lines)
        let r = try cert("observe", "--type", "pos", "--log", log)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("bad.jsonl:6: not valid JSON: line 1, column 21"), r.stderr)
        // Skipped, the line still keeps the log from certifying (it could have held evidence), unless ignored.
        let lenient = try cert("observe", "--type", "pos", "--log", log, "--lenient")
        XCTAssertEqual(lenient.status, 1, lenient.stdout + lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("1 unreadable line skipped"), lenient.stdout)
        XCTAssertTrue(lenient.stdout.contains("not certified: 1 unreadable line (line 6)"), lenient.stdout)
        let ignored = try cert("observe", "--type", "pos", "--log", log, "--lenient=ignore")
        XCTAssertEqual(ignored.status, 0, ignored.stdout + ignored.stderr)
        XCTAssertTrue(ignored.stdout.contains("1 unreadable line ignored (line 6) with --lenient=ignore"), ignored.stdout)
    }

    func testBinaryTruncatedAndEmptyFilesAreErrorsNotHangs() throws {
        var bytes = [UInt8](repeating: 0, count: 200_000)
        var g = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &g) }
        let bin = tmp.appendingPathComponent("random.bin").path
        FileManager.default.createFile(atPath: bin, contents: Data(bytes))
        let start = Date()
        let r = try cert("observe", "--type", "delivery", "--log", bin)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("random.bin:"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)

        let full = try String(contentsOfFile: Repo.path("Fixtures/logs/delivery/pass.jsonl"), encoding: .utf8)
        let cut = tmp.appendingPathComponent("cut.jsonl").path
        try String(full.prefix(full.count / 2)).write(toFile: cut, atomically: true, encoding: .utf8)
        let t = try cert("observe", "--type", "delivery", "--log", cut)
        XCTAssertEqual(t.status, 2)
        XCTAssertTrue(t.stderr.contains("unexpected end of input"), t.stderr)

        let empty = try write("empty.jsonl", [])
        let e = try cert("observe", "--type", "delivery", "--log", empty)
        XCTAssertEqual(e.status, 2)
        let missing = try cert("observe", "--type", "delivery", "--log", "/nonexistent/events.jsonl")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/events.jsonl: no such file"), missing.stderr)
    }

    func testUnknownEventTypesAreReportedNotFatal() throws {
        var lines = try Repo.passingLog(.delivery)
        let webhook = lines.first { $0.contains("ping.ping") }!
        lines.append(webhook.replacingOccurrences(of: "ping.ping", with: "reports.report_generated").replacingOccurrences(of: "\"record\":\"DEL-01\",", with: ""))
        let r = try cert("observe", "--type", "delivery", "--log", try write("x.jsonl", lines))
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("webhook event types no record uses: reports.report_generated (1)"), r.stdout)
    }

    func testUsageErrorsExitTwoAndHelpTeaches() throws {
        let r = try cert("observe", "--type", "deliveries", "--log", "x")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--type must be one of delivery, pos, orders; got 'deliveries'"), r.stderr)
        let missing = try cert("observe", "--type", "pos")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("missing required option '--log'"), missing.stderr)
        for cmd in [["--help"], ["observe", "--help"], ["checklist", "--help"], ["checklist", "validate", "--help"], ["demo", "--help"]] {
            let h = try runProcess(Repo.binary, cmd)
            XCTAssertEqual(h.status, 0, cmd.joined(separator: " "))
            XCTAssertTrue(h.stdout.contains("USAGE:"), cmd.joined(separator: " "))
        }
        XCTAssertTrue(try cert("observe", "--help").stdout.contains("Examples:"))
    }

    func testSecretOptionIsNeverEchoed() throws {
        let r = try cert("observe", "--type", "delivery", "--webhook-secret", "s3cr3t-value-xyz", "--log", "Fixtures/logs/delivery/pass.jsonl", "--bogus")
        XCTAssertEqual(r.status, 2)
        XCTAssertFalse((r.stdout + r.stderr).contains("s3cr3t-value-xyz"))
    }
}

extension ObserveCLITests {
    /// `observe --report-dir` into a folder that holds another log (a run's evidence) refuses, and changes nothing there;
    /// the same log again is fine.
    func testObserveNeverOverwritesAnotherLogInItsReportFolder() throws {
        let a = Repo.path("Fixtures/logs/delivery/pass.jsonl")
        let lines = try String(contentsOfFile: a, encoding: .utf8).split(separator: "\n").map(String.init)
        let b = try write("other.jsonl", Array(lines.dropLast()))
        let dir = tmp.appendingPathComponent("out").path
        let first = try cert("observe", "--type", "delivery", "--log", a, "--report-dir", dir)
        XCTAssertTrue([0, 1].contains(first.status), first.stderr)
        let kept = try Data(contentsOf: URL(fileURLWithPath: dir + "/events.jsonl"))
        let report = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.html"))
        let other = try cert("observe", "--type", "delivery", "--log", b, "--report-dir", dir)
        XCTAssertEqual(other.status, 3, other.stdout + other.stderr)
        XCTAssertTrue(other.stderr.contains("already holds another event log") && other.stderr.contains("never overwritten"), other.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/events.jsonl")), kept, "the log there is untouched")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/report.html")), report, "and so is its report")
        let again = try cert("observe", "--type", "delivery", "--log", a, "--report-dir", dir)
        XCTAssertEqual(again.status, first.status, again.stderr)
    }
}
