import Foundation
import OtterCore
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `otter-cert proxy` between a live `otter-cert run` (its webhooks, and its embedded sandbox as the upstream "Otter")
/// and the sample partner, in both directions (Tests/Scripts/proxy-live-run.sh): the proxy's verdicts are the run's,
/// neither side can tell it is there, and a departure from the spec on Otter's side is a finding about Otter.
final class ProxyEndToEndTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func env(_ extra: [String: String] = [:]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["NO_COLOR"] = "1"
        e["OTTER_CERT"] = Repo.binary
        for (k, v) in extra { e[k] = v }
        return e
    }

    /// Runs the script: the proxy's exit status and output folder.
    func session(_ type: String, fault: String? = nil, name: String, env extra: [String: String] = [:]) throws -> (status: Int32, dir: String, output: String) {
        let dir = tmp.appendingPathComponent(name).path
        let r = try runProcess("/bin/bash", [Repo.path("Tests/Scripts/proxy-live-run.sh"), type] + (fault.map { ["--fault", $0] } ?? []) + [dir],
                               environment: env(extra), timeout: 600)
        return (r.status, dir, r.stdout + r.stderr)
    }

    static func report(_ path: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    static func statuses(_ report: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for r in report["records"]?.arrayValue ?? [] { out[r["id"]?.stringValue ?? "?"] = r["status"]?.stringValue }
        return out
    }

    func testTheProxysVerdictsAreTheRunsForEveryTypeAndFourFaults() throws {
        let cases: [(String, String?)] = [("delivery", nil), ("pos", nil), ("orders", nil), ("delivery", "no-retry"),
                                          ("delivery", "ignore-retry-after"), ("pos", "no-error-callback"), ("orders", "bad-totals")]
        concurrently(cases, width: 4) { (type, fault) in
            let s = try self.session(type, fault: fault, name: "\(type)-\(fault ?? "none")")
            let label = "\(type) \(fault ?? "without a fault")"
            let run = try Self.report(s.dir + "/run/latest/report.json")
            let proxied = try Self.report(s.dir + "/proxy/latest/report.json")
            XCTAssertEqual(Self.statuses(proxied), Self.statuses(run), "\(label): \(s.output)")
            XCTAssertEqual(Self.statuses(run).count, Self.statuses(proxied).count)
            // Neither side could tell: the run certifies the correct partner through the proxy, and the proxy agrees.
            if fault == nil {
                XCTAssertEqual(run["certified"]?.boolValue, true, "\(label): the run through the proxy: \(s.output)")
                XCTAssertEqual(s.status, 0, "\(label): \(s.output)")
            } else {
                XCTAssertEqual(proxied["certified"]?.boolValue, false, label)
                XCTAssertEqual(s.status, 1, "\(label): \(s.output)")
            }
            // Both sides kept to the spec: the sandbox and the sample partner.
            XCTAssertEqual(proxied["specFindings"]?["count"]?.intValue, 0, "\(label): \(proxied["specFindings"]?.serialized() ?? "no specFindings")")
            XCTAssertEqual(proxied["run"]?["mode"]?.stringValue, "proxy")
            // Every exchange the run logged went through the proxy, both directions.
            let runLog = try String(contentsOfFile: s.dir + "/run/latest/events.jsonl", encoding: .utf8)
            let proxyLog = try String(contentsOfFile: s.dir + "/proxy/latest/events.jsonl", encoding: .utf8)
            func count(_ log: String, _ kinds: [String]) -> Int {
                log.split(separator: "\n").filter { l in kinds.contains { l.contains("\"kind\":\"\($0)\"") } }.count
            }
            XCTAssertEqual(count(proxyLog, ["webhook"]), count(runLog, ["webhook"]), "\(label): webhooks")
            XCTAssertEqual(count(proxyLog, ["callback", "token"]), count(runLog, ["callback", "token"]), "\(label): calls")
            // No secret of the session reached its log.
            for secret in ["proxy-webhook-secret-\(type)-Qe51", "proxy-client-secret-\(type)-Vb08"] {
                XCTAssertFalse(proxyLog.contains(secret), "\(label): \(secret) in the proxy's log")
            }
        }
    }

    /// The run's sandbox answers POST /v1/orders from a spec whose example lacks `storeId`, which OrderReference
    /// requires: the proxy, judging by the bundled spec, reports it as Otter's, and the partner still certifies.
    func testAnAnswerMissingARequiredFieldIsAFindingAboutOtterNotThePartner() throws {
        var spec = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("checklists/openapi/otter-public-api.json")))))
        let keys = ["paths", "/v1/orders", "post", "responses", "200", "content", "application/json", "examples", "CreateOrder200Example", "value", "storeId"]
        spec = Self.removing(keys[...], from: spec)
        let broken = tmp.appendingPathComponent("no-store-id.json").path
        try Data(spec.serialized().utf8).write(to: URL(fileURLWithPath: broken))
        let s = try session("orders", name: "otter-side", env: ["RUN_EXTRA": "--openapi \(broken)"])
        XCTAssertEqual(s.status, 0, "the partner's records are unaffected: \(s.output)")
        let proxied = try Self.report(s.dir + "/proxy/latest/report.json")
        XCTAssertEqual(proxied["certified"]?.boolValue, true)
        let findings = proxied["specFindings"]?["findings"]?.arrayValue ?? []
        XCTAssertFalse(findings.isEmpty, "\(proxied["specFindings"]?.serialized() ?? "")")
        for f in findings {
            XCTAssertEqual(f["side"]?.stringValue, "otter", f.serialized())
            XCTAssertEqual(f["exchange"]?.stringValue, "POST /v1/orders → 200", f.serialized())
            XCTAssertEqual(f["problem"]?.stringValue, "$: missing required property \"storeId\"", f.serialized())
        }
        XCTAssertEqual(proxied["specFindings"]?["count"]?.intValue, findings.count)
        let proxyLog = try String(contentsOfFile: s.dir + "/proxy.log", encoding: .utf8)
        XCTAssertTrue(proxyLog.contains("Spec findings: \(findings.count) on Otter's side (findings about Otter, not the partner's failures), none on the partner's."), proxyLog)
        let md = try String(contentsOfFile: s.dir + "/proxy/latest/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("### OpenAPI conformance"), md)
        let html = try String(contentsOfFile: s.dir + "/proxy/latest/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<h2>OpenAPI conformance</h2>"))
        // The report is valid against the published schema, by python's jsonschema.
        guard let python = CIReaderTools.python(importing: ["jsonschema"]) else {
            if CIReaderTools.inCI { XCTFail("python jsonschema is missing") }
            return
        }
        let check = try runProcess(python, ["-c", """
            import json, sys, jsonschema
            v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            bad = [e.message for e in v.iter_errors(json.load(open(sys.argv[2])))]
            print(bad[:5]); sys.exit(1 if bad else 0)
            """, Repo.path("docs/report.schema.json"), s.dir + "/proxy/latest/report.json"])
        XCTAssertEqual(check.status, 0, "report.json is not valid against docs/report.schema.json: \(check.stdout) \(check.stderr)")

        // junit.xml: valid against the xunit schema (xmllint), green for a CI reader (junitparser: the partner passed),
        // and the findings in the suite's output and properties, not as test cases.
        let junit = s.dir + "/proxy/latest/junit.xml"
        if let xmllint = CIReaderTools.onPath("xmllint") {
            let lint = try runProcess(xmllint, ["--noout", "--schema", CIReaderTools.junitXSD, junit], timeout: 60)
            XCTAssertEqual(lint.status, 0, lint.stderr)
        } else if CIReaderTools.inCI { XCTFail("xmllint is missing") }
        if let reader = CIReaderTools.python(importing: ["junitparser"]) {
            let read = try runProcess(reader, ["-c", """
                import sys, xml.etree.ElementTree as ET
                from junitparser import JUnitXml
                xml = JUnitXml.fromfile(sys.argv[1])
                suite = next(iter(xml))
                props = {p.name: p.value for p in suite.properties()}
                cases = list(suite)
                red = [c.name for c in cases if not c.is_passed and not c.is_skipped]
                out = ET.parse(sys.argv[1]).getroot().find("testsuite").find("system-out").text
                print(props["specFindings"], props["specFindingsOtter"], len(cases), len(red))
                print(out)
                """, junit], timeout: 60)
            XCTAssertEqual(read.status, 0, read.stderr)
            let lines = read.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first, "\(findings.count) \(findings.count) \(Self.statuses(proxied).count) 0", read.stdout)
            XCTAssertTrue(lines.dropFirst().first?.hasPrefix("OpenAPI conformance: Spec findings: \(findings.count) on Otter's side") == true, read.stdout)
            XCTAssertEqual(lines.filter { $0.hasPrefix("Otter, line ") && $0.hasSuffix("POST /v1/orders → 200: $: missing required property \"storeId\"") }.count,
                           findings.count, read.stdout)
        } else if CIReaderTools.inCI { XCTFail("junitparser is missing") }
        let tap = try String(contentsOfFile: s.dir + "/proxy/latest/report.tap", encoding: .utf8)
        XCTAssertTrue(tap.contains("\n# OpenAPI conformance: Spec findings: \(findings.count) on Otter's side"), tap)
        XCTAssertEqual(tap.components(separatedBy: "\n#   Otter, line ").count - 1, findings.count, tap)
    }

    static func removing(_ keys: ArraySlice<String>, from v: JSONValue) -> JSONValue {
        guard let k = keys.first, case .object(var o) = v else { return v }
        if keys.count == 1 { o[k] = nil } else if let inner = o[k] { o[k] = removing(keys.dropFirst(), from: inner) }
        return .object(o)
    }

    /// `--live-view` on the proxy: the page (as headless Chromium dumps it) shows the session's records as the traffic
    /// settles them, and after Ctrl-C the verdict of the report.
    func testTheLiveViewFollowsAProxySession() throws {
        guard let chromium = LiveViewEndToEndTests.chromium else {
            if CIReaderTools.inCI { XCTFail("chromium is missing; .ci/install-browser-tools installs it") }
            throw XCTSkip("chromium is missing")
        }
        let dir = tmp.appendingPathComponent("live").path
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/bin/bash")
        script.arguments = [Repo.path("Tests/Scripts/proxy-live-run.sh"), "pos", dir]
        script.environment = env(["PROXY_EXTRA": "--live-view 127.0.0.1:0 --live-view-hold 20"])
        script.standardOutput = FileHandle.nullDevice
        script.standardError = FileHandle.nullDevice
        try script.run()
        defer { if script.isRunning { script.terminate() } }
        var url: String?
        let deadline = Date().addingTimeInterval(30)
        while url == nil, Date() < deadline {
            let log = (try? String(contentsOfFile: dir + "/proxy.log", encoding: .utf8)) ?? ""
            url = log.split(separator: "\n").first { $0.hasPrefix("Live view: ") }.map { String($0.dropFirst("Live view: ".count).prefix { $0 != " " }) }
            if url == nil { usleep(50_000) }
        }
        let u = try XCTUnwrap(url, "no 'Live view:' line in the proxy's output")
        func dom() throws -> String {
            let r = try runProcess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                              "--user-data-dir=\(tmp.appendingPathComponent("profile-\(UUID().uuidString)").path)", "--dump-dom", u], timeout: 90)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout
        }
        let during = try LiveViewEndToEndTests.Bar(try dom())
        XCTAssertEqual(during.total, 18)
        XCTAssertFalse(during.final, "the first look came after the session")
        // The script sends Ctrl-C once the run is over; the report is written and the final view held.
        let reportPath = dir + "/proxy/latest/report.json"
        let end = Date().addingTimeInterval(240)
        while !FileManager.default.fileExists(atPath: reportPath) && Date() < end { usleep(100_000) }
        usleep(300_000)
        let report = try Self.report(reportPath)
        let finalDOM = try dom()
        let last = try LiveViewEndToEndTests.Bar(finalDOM)
        XCTAssertTrue(last.final)
        XCTAssertGreaterThan(last.settled, during.settled)
        XCTAssertEqual(last.certified, report["certified"]?.boolValue)
        for r in report["records"]?.arrayValue ?? [] {
            let id = r["id"]?.stringValue ?? "?", status = r["status"]?.stringValue ?? "?"
            XCTAssertTrue(finalDOM.contains("data-record=\"\(id)\" data-phase=\"settled\" data-status=\"\(status)\""), "\(id) \(status)")
        }
        XCTAssertFalse(finalDOM.contains("proxy-client-secret-pos-Vb08"))
    }

    /// `--inject DEL-11,DEL-12`: the proxy answers the first quote callback of each record's webhook with that record's
    /// fault itself (the run's sandbox never sees those), lets the retries through, and judges the records as the run
    /// does; a partner that does not retry fails them through the proxy too.
    func testInjectAnswersANamedRecordsFaultInOttersPlace() throws {
        let cases: [String?] = [nil, "no-retry"]
        concurrently(cases, width: 2) { fault in
            let s = try self.session("delivery", fault: fault, name: "inject-\(fault ?? "none")",
                                     env: ["RUN_EXTRA": "--only DEL-11,DEL-12", "PROXY_EXTRA": "--inject DEL-11,DEL-12"])
            let run = Self.statuses(try Self.report(s.dir + "/run/latest/report.json"))
            let proxied = Self.statuses(try Self.report(s.dir + "/proxy/latest/report.json"))
            let expected = fault == nil ? "passed" : "failed"
            XCTAssertEqual(proxied["DEL-11"], expected, s.output)
            XCTAssertEqual(proxied["DEL-11"], run["DEL-11"], s.output)
            XCTAssertEqual(proxied["DEL-12"], run["DEL-12"], s.output)
            if fault == nil { XCTAssertEqual(proxied["DEL-12"], "passed", s.output) }

            func callbacks(_ path: String) throws -> [JSONValue] {
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
                    .filter { $0["kind"]?.stringValue == "callback" && ($0["request"]?["url"]?.stringValue ?? "").hasSuffix("/quotes") }
            }
            let seen = try callbacks(s.dir + "/proxy/latest/events.jsonl")
            let reached = try callbacks(s.dir + "/run/latest/events.jsonl")
            let mine = seen.filter { $0["tags"]?.arrayValue?.contains(.string("injected-fault")) == true }
            XCTAssertEqual(mine.compactMap { $0["response"]?["status"]?.intValue }.sorted(), [429, 503], s.output)
            XCTAssertEqual(seen.count, reached.count + 2, "the two answers the proxy gave never reached Otter")
            // Each went to a different webhook: the 503 and the 429 are not one call and its retry.
            func eventId(_ x: JSONValue) -> String? {
                x["request"]?["headers"]?.arrayValue?.first { $0[0]?.stringValue?.lowercased() == "x-event-id" }?[1]?.stringValue
            }
            XCTAssertEqual(Set(mine.compactMap(eventId)).count, 2, s.output)
        }
    }

    /// With --until-settled the session ends by itself once what the traffic reached has settled, before the Ctrl-C
    /// the script would send once the run is over.
    func testUntilSettledEndsTheSessionByItself() throws {
        let s = try session("orders", name: "settled", env: ["PROXY_EXTRA": "--until-settled", "RUN_EXTRA": "--only ORD-01,ORD-03"])
        let proxyLog = try String(contentsOfFile: s.dir + "/proxy.log", encoding: .utf8)
        XCTAssertTrue(proxyLog.contains("Every record has settled; the session ends."), proxyLog)
        let proxied = try Self.report(s.dir + "/proxy/latest/report.json")
        XCTAssertEqual(Self.statuses(proxied)["ORD-01"], "passed", proxyLog)
        XCTAssertEqual(Self.statuses(proxied)["ORD-03"], "passed", proxyLog)
        XCTAssertEqual(Self.statuses(proxied)["ORD-04"], "skipped", "a record the traffic never reached")
    }

    /// The proxy alone, in front of upstreams that fail: the caller gets 502 or 504 at once, the log says why.
    func testUpstreamFailuresAre502Or504WithTheLibcurlErrorInTheLog() throws {
        // A port nothing listens on (refused), and one that accepts and never answers (timeout).
        let closed = try freePort()
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        XCTAssertEqual(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, len) } }, 0)
        XCTAssertEqual(listen(silent, 16), 0)
        withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(silent, $0, &len) } }
        let silentPort = Int(UInt16(bigEndian: addr.sin_port))

        let dir = tmp.appendingPathComponent("failing").path
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: Repo.binary)
        proxy.arguments = ["proxy", "--type", "orders", "--otter-url", "http://127.0.0.1:\(closed)", "--partner-url", "http://127.0.0.1:\(silentPort)/webhook",
                           "--listen-api", "127.0.0.1:0", "--listen-webhooks", "127.0.0.1:0", "--upstream-timeout", "1", "--report-dir", dir]
        proxy.environment = env()
        let out = Pipe()
        proxy.standardOutput = out
        proxy.standardError = out
        try proxy.run()
        defer { if proxy.isRunning { proxy.terminate() } }
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("webhook URL at Otter to"), Date() < deadline {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        func url(after marker: String) -> String? {
            text.split(separator: "\n").first { $0.contains(marker) }.flatMap { $0.split(separator: " ").last.map(String.init) }
        }
        let api = try XCTUnwrap(url(after: "Otter base URL to"), text)
        let hooks = try XCTUnwrap(url(after: "webhook URL at Otter to"), text)

        let refused = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-X", "POST", api + "/v1/auth/token",
                                                       "-d", "grant_type=client_credentials"], timeout: 30)
        XCTAssertEqual(refused.stdout.split(separator: " ").first, "502", refused.stdout)
        let silentAnswer = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-X", "POST", hooks,
                                                            "-H", "Content-Type: application/json", "-d", "{\"eventId\":\"e-1\",\"eventType\":\"ping\"}"], timeout: 30)
        let parts = silentAnswer.stdout.split(separator: " ")
        XCTAssertEqual(parts.first, "504", silentAnswer.stdout)
        XCTAssertLessThan(Double(parts.last ?? "") ?? 99, 5, "504 after --upstream-timeout 1, not libcurl's default")

        kill(proxy.processIdentifier, SIGINT)
        proxy.waitUntilExit()
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("Stopped; the session ends."), text)
        let log = try String(contentsOfFile: dir + "/latest/events.jsonl", encoding: .utf8).split(separator: "\n")
        let lines = try log.map { try JSONValue.parse(String($0)) }
        let token = try XCTUnwrap(lines.first { $0["kind"]?.stringValue == "token" })
        XCTAssertEqual(token["error"]?["kind"]?.stringValue, "refused", token.serialized())
        XCTAssertFalse(token["error"]?["message"]?.stringValue?.isEmpty ?? true)
        let hook = try XCTUnwrap(lines.first { $0["kind"]?.stringValue == "webhook" })
        XCTAssertEqual(hook["error"]?["kind"]?.stringValue, "timeout", hook.serialized())
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/latest/report.html"), "the reports are written on Ctrl-C")
    }

    func testUsageErrorsAreSaidBeforeAnythingListens() throws {
        let base = ["proxy", "--type", "orders", "--listen-api", "127.0.0.1:0", "--listen-webhooks", "127.0.0.1:0", "--report-dir", tmp.path]
        let cases: [([String], String)] = [
            (["--partner-url", "http://127.0.0.1:1/webhook"], "--otter-url"),
            (["--otter-url", "ftp://otter.example", "--partner-url", "http://127.0.0.1:1/webhook"], "--otter-url must be an http:// or https:// URL, got 'ftp://otter.example'"),
            (["--otter-url", "http://127.0.0.1:1", "--partner-url", "http://127.0.0.1:1/webhook", "--upstream-timeout", "0"], "--upstream-timeout must be a number of seconds above 0"),
            (["--otter-url", "http://127.0.0.1:1", "--partner-url", "http://127.0.0.1:1/webhook", "--inject", "ORD-99"], "--inject ORD-99: no such record in the orders checklist"),
            (["--otter-url", "http://127.0.0.1:1", "--partner-url", "http://127.0.0.1:1/webhook", "--inject", "ORD-01"], "--inject ORD-01: the record needs no injected fault (those that do: ORD-15)"),
        ]
        for (args, message) in cases {
            let r = try runProcess(Repo.binary, base + args, environment: env(), timeout: 30)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let same = try runProcess(Repo.binary, ["proxy", "--type", "orders", "--otter-url", "http://127.0.0.1:1", "--partner-url", "http://127.0.0.1:1/webhook",
                                                "--listen-api", "127.0.0.1:8125", "--listen-webhooks", "127.0.0.1:8125", "--report-dir", tmp.path],
                                  environment: env(), timeout: 30)
        XCTAssertEqual(same.status, 2, same.stderr)
        XCTAssertTrue(same.stderr.contains("--listen-api and --listen-webhooks must be two addresses"), same.stderr)
        let help = try runProcess(Repo.binary, ["proxy", "--help"], environment: env(), timeout: 30)
        XCTAssertEqual(help.status, 0)
        for option in ["--otter-url", "--partner-url", "--listen-api", "--listen-webhooks", "--until-settled", "--upstream-timeout", "--inject", "502", "504"] {
            XCTAssertTrue(help.stdout.contains(option), option)
        }
    }

    private func freePort() throws -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
