import XCTest
@testable import OtterCore
import TestSupport

/// The direct decoder of common log lines gives exactly what the tree decoder gives: the same entry, or (by falling
/// back to it) the same error.
final class LogLineDecoderTests: XCTestCase {
    /// What decoding `line` gives, as text: the entry encoded with its exact times, or the error.
    private func outcome(_ line: String, tree: Bool) -> String {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { raw in
            let buffer = UnsafeRawBufferPointer(raw)
            do {
                let e = tree ? try LogCodec.decodeTree(line: buffer, lineNumber: 7) : try LogCodec.decode(line: buffer, lineNumber: 7)
                return "\(e.startedAt.bitPattern) \(e.durationMs.bitPattern) \(e.headersShown) " + LogCodec.encode(e)
            } catch { return "error: \(error)" }
        }
    }

    private func direct(_ line: String) -> LogEntry? {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { JSONParser.decodeLogEntry(UnsafeRawBufferPointer($0), lineNumber: 7) }
    }

    func testEveryLineOfTheRecordedRunsDecodesAsThroughTheTree() throws {
        var direct = 0, all = 0
        for type in [IntegrationType.delivery, .pos, .orders] {
            for line in try Repo.passingLog(type) {
                all += 1
                XCTAssertEqual(outcome(line, tree: false), outcome(line, tree: true), line)
                if self.direct(line) != nil { direct += 1 }
            }
        }
        // Every exchange line of the recorded runs is of the common shape; the run and action lines are not.
        XCTAssertGreaterThan(direct, all * 8 / 10, "\(direct) of \(all) lines decoded directly")
    }

    func testUnusualAndMalformedLinesDecodeAsThroughTheTree() {
        let t = #""startedAt":"2026-11-29T10:00:00.010Z""#
        let req = #""request":{"method":"POST","url":"http://x/webhook","headers":[["A","1"],["b","2"]],"body":"{\"a\":1}"}"#
        let lines = [
            #"{"v":1,"seq":3,"kind":"webhook",\#(t),\#(req)}"#,
            #"  { "v" : 1 , "seq" : 3 , "kind" : "webhook" , \#(t) , \#(req) }  "#,
            #"{"kind":"webhook",\#(t),\#(req),"response":{"status":200,"headers":[],"body":""}}"#,
            #"{"kind":"callback",\#(t),\#(req),"dir":"otter->partner","tags":["x","y"],"attempt":2,"record":"R","step":"s"}"#,
            #"{"kind":"end",\#(t),"record":"DEL-01","tags":["passed"]}"#,
            #"{"kind":"webhook",\#(t)}"#,
            #"{"kind":"webhook",\#(t),\#(req),"extra":{"deep":[1,2,{"x":null}]},"more":true}"#,
            #"{"kind":"webhook","kind":"callback",\#(t),\#(req)}"#,
            #"{"\u006bind":"webhook",\#(t),\#(req)}"#,
            #"{"seq":3.5,"kind":"webhook",\#(t),\#(req)}"#,
            #"{"seq":"3","kind":"webhook",\#(t),\#(req)}"#,
            #"{"v":2,"kind":"webhook",\#(t),\#(req)}"#,
            #"{"v":1.0,"kind":"webhook",\#(t),\#(req)}"#,
            #"{"kind":"webhook",\#(t),\#(req),}"#,
            #"{"kind":"webhook",\#(t),\#(req)} x"#,
            #"{"kind":"webhook",\#(t),\#(req)"#,
            #"{"kind":"webhook","startedAt":"noon",\#(req)}"#,
            #"{"kind":"webhook",\#(t),"dir":"sideways",\#(req)}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST"}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","headers":[["a","b","c"]]}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","headers":[["a",1]]}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","headers":[["a","b"],]}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","body":7}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","bodyBase64":"eyJhIjoxfQ=="}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","body":"ab","bodyTruncated":true,"bodySize":9,"bodySha256":"\#(String(repeating: "a", count: 64))"}}"#,
            #"{"kind":"webhook",\#(t),\#(req),"response":{"status":99}}"#,
            #"{"kind":"webhook",\#(t),\#(req),"response":{"status":200.5}}"#,
            #"{"kind":"webhook",\#(t),\#(req),"response":{"method":"GET","status":204,"url":"x"}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","status":3,"body":"caf\u00e9 \ud83d\ude00 \"q\""}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","body":"\ud83d"}}"#,
            #"{"kind":"webhook",\#(t),"request":{"method":"POST","url":"u","body":"tab\#tin"}}"#,
            #"{"kind":"callback",\#(t),\#(req),"error":{"kind":"timeout","message":"slow"}}"#,
            #"{"kind":"harness",\#(t),"record":"DEL-01"}"#,
            #"{"kind":"run",\#(t),"run":{"integrationType":"delivery"}}"#,
            #"{"kind":"webhook",\#(t),\#(req),"tags":["a",1]}"#,
            #"{"kind":"webhook",\#(t),\#(req),"durationMs":1e400}"#,
            #"{"kind":"webhook",\#(t),\#(req),"durationMs":-0.25,"attempt":01}"#,
            #"{}"#, #"[]"#, #""#, #"{"#,
        ]
        for line in lines {
            XCTAssertEqual(outcome(line, tree: false), outcome(line, tree: true), line)
        }
        // The common shapes are the direct decoder's own (else this test would compare the tree with itself).
        XCTAssertNotNil(direct(lines[0]))
        XCTAssertNotNil(direct(lines[1]))
        XCTAssertNotNil(direct(lines[3]))
        XCTAssertNotNil(direct(lines[4]))
        XCTAssertNotNil(direct(lines[6]))
        XCTAssertNil(direct(lines[7]), "a repeated key is the tree decoder's")
        XCTAssertNil(direct(lines[14]), "trailing data is an error")
    }
}

private extension LogEntry {
    /// Headers as decoded (the encoding writes them too; this also shows the request and response apart).
    var headersShown: String {
        "\(request?.headers.map { "\($0.name)=\($0.value)" } ?? []) \(response?.headers.map { "\($0.name)=\($0.value)" } ?? [])"
    }
}
