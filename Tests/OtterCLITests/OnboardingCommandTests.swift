import XCTest
import Foundation
import TestSupport

/// Runs the built `.build/debug/otter-cert onboarding` as a subprocess on generated logs.
final class OnboardingCommandTests: XCTestCase {
    typealias Loc = OnboardingLogGenerator.Location
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-onboarding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let exe = root.appendingPathComponent(".build/debug/otter-cert")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else { throw XCTSkip("build otter-cert first: \(exe.path)") }
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        p.environment = ["NO_COLOR": "1", "OTTER_CERT_HOME": root.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testEarlyAdoptionTrackerOnGeneratedLogs() throws {
        var locs = [Loc("pilot-1", days: 1...28)]
        for i in 2...6 { locs.append(Loc("early-\(i)", days: 15...28, incidentDays: i == 4 ? [20] : [], silentDays: i == 6 ? [16, 17, 18] : [])) }
        let g = OnboardingLogGenerator(locations: locs)
        try g.write(to: tmp.appendingPathComponent("logs"))
        let report = tmp.appendingPathComponent("tracker")
        let r = try run(["onboarding", "--logs", tmp.appendingPathComponent("logs").path, "--report-dir", report.path])
        XCTAssertEqual(r.code, 1, r.out + r.err)
        XCTAssertTrue(r.out.contains("Phase: Early Adoption"), r.out)
        XCTAssertTrue(r.out.contains("Phase streak: 8 of 14"), r.out)
        XCTAssertTrue(r.out.contains("earliest target date \(g.date(34))"), r.out)
        XCTAssertTrue(r.out.contains("early-4: order-not-injected"), r.out)
        for (store, streak) in [("pilot-1", 28), ("early-4", 8), ("early-6", 10), ("early-2", 14)] {
            XCTAssertNotNil(r.out.range(of: "\(store) +\\w+ +streak +\(streak) d", options: .regularExpression), "\(store) \(streak)\n" + r.out)
        }
        XCTAssertFalse(r.out.contains("Bearer"))
        for name in ["onboarding.html", "onboarding.md", "onboarding.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: report.appendingPathComponent(name).path), name)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report.appendingPathComponent("onboarding.json"))) as! [String: Any]
        XCTAssertEqual(json["phase"] as? String, "early")
        XCTAssertEqual(json["exitMet"] as? Bool, false)
        XCTAssertEqual(json["targetDate"] as? String, g.date(34))
        let locations = json["locations"] as! [[String: Any]]
        XCTAssertEqual(locations.count, 6)
        let e4 = locations.first { $0["storeId"] as? String == "early-4" }!
        XCTAssertEqual(e4["streakDays"] as? Int, 8)
        XCTAssertEqual(e4["lastIncidentDate"] as? String, g.date(20))
        XCTAssertEqual((e4["incidents"] as? [[String: Any]])?.first?["cause"] as? String, "order-not-injected")
        let html = try String(contentsOf: report.appendingPathComponent("onboarding.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("no-traffic"))
    }

    func testCleanPilotExitsWithZero() throws {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...14)])
        let files = try g.write(to: tmp)
        let r = try run(["onboarding", "--logs", files[0].path, "--phase", "pilot", "--tz", "Europe/Madrid"])
        XCTAssertEqual(r.code, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("Phase: Pilot"), r.out)
        XCTAssertTrue(r.out.contains("Exit criterion: MET on \(g.date(14))"), r.out)
        let asOf = try run(["onboarding", "--logs", files[0].path, "--as-of", g.date(10)])
        XCTAssertEqual(asOf.code, 1)
        XCTAssertTrue(asOf.out.contains("earliest target date \(g.date(14))"), asOf.out)
    }

    func testBadInputExitsTwoNamingFileAndLine() throws {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...2)])
        var lines = g.jsonl(0).split(separator: "\n").map(String.init)
        lines[2] = #"{"v":1,"kind":"webhook","startedAt":"#
        let f = tmp.appendingPathComponent("broken.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        let r = try run(["onboarding", "--logs", f.path])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("\(f.path):3: not valid JSON"), r.err)
        for args in [["--tz", "Mars/Olympus"], ["--as-of", "2026-02-30"], ["--phase", "late"]] {
            let bad = try run(["onboarding", "--logs", f.path] + args)
            XCTAssertEqual(bad.code, 2, args.joined(separator: " "))
        }
        XCTAssertEqual(try run(["onboarding", "--logs", tmp.appendingPathComponent("nope").path]).code, 2)
    }
}
