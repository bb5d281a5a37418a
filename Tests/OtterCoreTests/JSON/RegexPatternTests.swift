import Foundation
import XCTest
@testable import OtterCore

/// `RegexPattern` matches the simple patterns itself; its answer must be ICU's (`NSRegularExpression`) on every one.
final class RegexPatternTests: XCTestCase {
    /// Patterns the subset takes: those the checklists use, and the edges of what it reads.
    static let nativePatterns = [
        "^[A-Z]{3}$", "[A-Z]{3}", "^[A-Z]{3}", "[A-Z]{3}$", "^ORD-[0-9]{2,}$", "^[a-z]+\\.[a-z_]+$",
        "^[A-Z][A-Z0-9]*-[0-9]{2,}$", "^a?b*c+$", "a{0}", "^a{2,3}$", "^$", "^", "$", "a", "Z9",
        "^[-a]$", "^[a-]$", "^[a\\-z]$", "^[.]$", "^\\.$", "^\\$$", "a\\$", "^[0-9a-fA-F]{4}$", "^x y$",
        "^[_a-z0-9]+@[a-z]+$", "/v1/[a-z]+", "^[+*?()|]$", "^\\\\$",
    ]
    /// Patterns it leaves to ICU: a wrong answer there would be worse than the set-up time.
    static let icuPatterns = [
        "^(A|B)$", "^.$", "\\d+", "(?i)abc", "[^A-Z]", "a*?", "a++", "[[:alpha:]]", "[a-z&&[^c]]", "[a--c]",
        "é", "^[{ab}]$", "a{1000}", "[ ]", "[:]", "\\w", "a|b",
    ]

    /// Strings made of the characters where the two could differ: the class edges, line terminators, non-ASCII.
    static let samples: [String] = {
        let alphabet = ["A", "Z", "a", "z", "0", "9", "-", "_", ".", "$", "\\", " ", "\n", "\r", "\u{85}", "\u{2028}",
                        "\u{0B}", "é", "😀", "ORD", "ABC"]
        var out = [""]
        var level = [""]
        for _ in 0..<3 {
            level = level.flatMap { p in alphabet.map { p + $0 } }
            out += level
        }
        return out + ["ORD-01", "ORD-123", "ORD-1", "a.b_c", "ABC\n", "ABC\r\n", "ABC\n\n", "ABCD", "x@y", "/v1/orders",
                      "ab", "aab", "aaab", "abbbc", "ac", "bc", "0123", "dead", "DEAD", "de:ad"]
    }()

    func testTheSubsetAnswersAsICUDoesOnEverySample() throws {
        var compared = 0
        for p in Self.nativePatterns {
            let pattern = try XCTUnwrap(RegexPattern(p), p)
            XCTAssertTrue(pattern.isNative, "\(p) should be matched without ICU")
            let icu = try NSRegularExpression(pattern: p)
            for s in Self.samples {
                let expected = icu.firstMatch(in: s, range: NSRange(location: 0, length: s.utf16.count)) != nil
                XCTAssertEqual(pattern.matches(s), expected, "pattern \(p.debugDescription) on \(s.debugDescription)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 100_000)
    }

    func testWhatTheSubsetDoesNotReadGoesToICU() throws {
        for p in Self.icuPatterns {
            let pattern = try XCTUnwrap(RegexPattern(p), p)
            XCTAssertFalse(pattern.isNative, "\(p) must be left to ICU")
            let icu = try NSRegularExpression(pattern: p)
            for s in Self.samples.prefix(2000) {
                XCTAssertEqual(pattern.matches(s), icu.firstMatch(in: s, range: NSRange(location: 0, length: s.utf16.count)) != nil, p)
            }
        }
    }

    func testAnInvalidPatternIsNil() {
        for p in ["", "[A-Z", "a{2,1}", "(", "a{", "\\", "*a", "[z-a]"] {
            XCTAssertNil(RegexPattern(p), p)
            XCTAssertThrowsError(try NSRegularExpression(pattern: p), "ICU should refuse \(p) too")
        }
    }
}
