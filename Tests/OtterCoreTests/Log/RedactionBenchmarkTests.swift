import Foundation
import XCTest
import OtterCore

/// Cost of redaction by value on a 1 MB body; runs only with OTTER_BENCH=1 (Tests/Scripts/bench-redaction.sh) and
/// asserts nothing about timing. CPU time of this thread, best of 5.
final class RedactionBenchmarkTests: XCTestCase {
    func cpuMs(_ runs: Int = 5, _ f: () -> Void) -> Double {
        func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6 }
        var best = Double.infinity
        for _ in 0..<runs { let t = now(); f(); best = min(best, now() - t) }
        return best
    }

    func rssKiB() -> Int {
        let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for l in s.split(separator: "\n") where l.hasPrefix("VmRSS:") { return Int(l.split(separator: " ")[1]) ?? 0 }
        return 0
    }

    func token() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func testRedactionCost() throws {
        guard ProcessInfo.processInfo.environment["OTTER_BENCH"] == "1" else { throw XCTSkip("set OTTER_BENCH=1 to run the redaction benchmark") }
        var items: [String] = []
        var size = 0
        while size < 1 << 20 {
            let item = #"{"id":"\#(UUID().uuidString.lowercased())","name":"Canned Coke \#(items.count)","price":{"currencyCode":"USD","amount":7.65},"note":"no ice"}"#
            items.append(item); size += item.utf8.count + 1
        }
        let clean = "{\"items\":[" + items.joined(separator: ",") + "]}"
        var r = Redactor(salt: "bench")
        r.learn("Wh+sec/ret@42!xyz", label: "webhook-secret"); r.learn("cs-7Q/2+zz kk", label: "client-secret"); r.learn("echo-client-4711", label: "client-id")
        let tokens = (0..<10).map { _ in token() }
        for t in tokens { r.learn(t) }
        var echoed = items
        for i in stride(from: 0, to: echoed.count, by: 1000) { echoed[i] = #"{"echo":"\#(tokens[i % 10])","b64":"\#(Data("Wh+sec/ret@42!xyz".utf8).base64EncodedString())"}"# }
        let dirty = "{\"items\":[" + echoed.joined(separator: ",") + "]}"
        let plain = Redactor(salt: "bench")
        print(String(format: "redaction: 1 MB JSON, by name only (nothing known): %.1f ms", cpuMs { _ = plain.body(clean) }))
        print(String(format: "redaction: 1 MB JSON, 3 secrets + 10 tokens known (%d forms): %.1f ms", r.knownForms, cpuMs { _ = r.body(clean) }))
        print(String(format: "redaction: 1 MB JSON with %d echoes, 3 secrets + 10 tokens: %.1f ms", echoed.count / 1000 + 1, cpuMs { _ = r.body(dirty) }))
        let live = LiveRedactor(r)
        let many = (0..<20_000).map { _ in token() }
        let before = rssKiB()
        let learn = cpuMs(1) { for t in many { live.learn(t) } }
        print(String(format: "redaction: learning 20,000 tokens: %.0f ms (%.0f µs each), RSS +%d KiB", learn, learn * 1000 / 20_000, rssKiB() - before))
        print(String(format: "redaction: 1 MB JSON, 20,010 tokens known: %.1f ms", cpuMs { _ = live.text(clean) }))
        print(String(format: "redaction: 1 MB JSON with echoes, 20,010 tokens known: %.1f ms", cpuMs { _ = live.entry(LogEntry(seq: 0, direction: .partnerToOtter, kind: .callback, startedAt: 0, request: Message(method: "POST", url: "http://s/x", body: dirty))) }))
        let needles = tokens.flatMap { [$0, Data($0.utf8).base64EncodedString()] + [$0.utf8.map { String(format: "%02x", $0) }.joined()] }
        print(String(format: "redaction: for comparison, %d x String.replacingOccurrences over the 1 MB: %.0f ms", needles.count,
                     cpuMs(1) { var s = clean; for n in needles { s = s.replacingOccurrences(of: n, with: "<x>") }; _ = s }))
    }
}
