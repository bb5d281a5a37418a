import Foundation
import XCTest
@testable import OtterCore

/// Throughput figures for the parser and serializer; runs only with OTTER_BENCH=1 and asserts nothing about timing.
final class JSONBenchmarkTests: XCTestCase {
    static let sampleLine = #"{"seq":1234,"ts":"2024-05-01T12:34:56.789Z","dir":"in","kind":"webhook","method":"POST","path":"/webhook","headers":{"content-type":"application/json","x-hmac-sha256":"3q2+7w==abcdefabcdefabcdefabcdefabcdefabcdef"},"body":{"eventId":"0f8fad5b-d9cb-469f-a165-70867728950e","eventTime":"2024-05-01T12:34:56Z","eventType":"delivery.request_quote","metadata":{"storeId":"755fd19a-7562-487a-b615-171a9f89d669","applicationId":"e22f94b3-967c-4e26-bf39-9e364066b68b","resourceId":"bf9f1d81","payload":{"currencyCode":"USD","pickupAddress":{"fullAddress":"123 Main St, Springfield","lat":37.7749,"lng":-122.4194},"orderSubTotal":23.5,"items":[{"name":"Burger \u00e9","qty":2,"price":9.75}]}}}}"#

    func testParseThroughput() throws {
        guard ProcessInfo.processInfo.environment["OTTER_BENCH"] == "1" else {
            throw XCTSkip("set OTTER_BENCH=1 to run the JSON benchmark")
        }
        let line = Array(Self.sampleLine.utf8)
        XCTAssertNoThrow(try JSONValue.parse(line))
        let iterations = 200_000
        var checksum = 0
        let t0 = Date()
        line.withUnsafeBytes { raw in
            for _ in 0..<iterations {
                if case .object(let o) = try! JSONValue.parse(raw) { checksum &+= o.count }
            }
        }
        let dt = Date().timeIntervalSince(t0)
        let mb = Double(line.count * iterations) / 1_000_000
        print(String(format: "JSON parse: %d lines of %d bytes in %.3f s = %.1f MB/s (%.0f lines/s) [checksum %d]",
                     iterations, line.count, dt, mb / dt, Double(iterations) / dt, checksum))

        let value = try JSONValue.parse(line)
        var total = 0
        let t1 = Date()
        for _ in 0..<iterations { total &+= value.serializedBytes().count }
        let dt1 = Date().timeIntervalSince(t1)
        print(String(format: "JSON serialize: %.1f MB/s", Double(total) / 1_000_000 / dt1))
    }
}
