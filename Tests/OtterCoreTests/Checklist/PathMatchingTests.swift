import Foundation
@testable import OtterCore
import TestSupport
import XCTest

/// The evaluator's byte-level path work: which endpoint (and so which scope) a logged call is judged against, the
/// ids its path carries, its headers. Each is checked against the Foundation code it replaced, on real Otter paths.
final class PathMatchingTests: XCTestCase {
    /// A template matched as it was: the path cut at its `/` Characters, segment by segment.
    private func cutMatch(_ t: PathTemplate, _ path: String, bound: [String: String] = [:]) -> [String: String]? {
        if t.matchesAll { return [:] }
        guard path.hasPrefix("/") else { return nil }
        return t.match(parts: path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(), bound: bound)
    }

    /// The endpoint lookup as it was: every template of the method tried in turn, the one with the most literal
    /// segments kept (the first in spec order among equals).
    private func reference(_ table: EndpointTable, _ method: String, _ path: String) -> EndpointTable.Endpoint? {
        var best: (EndpointTable.Endpoint, Int)?
        for e in table.endpoints where e.method == method {
            guard cutMatch(e.path, path) != nil else { continue }
            let literals = e.path.segments.filter { if case .literal = $0 { return true } else { return false } }.count
            if best == nil || literals > best!.1 { best = (e, literals) }
        }
        return best?.0
    }

    private func pathOf(_ url: String) -> String { Message(method: "GET", url: url).path }

    func testRealOtterCallsFindTheirOperationAndScope() throws {
        let table = try Repo.spec().endpoints
        let cases: [(String, String, String, String)] = [
            ("PUT", "https://api.tryotter.com/v1/delivery/650efaf3-db8c-4ba5-aca1-780f678e96b7/status", "updateDeliveryStatus", "delivery.provider"),
            ("POST", "http://127.0.0.1:9200/v1/delivery/4190459a-c6a2-4516-ad46-ff3e915a3e8c/quotes", "requestDeliveryQuoteCallback", "delivery.provider"),
            // A percent-encoded id (an escaped slash stays inside its segment), and a query string and fragment.
            ("POST", "http://127.0.0.1:9200/v1/delivery/ref%2F42%20x/accept?trace=1#top", "acceptDeliveryCallback", "delivery.provider"),
            // Literal segments win: `callback` is not a delivery reference id here.
            ("POST", "http://127.0.0.1:9200/v1/delivery/callback/error", "deliveryCallbackError", "callback.error.write"),
            ("POST", "/manager/order/v1/sources/ubereats/orders/order%E2%82%AC1/confirm", "requestOrderConfirmation", "manager.orders"),
            ("GET", "https://api.tryotter.com/v1/ping?x=1", "ping", "ping"),
        ]
        for (method, url, operation, scope) in cases {
            let found = try XCTUnwrap(table.endpoint(method: method, path: pathOf(url)), "\(method) \(url)")
            XCTAssertEqual(found.operationId, operation, "\(method) \(url)")
            XCTAssertEqual(found.scope, scope, "\(method) \(url)")
            XCTAssertEqual(found.operationId, reference(table, method, pathOf(url))?.operationId)
        }
        // Not endpoints: a trailing slash, an empty id, a missing segment, another method, no leading slash.
        for (method, path) in [("PUT", "/v1/delivery/d-1/status/"), ("PUT", "/v1/delivery//status"), ("PUT", "/v1/delivery/status"),
                               ("DELETE", "/v1/delivery/d-1/status"), ("PUT", "v1/delivery/d-1/status"), ("PUT", "")] {
            XCTAssertNil(table.endpoint(method: method, path: path), "\(method) \(path)")
        }
    }

    func testTheIndexedLookupAgreesWithTryingEveryTemplate() throws {
        let table = try Repo.spec().endpoints
        // Every template of the spec filled with ids plain, escaped, empty and non-ASCII, with a slash added or
        // taken away, under every method.
        let fills = ["d-1", "ref%2F42", "%E2%82%AC", "%zz", "", "caf\u{E9}", "a%", "/", "K\u{212A}"]
        var paths: Set<String> = ["/", "//", "/v1", "/v1/", "*", "", "/\u{301}v1/ping"]
        for e in table.endpoints {
            for f in fills {
                let p = e.path.expand(Dictionary(uniqueKeysWithValues: e.path.variables.map { ($0, f) }))
                paths.insert(p); paths.insert(p + "/"); paths.insert(String(p.dropLast()))
                paths.insert(p.replacingOccurrences(of: "/v1/", with: "/V1/"))
            }
        }
        let methods = Set(table.endpoints.map(\.method)).union(["get", "HEAD"])
        var found = 0
        for m in methods {
            for p in paths {
                let fast = table.endpoint(method: m, path: p)
                XCTAssertEqual(fast?.operationId, reference(table, m, p)?.operationId, "\(m) \(p)")
                if fast != nil { found += 1 }
            }
        }
        XCTAssertGreaterThan(found, table.endpoints.count, "most filled templates are endpoints")
        // Each template matched in place captures what the cut path captured, with and without bound variables.
        var captured = 0
        for e in table.endpoints {
            for p in paths {
                let got = e.path.match(p, bound: [:])
                XCTAssertEqual(got, cutMatch(e.path, p), "\(e.path.text) \(p)")
                if let got, !got.isEmpty { captured += 1 }
                for v in ["d-1", "ref/42"] {
                    let b = Dictionary(uniqueKeysWithValues: e.path.variables.map { ($0, v) })
                    XCTAssertEqual(e.path.match(p, bound: b), cutMatch(e.path, p, bound: b), "\(e.path.text) \(p) \(b)")
                }
            }
        }
        XCTAssertGreaterThan(captured, 100)
        // A table changed after it was made is indexed again.
        var changed = table
        changed.endpoints.removeAll { $0.method == "PUT" }
        XCTAssertNil(changed.endpoint(method: "PUT", path: "/v1/delivery/d-1/status"))
        XCTAssertNotNil(table.endpoint(method: "PUT", path: "/v1/delivery/d-1/status"))
    }

    func testASegmentIsDecodedAsFoundationDecodesIt() {
        var samples = ["abc", "a%20b", "%2F", "ref%2F42%20x", "%E2%82%AC1", "%e2%82%ac", "%", "%2", "%zz", "a%2", "%C3", "%C3%28",
                       "%FF", "%00", "100%", "caf\u{E9}%21", "%%41", "%41%", "", "\u{1F9A6}%F0%9F%A6%A6", "%ED%A0%80"]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("%0123456789abcdefABCDEFgz-_.~é€") + ["%C3", "%A9", "%E2", "%82", "%AC", "%80"].flatMap { Array($0) }
        for _ in 0..<3000 {
            samples.append(String((0..<Int.random(in: 0...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for s in samples {
            XCTAssertEqual(PathBytes.percentDecoded(Substring(s)), s.removingPercentEncoding, "'\(s)'")
        }
        // What a template variable captures: decoded, or as written when it does not decode.
        let t = try! PathTemplate("/v1/delivery/{deliveryReferenceId}/status")
        XCTAssertEqual(t.match("/v1/delivery/ref%2F42/status", bound: [:]), ["deliveryReferenceId": "ref/42"])
        XCTAssertEqual(t.match("/v1/delivery/50%25off/status", bound: [:]), ["deliveryReferenceId": "50%off"])
        XCTAssertEqual(t.match("/v1/delivery/100%/status", bound: [:]), ["deliveryReferenceId": "100%"])
        XCTAssertNil(t.match("/v1/delivery/d-1/status", bound: ["deliveryReferenceId": "d-2"]))
    }

    func testTheURLPathIsCutAsBefore() {
        // The character-level cut (the code the byte scan replaced, kept for non-ASCII URLs) is the oracle.
        let old = PathBytes.characterPath(ofURL:)
        let urls = ["https://api.tryotter.com/v1/delivery/d-1/status", "http://127.0.0.1:9200/v1/orders?limit=5", "http://host",
                    "http://host?x=1/y", "http://host/#frag", "/v1/ping", "/v1/ping?x", "v1/ping", "", "://", "a://b://c/d",
                    "http://h:1/a%2Fb/c?d#e", "https://h/caf\u{E9}/x", "http://h/\u{301}x", "https://user:pw@h/p", "http:/h/p",
                    "http://h/p\r\n?x"]
        for u in urls { XCTAssertEqual(pathOf(u), old(u), "'\(u)'") }
        XCTAssertEqual(pathOf("https://api.tryotter.com/v1/delivery/d-1/status?x=1"), "/v1/delivery/d-1/status")
    }

    func testHeadersAreFoundWhateverTheirCase() {
        let m = Message(method: "POST", url: "/v1/x", headers: [("Content-Type", "application/json"), ("x-event-id", "e-1"),
                                                              ("X-EVENT-ID", "e-2"), ("Stra\u{DF}e", "s"), ("X-Id\u{E9}", "acc")])
        XCTAssertEqual(m.header("X-Event-Id"), "e-1", "the first of a repeated header")
        XCTAssertEqual(m.header("content-type"), "application/json")
        XCTAssertNil(m.header("Content-Typ"))
        XCTAssertNil(m.header("X-Event-Ie"))
        // '@' and '`' differ from letters by the case bit only: they are not letters.
        XCTAssertNil(Message(headers: [("a@", "1")]).header("a`"))
        // Names beyond ASCII are compared as Foundation compares them.
        for (a, b) in [("Stra\u{DF}e", "STRASSE"), ("X-Id\u{E9}", "x-ID\u{C9}"), ("X-Id\u{E9}", "X-Ide\u{301}"), ("K", "\u{212A}")] {
            XCTAssertEqual(PathBytes.sameHeaderName(a, b), a.caseInsensitiveCompare(b) == .orderedSame, "\(a) / \(b)")
        }
        XCTAssertEqual(m.header("x-id\u{C9}"), "acc")
    }
}
