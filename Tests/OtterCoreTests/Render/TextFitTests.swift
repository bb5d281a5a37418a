import OtterCore
import XCTest

final class TextFitTests: XCTestCase {
    func testALongLineIsCutInTheMiddleKeepingBothEnds() {
        let line = "[4/12] DEL-04 waiting for POST /v1/delivery/0b7e2f9c-3d1a-4c55-9a0e-5b6f1d2e3c4a/quotes · 27 s left · 0:41"
        let cut = TextFit.middle(line, width: 79)
        XCTAssertEqual(cut.count, 79)
        XCTAssertTrue(cut.hasPrefix("[4/12] DEL-04 waiting for POST /v1/deli"), cut)
        XCTAssertTrue(cut.hasSuffix("27 s left · 0:41"), cut)
        XCTAssertTrue(cut.contains("…"))
        XCTAssertEqual(TextFit.middle("short", width: 79), "short")
        XCTAssertEqual(TextFit.middle("abcdef", width: 1), "…")
    }

    func testAReasonWrapsUnderItsOwnIndent() {
        let text = "nothing forbidden arrived within 5 s but the quote callback was answered 422 because the body is not a valid RequestDeliveryQuoteCallbackRequest"
        let wrapped = TextFit.wrap(text, width: 40, lead: "      └ ", indent: 8)
        let lines = wrapped.split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("      └ nothing"), lines[0])
        for l in lines { XCTAssertLessThanOrEqual(l.count, 40, l) }
        for l in lines.dropFirst() { XCTAssertTrue(l.hasPrefix("        ") && l.dropFirst(8).first != " ", l) }
        XCTAssertEqual(wrapped.filter { !$0.isWhitespace }.replacingOccurrences(of: "└", with: ""), text.filter { !$0.isWhitespace }, "no word lost")
        // A word longer than a line is cut, not lost.
        let long = TextFit.wrap(String(repeating: "x", count: 70), width: 30, lead: "", indent: 4)
        XCTAssertEqual(long.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " ", with: ""), String(repeating: "x", count: 70))
    }
}
