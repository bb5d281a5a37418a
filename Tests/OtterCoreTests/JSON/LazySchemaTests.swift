import Foundation
import OtterHarness
import TestSupport
import XCTest
@testable import OtterCore

/// Schemas compiled on first use (`JSONSchemaValidator(lazy:)`, what `OpenAPISpec.schemas` is): once each however many
/// threads ask, validating exactly as the whole document compiled at once, and JSON pointers escaped as RFC 6901 says.
final class LazySchemaTests: XCTestCase {
    func testPointerTokensAreEscapedAndReadBack() {
        XCTAssertEqual(SchemaCompiler.pointerString([]), "#")
        XCTAssertEqual(SchemaCompiler.pointerString(["$defs", "a~b", "c/d", "~1", "/~", "é/€"]), "#/$defs/a~0b/c~1d/~01/~1~0/é~1€")
        XCTAssertEqual(SchemaCompiler.pointerTokens("#/$defs/a~0b/c~1d/~01/~1~0/é~1€"), ["$defs", "a~b", "c/d", "~1", "/~", "é/€"])
        XCTAssertEqual(SchemaCompiler.pointerTokens("#/a%2Fb/c%7E1/%25"), ["a", "b", "c/", "%"], "percent-decoded before it is cut at its slashes")
        XCTAssertEqual(SchemaCompiler.pointerTokens("#"), [])
        XCTAssertNil(SchemaCompiler.pointerTokens("#defs"))

        // Every token over an alphabet dense in '~', '/', '0' and '1' survives escaping, and reads back as the two
        // replacements RFC 6901 prescribes (first ~1, then ~0) read it; percent-decoding agrees with Foundation's.
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("~/01a%2Fé")
        for _ in 0..<3000 {
            let token = String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            XCTAssertEqual(SchemaCompiler.unescapePointerToken(SchemaCompiler.escapePointerToken(token)), token)
            XCTAssertFalse(SchemaCompiler.escapePointerToken(token).contains("/"), token)
            XCTAssertEqual(SchemaCompiler.unescapePointerToken(token),
                           token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~"), token)
            XCTAssertEqual(SchemaCompiler.percentDecoded(token), token.removingPercentEncoding, token)
        }
        for odd in ["%", "%4", "%zz", "%C3", "%C3%A9", "%E2%82%AC", "a%20b", "%FF"] {
            XCTAssertEqual(SchemaCompiler.percentDecoded(odd), odd.removingPercentEncoding, odd)
        }
    }

    func testARefToANameWithSlashAndTildeResolves() throws {
        let doc: JSONValue = ["$defs": ["a/b~c": ["type": "string"], "user": ["properties": ["id": ["$ref": "#/$defs/a~1b~0c"]]]]]
        let v = try JSONSchemaValidator(lazy: doc)
        XCTAssertEqual(v.validate(["id": "x"], against: "user"), [])
        XCTAssertEqual(v.validate(["id": 1], against: "user").map(\.description), ["$.id: expected string, found number"])
        XCTAssertEqual(v.compiledSchemaNames, ["user"], "the name only referred to is compiled as part of user, not as a name")
    }

    /// Eight threads ask for the same schema at the same instant: it is compiled once, and all get the same answer.
    func testASchemaIsCompiledOnceWhenManyThreadsAskAtOnce() throws {
        let spec = try Repo.spec()
        let v = try JSONSchemaValidator(lazy: spec.schemaDocument)
        let order = try XCTUnwrap(spec.endpoints.endpoint(method: "POST", path: "/v1/orders")?.bodySchema)
        let bad: JSONValue = ["externalIdentifiers": 5, "items": [["quantity": "two"]], "currencyCode": 1]
        let threads = 8
        let results = ResultBox(threads)
        let start = DispatchSemaphore(value: 0), done = DispatchGroup()
        for k in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                start.wait()
                results.set(k, v.validate(bad, against: order))
                done.leave()
            }
        }
        for _ in 0..<threads { start.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let all = results.all
        XCTAssertFalse(all[0].isEmpty, "the body is not a valid \(order)")
        for r in all { XCTAssertEqual(r, all[0]) }
        XCTAssertEqual(v.store.compilations, 1)
        XCTAssertEqual(v.compiledSchemaNames, [order])
        XCTAssertEqual(all[0], try JSONSchemaValidator(document: spec.schemaDocument).validate(bad, against: order))
    }

    /// Threads walking every schema of the spec in different orders compile each name once.
    func testEveryNameIsCompiledOnceAcrossThreads() throws {
        let spec = try Repo.spec()
        let v = try JSONSchemaValidator(lazy: spec.schemaDocument)
        let names = v.schemaNames
        let start = DispatchSemaphore(value: 0), done = DispatchGroup()
        for k in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                start.wait()
                let mine = k % 2 == 0 ? names : names.reversed()
                for n in mine.shuffled() { _ = v.validate([:], against: n) }
                done.leave()
            }
        }
        for _ in 0..<4 { start.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(v.compiledSchemaNames, names)
        XCTAssertEqual(v.store.compilations, names.count)
    }

    /// For every schema the bundled spec has, a lazily compiled validator (each schema compiled alone, in a shuffled
    /// order) gives the same violations as the whole document compiled at once, on the spec's own examples, the webhook
    /// fixtures and values of every type.
    func testLazyValidationIsEagerValidationForEverySchemaOfTheSpec() throws {
        let spec = try Repo.spec()
        let eager = try JSONSchemaValidator(document: spec.schemaDocument)
        let lazy = try JSONSchemaValidator(lazy: spec.schemaDocument)
        XCTAssertEqual(lazy.schemaNames, eager.schemaNames)
        XCTAssertGreaterThan(eager.schemaNames.count, 200)

        var instances: [JSONValue] = [.null, true, 0, 1.5, -3, "", "x", "2026-12-02T10:00:00Z", [], [1, "a"], [:],
                                      ["id": "x", "status": "NEW", "items": [["quantity": 1]], "eventType": "orders.new_order"]]
        func collect(_ v: JSONValue) {
            if let e = v["examples"]?.arrayValue { instances += e.prefix(2) }
            if let e = v["example"] { instances.append(e) }
            for (_, child) in v.objectValue ?? JSONObject() where child.objectValue != nil || child.arrayValue != nil { collect(child) }
            for child in v.arrayValue ?? [] { collect(child) }
        }
        collect(spec.schemaDocument)
        for e in spec.endpoints.endpoints { for r in e.responses { if let x = r.example { instances.append(x) } } }
        let folder = URL(fileURLWithPath: Repo.path("Fixtures/webhooks"))
        for rel in try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap({ $0 as? String }).filter({ $0.hasSuffix(".json") }) {
            let text = try String(contentsOf: folder.appendingPathComponent(rel), encoding: .utf8)
            let body = WebhookFactory.body(fixture: text, vars: WebhookFactory.freshVars(storeId: "store-1", applicationId: "app-1"))
            let json = try JSONValue.parse(Array(body.utf8))
            instances.append(json)
            if let p = json["metadata"]?["payload"] { instances.append(p) }
        }
        XCTAssertGreaterThan(instances.count, 300)

        var compared = 0, violations = 0
        for name in eager.schemaNames.shuffled() {
            for value in instances {
                let want = eager.validate(value, against: name)
                XCTAssertEqual(lazy.validate(value, against: name), want, name)
                compared += 1
                violations += want.count
            }
        }
        XCTAssertEqual(lazy.compiledSchemaNames, eager.schemaNames)
        XCTAssertGreaterThan(violations, compared, "the instances break most schemas, so messages are compared, not just []")
    }

    /// A schema that cannot be compiled fails as the eager compilation does, and leaves nothing half-built behind for
    /// another schema that refers to the same broken part.
    func testABrokenSchemaFailsTheSameWayAndLeavesNothingBehind() throws {
        let doc: JSONValue = ["$defs": [
            "fine": ["type": "string"],
            "A": ["properties": ["b": ["$ref": "#/$defs/B"]]],
            "B": ["properties": ["n": ["minimum": "zero"]]],
            "C": ["items": ["$ref": "#/$defs/B"]],
        ]]
        var eagerError: JSONSchemaError?
        do { _ = try JSONSchemaValidator(document: doc) } catch { eagerError = error }
        let expected = try XCTUnwrap(eagerError)
        XCTAssertEqual(expected.description, #"$.$defs.B.properties.n.minimum: expected a number, found string"#)

        let v = try JSONSchemaValidator(lazy: doc)
        XCTAssertEqual(v.validate("s", against: "fine"), [])
        XCTAssertEqual(v.validate(["b": ["n": 1]], against: "A").map(\.description), ["$: schema 'A' cannot be compiled: \(expected)"])
        XCTAssertEqual(v.validate([["n": 1]], against: "C").map(\.description), ["$: schema 'C' cannot be compiled: \(expected)"],
                       "B's nodes from A's failed compilation are not reused as if complete")
        XCTAssertEqual(v.compiledSchemaNames, ["fine"])
        XCTAssertThrowsError(try v.prepare(["fine", "C"])) { XCTAssertEqual($0 as? JSONSchemaError, expected) }
        XCTAssertThrowsError(try v.prepareAll()) { XCTAssertEqual($0 as? JSONSchemaError, expected) }
        XCTAssertNoThrow(try JSONSchemaValidator(lazy: doc).prepare(["fine", "nobody"]))

        XCTAssertThrowsError(try JSONSchemaValidator(lazy: ["$defs": [1]])) {
            XCTAssertEqual(($0 as? JSONSchemaError)?.description, #"$.$defs: expected an object of schemas"#)
        }
    }
}

/// One slot per thread, written under a lock.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[SchemaViolation]]
    init(_ n: Int) { slots = Array(repeating: [], count: n) }
    func set(_ k: Int, _ v: [SchemaViolation]) { lock.lock(); slots[k] = v; lock.unlock() }
    var all: [[SchemaViolation]] { lock.lock(); defer { lock.unlock() }; return slots }
}
