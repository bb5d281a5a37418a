import Foundation
import OtterCore
import OtterCrypto
import OtterHarness
import XCTest

/// How the sandbox logs large bodies and floods of identical unauthenticated requests (docs/event-log.md).
final class SandboxFloodTests: XCTestCase {
    /// Ten identical 300 KB posts without a token: three lines with the body's first 256 KiB, its size and SHA-256,
    /// then one `repeats` line counting the other seven, written when the record changes. A post with another body is
    /// a flood of its own; authenticated calls are never counted.
    func testAFloodIsLoggedThreeTimesThenCounted() throws {
        let rig = try SandboxRig()
        rig.sandbox.setActiveRecord("DEL-04", step: "trigger")
        let body = "{\"pad\":\"" + String(repeating: "p", count: 300_000) + "\"}"
        for _ in 0..<10 {
            XCTAssertEqual(rig.quote(token: nil, eventId: nil, body: body).status, 401)
        }
        XCTAssertEqual(rig.quote(token: "not-issued", eventId: nil, body: body).status, 401)  // another answer: another flood
        var lines = rig.fileEntries()
        XCTAssertEqual(lines.count, 4, "three copies of the first flood, one of the second; the counts are not written yet")
        let sha = Digest.hex(Digest.sha256(Array(body.utf8)))
        for e in lines {
            XCTAssertEqual(e.request?.truncated, TruncatedBody(size: body.utf8.count, sha256: sha))
            XCTAssertEqual(e.request?.body.utf8.count, Message.bodyLogCap)
        }
        rig.sandbox.setActiveRecord("DEL-05", step: "trigger")  // a record change writes the pending counts
        lines = rig.fileEntries()
        XCTAssertEqual(lines.count, 5)
        let count = try XCTUnwrap(lines.last)
        XCTAssertEqual(count.kind, .repeats)
        XCTAssertEqual(count.record, "DEL-04")
        XCTAssertEqual(count.repeats?.of, lines[0].seq)
        XCTAssertEqual(count.repeats?.count, 7)
        XCTAssertGreaterThanOrEqual(count.repeats?.lastAt ?? 0, count.startedAt)

        // In the next record the same flood is logged three times again; authenticated calls are logged every time.
        for _ in 0..<4 { XCTAssertEqual(rig.quote(token: nil, eventId: nil, body: body).status, 401) }
        for _ in 0..<4 { XCTAssertEqual(rig.tokenResponse().status, 200) }
        rig.sandbox.stop()
        lines = rig.fileEntries()
        XCTAssertEqual(lines.filter { $0.record == "DEL-05" && $0.kind == .callback }.count, 3)
        XCTAssertEqual(lines.filter { $0.kind == .token }.count, 4)
        XCTAssertEqual(lines.last?.kind, .repeats, "stopping the sandbox writes the last count")
        XCTAssertEqual(lines.last?.repeats?.count, 1)
    }

    /// A callback with a valid token gets its whole body read and validated (the server keeps it, up to 1 MiB);
    /// the log still holds only its first 256 KiB, with size and hash.
    func testAnAuthenticatedLargeBodyIsValidatedWholeAndLoggedInPart() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        // The field that breaks the schema comes after 400 KB: only a body read whole can be found invalid.
        let body = #"{"currencyCode":"USD","pad":""# + String(repeating: "q", count: 400_000) + #"","minPickupDuration":"ten"}"#
        let r = rig.quote(token: token, eventId: rig.announce(), body: body)
        XCTAssertEqual(r.status, 422, "validated against the schema as a whole: \(r.text)")
        XCTAssertTrue(r.text.contains("minPickupDuration"), r.text)
        let line = try XCTUnwrap(rig.fileEntries().last)
        XCTAssertEqual(line.request?.truncated?.size, body.utf8.count)
        XCTAssertEqual(line.request?.truncated?.sha256, Digest.hex(Digest.sha256(Array(body.utf8))))
        XCTAssertTrue(line.request?.body.hasPrefix(#"{"currencyCode":"USD""#) == true)
    }

    /// A token request too large to be a client-credentials form is 413 (only its first 256 KiB were kept).
    func testAnOversizedTokenRequestIs413() throws {
        let rig = try SandboxRig()
        let form = "grant_type=client_credentials&client_id=\(SandboxRig.clientId)&client_secret=\(SandboxRig.clientSecret)&pad=" + String(repeating: "z", count: 300_000)
        let r = rig.send("POST", "/v1/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        XCTAssertEqual(r.status, 413, r.text)
        XCTAssertEqual(r.json?["error"]?.stringValue, "content_too_large")
    }
}
