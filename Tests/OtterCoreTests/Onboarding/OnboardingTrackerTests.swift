import XCTest
@testable import OtterCore
import TestSupport

final class OnboardingTrackerTests: XCTestCase {
    typealias Loc = OnboardingLogGenerator.Location

    func status(_ g: OnboardingLogGenerator, choice: OnboardingTracker.PhaseChoice = .auto, asOfDay: Int? = nil,
                minLive: Int = 1) -> OnboardingStatus {
        let deriver = IncidentDeriver(rules: .defaults, calendar: DayCalendar(identifier: "UTC")!)
        for i in g.locations.indices { for e in g.entries(i) { deriver.consume(e) } }
        let asOf = asOfDay.map { DayCalendar.parse(g.date($0))! }
        return OnboardingTracker(minLiveExchanges: minLive).status(ledgers: deriver.finish(), choice: choice, asOf: asOf,
                                                                   timeZone: "UTC", stats: deriver.stats, rulesVersion: "test")
    }

    func name(_ d: Int?) -> String? { d.map(DayCalendar.name) }

    func testCleanPilotExitsOnDay14() {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...14)])
        let before = status(g, asOfDay: 13)
        XCTAssertEqual(before.phase, .pilot)
        XCTAssertFalse(before.exitMet)
        XCTAssertEqual(before.phaseStreakDays, 13)
        XCTAssertEqual(name(before.targetDay), g.date(14))
        XCTAssertNil(before.lastReset)

        let pilot = status(g, choice: .pilot)
        XCTAssertTrue(pilot.exitMet)
        XCTAssertEqual(name(pilot.targetDay), g.date(14))
        XCTAssertEqual(pilot.locations.map(\.streakDays), [14])
        XCTAssertEqual(pilot.locations[0].incidents, [])

        let auto = status(g)
        XCTAssertEqual(auto.phase, .early, "auto moves on once the pilot's exit criterion is met")
        XCTAssertEqual(name(auto.pilotExitDay), g.date(14))
        XCTAssertEqual(auto.missingLocations, 5)
        XCTAssertFalse(auto.exitMet)
    }

    func testIncidentOnDay10ResetsStreakAndMovesTargetDate() {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...14, incidentDays: [10])])
        let s = status(g)
        XCTAssertEqual(s.phase, .pilot)
        XCTAssertFalse(s.exitMet)
        XCTAssertEqual(s.phaseStreakDays, 4)
        XCTAssertEqual(name(s.targetDay), g.date(24), "14 clean days from day 11")
        XCTAssertEqual(name(s.lastReset?.day), g.date(10))
        XCTAssertTrue(s.lastReset?.reasons.first?.contains("order-not-injected") == true, "\(String(describing: s.lastReset))")
        let l = s.locations[0]
        XCTAssertEqual(name(l.lastIncidentDay), g.date(10))
        XCTAssertEqual(l.incidents.map(\.cause), ["order-not-injected"])
        XCTAssertTrue(l.incidents[0].evidence.contains("/manager/order/v1/orders/order-created"))
        XCTAssertEqual(l.days[9].state, .incident)
        // Before the incident the target was day 14.
        XCTAssertEqual(name(status(g, asOfDay: 9).targetDay), g.date(14))
    }

    func testEarlyAdoptionHeldBackByOneLocation() {
        var locs = [Loc("pilot-1", days: 1...28)]
        for i in 2...6 { locs.append(Loc("early-\(i)", days: 15...28, incidentDays: i == 4 ? [20] : [])) }
        let s = status(OnboardingLogGenerator(locations: locs))
        let g = OnboardingLogGenerator(locations: locs)
        XCTAssertEqual(s.phase, .early)
        XCTAssertEqual(name(s.pilotExitDay), g.date(14))
        XCTAssertEqual(s.counted.count, 6)
        XCTAssertEqual(s.missingLocations, 0)
        XCTAssertFalse(s.exitMet)
        XCTAssertEqual(s.phaseStreakDays, 8)
        XCTAssertEqual(name(s.targetDay), g.date(34))
        XCTAssertEqual(s.lastReset?.reasons.count, 1)
        XCTAssertTrue(s.lastReset?.reasons[0].hasPrefix("early-4: order-not-injected") == true)
        XCTAssertEqual(s.locations.first { $0.storeId == "pilot-1" }?.streakDays, 28)
        XCTAssertEqual(s.locations.first { $0.storeId == "early-5" }?.streakDays, 14)

        locs[3].incidentDays = []
        let clean = status(OnboardingLogGenerator(locations: locs))
        XCTAssertEqual(clean.phase, .general)
        XCTAssertTrue(clean.exitMet)
        XCTAssertEqual(name(clean.targetDay), g.date(28))
    }

    func testLocationWithoutTrafficForThreeDays() {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...16, silentDays: [5, 6, 7])])
        let s = status(g)
        XCTAssertEqual(s.locations[0].days[4...6].map(\.state), [.noTraffic, .noTraffic, .noTraffic])
        XCTAssertEqual(s.phaseStreakDays, 9)
        XCTAssertFalse(s.exitMet, "no traffic is not evidence of health")
        XCTAssertEqual(name(s.targetDay), g.date(21))
        XCTAssertEqual(s.lastReset?.reasons, ["store-1: no traffic"])
        XCTAssertEqual(s.locations[0].incidents, [])
        // A higher live-day threshold turns every day quiet.
        let quiet = status(g, minLive: 100)
        XCTAssertEqual(quiet.locations[0].days[0].state, .quiet)
        XCTAssertEqual(quiet.phaseStreakDays, 0)
    }

    func testMidnightInNonUTCZone() {
        // 2026-01-15T07:30Z is 23:30 on 2026-01-14 in Los Angeles (PST, UTC-8).
        let t = Timestamp.parse("2026-01-15T07:30:00Z")!
        for (zone, expected) in [("America/Los_Angeles", "2026-01-14"), ("UTC", "2026-01-15"), ("Asia/Kolkata", "2026-01-15")] {
            let d = IncidentDeriver(rules: .defaults, calendar: DayCalendar(identifier: zone)!)
            d.consume(OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t))
            let days = d.finish()["s1"]!.days.keys.map(DayCalendar.name)
            XCTAssertEqual(days, [expected], zone)
        }
    }

    func testAsOfBeforeTrafficAndNoTraffic() {
        let empty = OnboardingTracker(minLiveExchanges: 1).status(ledgers: [:], choice: .auto, asOf: nil, timeZone: "UTC")
        XCTAssertEqual(empty.phase, .pilot)
        XCTAssertFalse(empty.exitMet)
        XCTAssertNil(empty.targetDay)
        XCTAssertEqual(empty.missingLocations, 1)
        XCTAssertTrue(OnboardingText.render(empty).contains("No location traffic"))
    }

    func testRenderersCarryTheStableMinimum() throws {
        let g = OnboardingLogGenerator(locations: [Loc("store-1", days: 1...14, incidentDays: [10]), Loc("store-<2>", days: 3...14)])
        let s = status(g)
        let json = OnboardingJSON.make(s)
        XCTAssertEqual(json["phase"], "pilot")
        XCTAssertEqual(json["exitMet"], false)
        XCTAssertEqual(json["targetDate"], .string(g.date(24)))
        let l0 = json["locations"]?[0]
        XCTAssertEqual(l0?["storeId"], "store-1")
        XCTAssertEqual(l0?["streakDays"], 4)
        XCTAssertEqual(l0?["lastIncidentDate"], .string(g.date(10)))
        XCTAssertEqual(l0?["incidents"]?[0]?["date"], .string(g.date(10)))
        XCTAssertEqual(l0?["incidents"]?[0]?["cause"], "order-not-injected")
        XCTAssertEqual(json["locations"]?[1]?["counted"], false)
        XCTAssertEqual(json["locations"]?[1]?["lastIncidentDate"], .null)
        let html = OnboardingHTML.render(s)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("store-&lt;2&gt;"))
        XCTAssertFalse(html.contains("store-<2>"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("src=") || html.contains("href=") || html.contains("<link"), "self-contained: no external resources")
        let md = OnboardingMarkdown.render(s)
        XCTAssertTrue(md.contains("| `store-1` | pilot | yes |"))
        XCTAssertTrue(md.contains(g.date(24)))
        for text in [html, md, json.serialized(), OnboardingText.render(s)] {
            XCTAssertFalse(text.contains("Bearer"), "no Authorization values")
        }
    }
}
