import XCTest
@testable import OtterCore
#if canImport(FoundationXML)
import FoundationXML
#endif

final class ReportRenderTests: XCTestCase {
    static let hostile = "<script>alert(\"x\")</script> & ]]> 'q' \u{1}\u{8}\u{FFFE} | *bold* `tick`"

    /// A small evaluation by hand: one passed record, one failed with expected/seen and secrets in clear, one skipped.
    func sample() -> EvaluationResult {
        let t0 = 1_795_000_000.0
        let webhookBody = #"{"eventId":"e-1","eventType":"delivery.request_quote","note":"it's \#(Self.hostile.replacingOccurrences(of: "\"", with: "'"))"}"#
        let webhook = LogEntry(seq: 2, record: "DEL-04", direction: .otterToPartner, kind: .webhook, startedAt: t0 + 1, durationMs: 14,
                               request: Message(method: "POST", url: "https://user:pw-in-url@partner.example/webhook",
                                                headers: [("Content-Type", "application/json"), ("Authorization", "Basic aG9vazpob29rLXB3"), ("X-HMAC-SHA256", "sig")],
                                                body: webhookBody),
                               response: Message(status: 200))
        let callback = LogEntry(seq: 3, record: "DEL-04", direction: .partnerToOtter, kind: .callback, startedAt: t0 + 42, durationMs: 2,
                                request: Message(method: "POST", url: "https://sandbox.example/v1/delivery/d-1/quotes",
                                                 headers: [("Authorization", "Bearer clear-bearer-token-123"), ("X-Event-Id", "e-2")],
                                                 body: #"{"client_secret":"clear-client-secret","access_token" : "clear-access-token","x":1}"#),
                                response: Message(status: 204))
        let token = LogEntry(seq: 1, direction: .partnerToOtter, kind: .token, startedAt: t0, durationMs: 3,
                             request: Message(method: "POST", url: "https://sandbox.example/v1/auth/token", body: "grant_type=client_credentials&client_secret=form-secret-456&scope=x"),
                             response: Message(status: 200, body: #"{"access_token":"issued-token-789"}"#))
        let passed = Verdict(id: "DEL-01", title: "Ping acknowledged", required: true, rationale: "Answer 200.", status: .passed, reason: "acknowledged 200",
                             checks: [CheckResult(label: "acknowledgement", status: .passed, reason: "acknowledged 200")],
                             evidence: [Evidence(role: .token, entry: token, note: "token")], startedAt: t0, deadlines: [Deadline(label: "acknowledgement due", at: t0 + 3)])
        let failed = Verdict(id: "DEL-04", title: "Quote " + Self.hostile, required: true, rationale: "Rationale " + Self.hostile, status: .failed,
                             reason: "arrived 41 s after the webhook " + Self.hostile,
                             checks: [CheckResult(label: "POST /v1/delivery/d-1/quotes", status: .failed, reason: "late", expected: "e-1", seen: "e-2 " + Self.hostile)],
                             evidence: [Evidence(role: .trigger, entry: webhook, note: "webhook"), Evidence(role: .closestMiss, entry: callback, note: "late " + Self.hostile)],
                             startedAt: t0 + 1, deadlines: [Deadline(label: "POST /v1/delivery/d-1/quotes due", at: t0 + 31)])
        let skipped = Verdict(id: "DEL-12", title: "Retry", required: true, rationale: "", status: .skipped, reason: "not observed",
                              checks: [], evidence: [], startedAt: nil, deadlines: [])
        var stats = LogStats()
        stats.entries = 3; stats.firstAt = t0; stats.lastAt = t0 + 42
        return EvaluationResult(integrationType: .delivery, checklistVersion: "1.0.0", verdicts: [passed, failed, skipped],
                                run: RunNote(partnerURL: "https://partner.example/webhook", storeId: "store-1"), stats: stats,
                                unknownEventTypes: [], warnings: ["warning " + Self.hostile])
    }

    let source = ReportSource(log: "events.jsonl", format: "jsonl", checklistSHA256: String(repeating: "a", count: 64), logSHA256: String(repeating: "b", count: 64))

    func allFormats(_ r: EvaluationResult) -> [String: String] {
        ["html": ReportHTML.render(r, source: source), "md": ReportMarkdown.render(r, source: source),
         "json": ReportJSON.make(r, source: source).serialized(pretty: true), "junit": ReportJUnit.render(r, source: source),
         "tap": ReportTAP.render(r, source: source)]
    }

    /// WCAG AA: the SKIP badge (white on the skip colour) and skipped text (the skip colour on white and on the
    /// skipped row's background) reach 4.5:1; the verdict is the page's h1.
    func testSkipColoursReachAAContrastAndTheVerdictIsTheH1() throws {
        let html = ReportHTML.render(sample(), source: source)
        func hex(_ name: String) throws -> String {
            let r = try XCTUnwrap(html.range(of: name + #":\s*#[0-9a-fA-F]{6}"#, options: .regularExpression))
            return String(html[r].suffix(6))
        }
        func luminance(_ h: String) -> Double {
            let c = stride(from: 0, to: 6, by: 2).map { i -> Double in
                let v = Double(Int(h.dropFirst(i).prefix(2), radix: 16)!) / 255
                return v <= 0.03928 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
        }
        func contrast(_ a: String, _ b: String) -> Double {
            let (x, y) = (luminance(a), luminance(b))
            return (max(x, y) + 0.05) / (min(x, y) + 0.05)
        }
        let skip = try hex("--skip")
        XCTAssertGreaterThanOrEqual(contrast(skip, "ffffff"), 4.5, "SKIP badge / skipped text on white, #\(skip)")
        XCTAssertGreaterThanOrEqual(contrast(skip, "fff6e5"), 4.5, "skipped text on the skipped row, #\(skip)")
        XCTAssertEqual(html.components(separatedBy: "<h1").count - 1, 1, "one h1")
        XCTAssertNotNil(html.range(of: #"<h1 class="verdict">[^<]*(NOT CERTIFIED|CERTIFIED|PARTIAL)</h1>"#, options: .regularExpression))
    }

    func testRenderingIsDeterministic() {
        XCTAssertEqual(allFormats(sample()), allFormats(sample()))
    }

    func testSecretsInClearAreMaskedInEveryFormat() {
        for (name, text) in allFormats(sample()) {
            for s in ["clear-bearer-token-123", "clear-client-secret", "clear-access-token", "form-secret-456", "issued-token-789", "aG9vazpob29rLXB3", "pw-in-url"] {
                XCTAssertFalse(text.contains(s), "\(name) leaks \(s)")
            }
        }
    }

    func testHTMLEscapesLogTextAndHasNoExternalAssets() {
        let html = ReportHTML.render(sample(), source: source)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains("&lt;script&gt;"))
        XCTAssertFalse(html.contains("\u{1}"))
        XCTAssertNil(html.range(of: #"(src|href)\s*=\s*["']?\s*(https?:)?//"#, options: .regularExpression))
        for id in ["DEL-01", "DEL-04", "DEL-12"] { XCTAssertTrue(html.contains("id=\"\(id)\"")) }
        XCTAssertTrue(html.contains("NOT CERTIFIED"))
        XCTAssertTrue(html.contains("2026-11-17T20:26:40.000Z") || html.contains(Timestamp.format(1_795_000_000)), "date from the log")
        XCTAssertTrue(html.contains("e-<mark>1</mark>") && html.contains("e-<mark>2 &amp;lt;") == false && html.contains("e-<mark>2 &lt;script"), "expected vs seen highlights the difference")
        XCTAssertTrue(html.contains("otter-cert run --type &#39;delivery&#39; --only &#39;DEL-04&#39;"))
        XCTAssertTrue(html.contains("$OTTER_CERT_WEBHOOK_SECRET"))
    }

    /// The record's source in every human format, marked spec or policy (its words escaped), and in the JSON.
    func testSourcesAreShownPerRecordAndCarriedInTheJSON() throws {
        var r = sample()
        let cite = SpecCitation(target: .schema("RequestDeliveryQuoteCallbackRequest", property: "currencyCode"), quote: "Quote " + Self.hostile,
                                scope: nil, required: false, at: "$.records[3].source.spec")
        r.verdicts[1].source = RuleSource(spec: [cite], policy: "Policy " + Self.hostile, process: nil, at: "$.records[3].source")
        r.verdicts[1].checks[0].source = RuleSource(spec: [], policy: "within 30 s", process: nil, at: "$.records[3].expect[1].source")
        r.verdicts[1].checks[0].fieldSources = [("$.currencyCode matches ^[A-Z]{3}$", RuleSource(spec: [cite], policy: nil, process: nil, at: "x"))]
        r.verdicts[0].source = RuleSource(spec: [], policy: "Otter treats an acknowledgement slower than 3 s as a failed delivery", process: nil, at: "$.records[0].source")
        r.policies = [RuleSource(spec: [], policy: "Deadlines are how long the call waits", process: "Si todos los registros se completan con éxito", at: "$.policies[0]")]

        let html = ReportHTML.render(r, source: source)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains("<div class=\"source\"><div class=\"sh\">Source: spec+policy</div><ul class=\"src\"><li><span class=\"tag spec\">spec</span> "
                                    + "<span class=\"mono\">schema RequestDeliveryQuoteCallbackRequest.currencyCode</span>: <q>Quote &lt;script&gt;"), html)
        XCTAssertTrue(html.contains("<li><span class=\"tag policy\">policy</span> Policy &lt;script&gt;"), html)
        XCTAssertTrue(html.contains("Source: policy</div><ul class=\"src\"><li><span class=\"tag policy\">policy</span> Otter treats an acknowledgement slower than 3 s"), "the passed record's too")
        XCTAssertTrue(html.contains("<div class=\"csrc\"><ul class=\"src\"><li><span class=\"tag policy\">policy</span> within 30 s</li></ul></div>"), html)
        XCTAssertTrue(html.contains("<div class=\"csrc\"><span class=\"mono\">$.currencyCode matches ^[A-Z]{3}$</span>"), html)
        XCTAssertTrue(html.contains("<h2>Policies for every record</h2>") && html.contains("<span class=\"tag policy\">process document</span> <q>Si todos"), html)

        let md = ReportMarkdown.render(r, source: source)
        XCTAssertTrue(md.contains("| Status | Record | Title | Source | Reason |"), md)
        XCTAssertTrue(md.contains("| DEL-01 | Ping acknowledged | policy | "), md)
        XCTAssertEqual(SourceLine.kind(r.verdicts[1]), "spec+policy")
        var specOnly = r.verdicts[1]
        specOnly.source?.policy = nil
        XCTAssertEqual(SourceLine.kind(specOnly), "spec (with its checks: spec+policy)", "a check's policy shows in the record's kind")
        XCTAssertTrue(md.contains("**Source (spec+policy):**\n\n- **spec** `schema RequestDeliveryQuoteCallbackRequest.currencyCode`: “Quote &lt;script&gt;"), md)
        XCTAssertTrue(md.contains("- **policy** Policy &lt;script&gt;"), md)
        XCTAssertTrue(md.contains("  - source: **policy** within 30 s\n"), md)
        XCTAssertTrue(md.contains("- **process document** “Si todos los registros se completan con éxito”"), md)

        let json = ReportJSON.make(r, source: source)
        let rec = try XCTUnwrap(json["records"]?[1])
        XCTAssertEqual(rec["source"]?["kind"]?.stringValue, "spec+policy")
        XCTAssertEqual(rec["source"]?["spec"]?[0]?["schema"]?.stringValue, "RequestDeliveryQuoteCallbackRequest")
        XCTAssertEqual(rec["source"]?["spec"]?[0]?["property"]?.stringValue, "currencyCode")
        XCTAssertEqual(rec["source"]?["policy"]?.stringValue, "Policy " + Self.hostile)
        XCTAssertEqual(rec["checks"]?[0]?["source"]?["kind"]?.stringValue, "policy")
        XCTAssertEqual(rec["checks"]?[0]?["fieldSources"]?[0]?["rule"]?.stringValue, "$.currencyCode matches ^[A-Z]{3}$")
        XCTAssertEqual(json["checklist"]?["policies"]?[0]?["process"]?.stringValue, "Si todos los registros se completan con éxito")
        XCTAssertNil(json["records"]?[2]?["source"], "a verdict without a source has none")
    }

    func testJUnitIsWellFormedWithHostileText() {
        let xml = ReportJUnit.render(sample(), source: source)
        let parser = XMLParser(data: Data(xml.utf8))
        let ok = parser.parse()
        XCTAssertTrue(ok, "\(parser.parserError.map { "\($0)" } ?? "")\n\(xml)")
        // The skipped record is required: red like the failed one, so CI readers agree with NOT CERTIFIED.
        XCTAssertTrue(xml.contains("<testsuites name=\"otter-cert.delivery\" tests=\"3\" failures=\"2\" errors=\"0\" time="), xml)
        XCTAssertTrue(xml.contains("<testsuite name=\"otter-cert.delivery\" tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"0\""), xml)
        XCTAssertTrue(xml.contains("<failure type=\"required-not-observed\" message=\"required record not observed: not observed\">"), xml)
        XCTAssertTrue(xml.contains("<testcase classname=\"delivery\" name=\"DEL-01 Ping acknowledged\""))
    }

    func testCIOutcomesDurationsAndReasonsGivenOnce() {
        var r = sample()
        r.verdicts[1].required = false                        // DEL-04 failed, but optional
        r.verdicts[2].required = false                        // DEL-12 not observed, optional
        r.verdicts[0].checks.append(CheckResult(label: "no request", status: .passed, reason: "acknowledged 200"))
        r.verdicts[0].reason = "acknowledged 200; acknowledged 200"
        // DEL-01's ping took 3 ms; the token call its record cites came much later (another record's).
        let t0 = r.verdicts[0].startedAt!
        let ping = LogEntry(seq: 1, record: "DEL-01", direction: .otterToPartner, kind: .webhook, startedAt: t0, durationMs: 3,
                            request: Message(method: "POST", url: "https://partner.example/webhook", body: "{}"), response: Message(status: 200))
        r.verdicts[0].evidence = [Evidence(role: .trigger, entry: ping, note: "ping"), Evidence(role: .token, entry: LogEntry(seq: 9, direction: .partnerToOtter, kind: .token, startedAt: t0 + 40, durationMs: 3), note: "token")]
        XCTAssertTrue(r.certified)
        let located = ReportSource(log: "events.jsonl", format: "jsonl",
                                   checklist: ChecklistLocation(path: "checklists/delivery.json", recordLines: ["DEL-01": 20, "DEL-04": 70]))
        let xml = ReportJUnit.render(r, source: located)
        XCTAssertTrue(xml.contains("<testsuites name=\"otter-cert.delivery\" tests=\"3\" failures=\"0\" errors=\"0\" time=\"42.000\">"), xml)
        XCTAssertTrue(xml.contains("skipped=\"2\" time=\"42.000\" timestamp=\"") && xml.contains(" file=\"checklists/delivery.json\">"), xml)
        XCTAssertTrue(xml.contains("<skipped type=\"optional-failed\" message=\"optional record failed: arrived 41 s after the webhook"), xml)
        XCTAssertTrue(xml.contains("<skipped type=\"optional-not-observed\" message=\"optional record not observed: not observed\">"), xml)
        XCTAssertFalse(xml.contains("<failure"))
        // DEL-01 passed: its trigger to its last exchange (its deadline does not count, nor the later token call).
        // DEL-04 did not pass: it waited until its callback was due, 30 s; the one that came 41 s after the webhook
        // came after the record ended.
        XCTAssertTrue(xml.contains("name=\"DEL-01 Ping acknowledged\" time=\"0.003\""), xml)
        XCTAssertTrue(xml.contains("time=\"30.000\">\n      <skipped type=\"optional-failed\""), xml)
        XCTAssertTrue(xml.contains("<system-out>Checklist: checklists/delivery.json:20\nPASS DEL-01 (required): acknowledged 200</system-out>"), xml)
        XCTAssertTrue(xml.contains("Checklist: checklists/delivery.json:70\nReason: arrived 41 s after the webhook"), xml)
        XCTAssertTrue(xml.contains("How to fix: Rationale "), xml)
        let md = ReportMarkdown.render(r, source: located)
        XCTAssertTrue(md.contains("| DEL-01 | Ping acknowledged |  | acknowledged 200 |"), md)
        XCTAssertTrue(md.contains("**How to fix:** Rationale "), md)

        let tap = ReportTAP.render(r, source: located)
        XCTAssertTrue(tap.hasPrefix("TAP version 13\n1..3\n"), tap)
        XCTAssertTrue(tap.contains("\nok 1 - DEL-01 Ping acknowledged\n  ---\n  message: \"acknowledged 200\"\n"), tap)
        XCTAssertTrue(tap.contains("\nnot ok 2 - DEL-04 Quote <script>alert(\"x\")</script> & ]]> 'q'  | *bold* `tick` # TODO optional record failed: "), tap)
        XCTAssertTrue(tap.contains("\nok 3 - DEL-12 Retry # SKIP optional record not observed: not observed\n"), tap)
        XCTAssertTrue(tap.contains("  duration_ms: 30000\n"), tap)
        XCTAssertTrue(tap.contains("  at:\n    file: \"checklists/delivery.json\"\n    line: 70\n"), tap)
        XCTAssertTrue(tap.hasSuffix("# CERTIFIED: every required record passed\n"), tap)

        r.verdicts[2].required = true
        XCTAssertTrue(ReportJUnit.render(r, source: located).contains("failures=\"1\" errors=\"0\" skipped=\"1\""))
        let red = ReportTAP.render(r, source: located)
        XCTAssertTrue(red.contains("\nnot ok 3 - DEL-12 Retry\n"), red)
        XCTAssertTrue(red.hasSuffix("# NOT CERTIFIED: 1 required record did not pass\n"), red)
    }

    func testChecklistRecordLines() {
        let text = """
        {
          "id": "not-a-record",
          "vars": {"records": [{"id": "NOPE"}]},
          "records": [
            {"title": "has \\"id\\": \\"X-0\\" in a string", "id": "A-1",
             "expect": [{"id": "A-2"}]},
            {
              "id"  :
                "B\\u002D1"
            }
          ]
        }
        """
        XCTAssertEqual(ChecklistLocation.recordLines(Array(text.utf8)), ["A-1": 5, "B-1": 8])
        XCTAssertEqual(ChecklistLocation(path: "checklists/x.json", recordLines: ["A-1": 5]).reference("A-1"), "checklists/x.json:5")
        XCTAssertEqual(ChecklistLocation(path: "checklists/x.json", recordLines: [:]).reference("A-1"), "checklists/x.json")
    }

    func testXMLEscapeStripsInvalidCharacters() {
        XCTAssertEqual(XMLEscape.escape("a<b>&\"'\u{0}\u{B}\t\n\u{FFFF}é😀"), "a&lt;b&gt;&amp;&quot;&#39;\t\né😀")
        XCTAssertEqual(XMLEscape.attribute("a\nb"), "a&#10;b")
        XCTAssertEqual(XMLEscape.stripInvalid("ok\u{1F}"), "ok")
    }

    func testMaskingKeepsRedactedMarkersAndSchemes() {
        XCTAssertEqual(ReportMask.headerValue(name: "Authorization", value: "Bearer <redacted:0d77157cb568>"), "Bearer <redacted:0d77157cb568>")
        XCTAssertEqual(ReportMask.headerValue(name: "authorization", value: "Bearer abc"), "Bearer <redacted>")
        XCTAssertEqual(ReportMask.headerValue(name: "X-Api-Key", value: "k"), "<redacted>")
        XCTAssertEqual(ReportMask.body("a=1&client_secret=s3cr3t&b=2"), "a=1&client_secret=<redacted>&b=2")
        XCTAssertEqual(ReportMask.body(#"{"access_token": "t\"x", "n": 1}"#), #"{"access_token": "<redacted>", "n": 1}"#)
        XCTAssertEqual(ReportMask.body("client_secret=<redacted:abc>"), "client_secret=<redacted:abc>")
        XCTAssertEqual(ReportMask.url("https://u:p@host/x?access_token=t&y=1"), "https://<redacted>@host/x?access_token=<redacted>&y=1")
    }

    func testCurlSnippetResendsTheExactBody() throws {
        let body = #"{"eventId":"e-1","eventType":"x","note":"it's $HOME `id` \n \\ done"}"#
        let entry = LogEntry(seq: 1, direction: .otterToPartner, kind: .webhook, startedAt: 0,
                             request: Message(method: "POST", url: "http://127.0.0.1:9/webhook", headers: [("Content-Type", "application/json")], body: body))
        let snippet = try XCTUnwrap(Reproduce.curl(entry))
        XCTAssertTrue(snippet.contains("openssl dgst -sha256 -hmac \"$OTTER_CERT_WEBHOOK_SECRET\" -binary | base64"))
        XCTAssertTrue(snippet.contains("-H \"X-HMAC-SHA256: $sig\""))
        // The shell must see exactly the logged body.
        let assignment = try XCTUnwrap(snippet.split(separator: "\n").first { $0.hasPrefix("body=") })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", String(assignment) + "\nprintf '%s' \"$body\""]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(String(decoding: out, as: UTF8.self), body)
    }

    func testDiffClassification() throws {
        func report(_ statuses: [(String, String)]) -> JSONValue {
            .object(JSONObject([("integrationType", "pos"), ("certified", .bool(statuses.allSatisfy { $0.1 == "passed" })),
                                ("records", .array(statuses.map { .object(JSONObject([("id", .string($0.0)), ("status", .string($0.1)), ("title", "t"), ("reason", "r")])) }))]))
        }
        let old = report([("A", "passed"), ("B", "failed"), ("C", "skipped"), ("D", "passed"), ("E", "failed"), ("G", "passed")])
        let new = report([("A", "passed"), ("B", "passed"), ("C", "passed"), ("D", "skipped"), ("E", "skipped"), ("F", "failed")])
        let d = try ReportDiff.compare(old: old, new: new)
        XCTAssertEqual(d.rows(.unchanged).map(\.id), ["A"])
        XCTAssertEqual(d.rows(.fixed).map(\.id), ["B", "C"])
        XCTAssertEqual(d.rows(.regressed).map(\.id), ["D"])
        XCTAssertEqual(d.rows(.stillFailing).map(\.id), ["E"])
        XCTAssertEqual(d.rows(.added).map(\.id), ["F"])
        XCTAssertEqual(d.rows(.removed).map(\.id), ["G"])
        XCTAssertTrue(d.hasRegression)
        XCTAssertFalse(try ReportDiff.compare(old: new, new: new).hasRegression)
        XCTAssertThrowsError(try ReportDiff.compare(old: .object(JSONObject()), new: new))
    }
}
