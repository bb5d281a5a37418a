import XCTest
@testable import OtterHTTP

/// The `text/event-stream` framing, read back with the client's algorithm of the HTML standard (§9.2.6).
final class ServerSentEventsTests: XCTestCase {
    /// The events a client dispatches from a stream: (type, data, last event id).
    func parse(_ stream: String) -> [(type: String, data: String, id: String)] {
        var out: [(String, String, String)] = []
        var type = "", data = "", id = ""
        var lines: [String] = []
        var cur = ""
        var lastCR = false
        for ch in stream.unicodeScalars {
            if ch == "\n" { if !lastCR { lines.append(cur); cur = "" }; lastCR = false; continue }
            if ch == "\r" { lines.append(cur); cur = ""; lastCR = true; continue }
            lastCR = false
            cur.unicodeScalars.append(ch)
        }
        for line in lines {
            if line.isEmpty {
                if !data.isEmpty {
                    if data.hasSuffix("\n") { data.removeLast() }
                    out.append((type.isEmpty ? "message" : type, data, id))
                }
                type = ""; data = ""
                continue
            }
            if line.hasPrefix(":") { continue }
            var field = line, value = ""
            if let c = line.firstIndex(of: ":") {
                field = String(line[..<c])
                value = String(line[line.index(after: c)...])
                if value.hasPrefix(" ") { value.removeFirst() }
            }
            switch field {
            case "event": type = value
            case "data": data += value + "\n"
            case "id": if !value.contains("\u{0}") { id = value }
            default: break
            }
        }
        return out
    }

    func testMultiLineDataRoundTrips() {
        let html = "<div id=\"live\">\nline two\r\nline three\rline four\n\n<p>after a blank line</p>"
        let frame = ServerSentEvents.frame(event: "update", id: "7", data: html)
        XCTAssertTrue(frame.hasSuffix("\n\n"))
        XCTAssertFalse(frame.contains("\r"), "every line ending in the data becomes its own data: line")
        let events = parse(frame)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.type, "update")
        XCTAssertEqual(events.first?.id, "7")
        XCTAssertEqual(events.first?.data, html.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n"))
    }

    func testEventNameAndIdCannotBreakTheFrame() {
        let frame = ServerSentEvents.frame(event: "up\ndata: forged\n\ndate", id: "1\r\n\u{0}2", data: "x")
        let events = parse(frame)
        XCTAssertEqual(events.count, 1, frame)
        XCTAssertEqual(events.first?.data, "x")
        XCTAssertEqual(events.first?.type, "updata: forgeddate")
        XCTAssertEqual(events.first?.id, "12")
    }

    func testSeveralEventsCommentsAndTrailingNewline() {
        let stream = ServerSentEvents.retry(milliseconds: 2000) + ServerSentEvents.frame(data: "a\n")
            + ServerSentEvents.comment("still\nhere") + ServerSentEvents.frame(event: "final", data: "b")
        let events = parse(stream)
        XCTAssertEqual(events.map(\.type), ["message", "final"])
        XCTAssertEqual(events.map(\.data), ["a\n", "b"])
        XCTAssertEqual(ServerSentEvents.comment("still\nhere"), ": stillhere\n\n")
    }

    func testEmptyDataIsOneEmptyDataLine() {
        XCTAssertEqual(ServerSentEvents.frame(data: ""), "data: \n\n")
    }
}
