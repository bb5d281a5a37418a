import Foundation
import XCTest
@testable import OtterCore

/// The byte-level checks that spare loading a checklist Foundation's regular expressions and string searches decide as
/// those did.
final class LoadingShortcutTests: XCTestCase {
    private func regex(_ s: String, _ pattern: String) -> Bool { s.range(of: pattern, options: .regularExpression) != nil }

    func testRecordIdsAndActionNamesAreCheckedAsTheRegularExpressionsCheckThem() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("AZD0-9.a_z-\nÉ")
        var accepted = 0
        for k in 0..<4000 {
            var s = String((0..<Int.random(in: 0...7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            if k % 4 == 0 { s = "DEL-0\(k % 10)" + (k % 8 == 0 ? "\n" : "") }
            if k % 4 == 1 { s = "pos.confirm_order" + (k % 8 == 1 ? "\n" : String(s.prefix(2))) }
            let id = regex(s, "^[A-Z][A-Z0-9]*-[0-9]{2,}$"), action = regex(s, "^[a-z]+\\.[a-z_]+$")
            if s.contains("\n") {
                // `$` also matches before a final line break: left to the regular expression, which still decides.
                XCTAssertFalse(IdentifierShape.isRecordId(s)); XCTAssertFalse(IdentifierShape.isActionName(s))
            } else {
                XCTAssertEqual(IdentifierShape.isRecordId(s), id, s)
                XCTAssertEqual(IdentifierShape.isActionName(s), action, s)
            }
            if id || action { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 1000)
        XCTAssertTrue(IdentifierShape.isRecordId("ORD-21")); XCTAssertFalse(IdentifierShape.isRecordId("ORD-2"))
        XCTAssertFalse(IdentifierShape.isRecordId("-21")); XCTAssertFalse(IdentifierShape.isRecordId("OR-D-21"))
        XCTAssertTrue(IdentifierShape.isActionName("pos.mark_ready")); XCTAssertFalse(IdentifierShape.isActionName("pos.mark.ready"))
        XCTAssertFalse(IdentifierShape.isActionName("_pos.x")); XCTAssertFalse(IdentifierShape.isActionName("pos."))
    }

    func testFillingATemplateKeepsWhatIsNotAPlaceholder() {
        let vars = ["id": "a\"b", "é": "ü"]
        let cases: [(String, String, [String])] = [
            ("", "", []),
            ("no braces", "no braces", []),
            ("{{id}}", #"a\"b"#, []),
            ("x{{id}}y{{id}}z", #"xa\"bya\"bz"#, []),
            ("{{{id}}}", "{{{id}}}", ["{id"]),
            ("{{id}", "{{id}", []),
            ("{{ unclosed {{id}}", "{{ unclosed {{id}}", [" unclosed {{id"]),
            ("€{{é}}€{{nope}}", "€ü€{{nope}}", ["nope"]),
            ("{{}}", "{{}}", [""]),
            ("}}{{id}}{{", #"}}a\"b{{"#, []),
        ]
        for (text, want, missing) in cases {
            let got = FixtureTemplate.fill(text, vars: vars, now: 0)
            XCTAssertEqual(got.text, want, text)
            XCTAssertEqual(got.missing, missing, text)
        }
        XCTAssertEqual(FixtureTemplate.placeholders(in: "{{a}}{{now}}{{b}}{{a}}{{now+15m}}"), ["a", "b"])
    }
}
