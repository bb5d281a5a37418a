import Foundation
import OtterCore
import TestSupport
import XCTest

/// The HAR reader reads a capture as it arrives, an entry at a time: whatever the chunking it reads what reading the
/// whole file reads, it says where a broken capture is broken as the JSON parser says it for the whole file, and it
/// holds one entry at a time, not the capture.
final class HARStreamReaderTests: XCTestCase {
    let redactor = Redactor(salt: "t")

    func capture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("Fixtures/har/mitmproxy/\(name)/capture.har"))))
    }

    /// Reads `bytes` fed in chunks of the given sizes (cycled); the entries (with their exact times) and the summary.
    func read(_ bytes: [UInt8], chunks: [Int], maxEntryBytes: Int = 128 << 20) throws(LogError) -> (entries: [String], summary: HARImport, peak: Int) {
        var reader = HARStreamReader(redactor: redactor, maxEntryBytes: maxEntryBytes)
        var out: [LogEntry] = []
        var at = 0, k = 0, peak = 0
        while at < bytes.count {
            let n = min(chunks[k % chunks.count], bytes.count - at)
            k += 1
            let r: Result<[LogEntry], LogError> = bytes.withUnsafeBytes { raw in
                do throws(LogError) { return .success(try reader.feed(UnsafeRawBufferPointer(rebasing: raw[at..<at + n]))) } catch { return .failure(error) }
            }
            out += try r.get()
            peak = max(peak, reader.bufferedBytes)
            at += n
        }
        out += try reader.finish()
        return (out.map { LogCodec.encode($0) + " \($0.startedAt.bitPattern) \($0.durationMs.bitPattern)" }, reader.summary, peak)
    }

    func error(_ bytes: [UInt8], chunks: [Int]) -> String? {
        do { _ = try read(bytes, chunks: chunks); return nil } catch { return error.description }
    }

    func testEveryCommittedCaptureReadsTheSameWhateverTheChunks() throws {
        for name in ["delivery", "delivery--wrong-event-id", "orders", "orders--bad-totals", "pos", "pos--skip-callback"] {
            let bytes = try capture(name)
            let whole = try HARImporter.read(bytes, redactor: redactor)
            let expected = whole.entries.map { LogCodec.encode($0) + " \($0.startedAt.bitPattern) \($0.durationMs.bitPattern)" }
            XCTAssertGreaterThan(expected.count, 30, name)
            // Byte by byte for one capture (the slowest), in odd and usual chunk sizes for all.
            for chunks in (name == "pos" ? [[1]] : []) + [[bytes.count], [7, 1, 4096], [65536], [3, 500, 2, 9000]] {
                let got = try read(bytes, chunks: chunks)
                XCTAssertEqual(got.entries, expected, "\(name) in chunks of \(chunks)")
                XCTAssertEqual(got.summary.unclassified, whole.unclassified)
                XCTAssertEqual(got.summary.warnings, whole.warnings)
            }
        }
    }

    func testMembersAroundTheEntriesAreValidatedAndLeftOut() throws {
        let entry = String(decoding: try HARFixtures.quoteCapture(), as: UTF8.self)
        let entries = try XCTUnwrap(JSONValue.parse(entry)["log"]?["entries"]).serialized()
        // Names that look like the ones the reader follows, inside members it does not: never mistaken for them.
        let doc = """
        {"_tool": {"log": {"entries": [1, 2]}}, "log": {"version": "1.2", "pages": [{"id": "p", "entries": ["x"], "title": "a \\"log\\" ]}"}],
         "creator": {"name": "mitmproxy", "version": "11.0.2"}, "entries": \(entries), "comment": "{[", "_extra": [[], {}, null, true, -1.5e3]},
         "trailer": "}"}
        """
        let got = try read(Array(doc.utf8), chunks: [5])
        XCTAssertEqual(got.entries.count, 3, "token, webhook and callback; the favicon left out")
        XCTAssertEqual(got.summary.unclassified, 1)
        // A broken member is an error even though it is dropped.
        let broken = doc.replacingOccurrences(of: #""version": "11.0.2"}"#, with: #""version": 11.0.2.}"#)
        let whole = Result { try JSONValue.parse(broken) }
        guard case .failure(let e as JSONParseError) = whole else { return XCTFail("the edit left valid JSON") }
        XCTAssertEqual(e.line, 2)
        XCTAssertEqual(error(Array(broken.utf8), chunks: [64]), "line 2: not a HAR file (invalid JSON): \(e.description)")
    }

    func testSyntaxErrorsAreWhereTheParserFindsThemInTheWholeFile() throws {
        let pretty = try capture("delivery")
        // One line, as some tools write it: columns then run far along the line.
        let minified = Array(try JSONValue.parse(pretty).serialized().utf8)
        func edits(_ bytes: [UInt8]) -> [(String, [UInt8])] {
            let text = String(decoding: bytes, as: UTF8.self)
            func replacing(_ a: String, _ b: String, nth: Int = 0) -> [UInt8] {
                var ranges: [Range<String.Index>] = []
                var from = text.startIndex
                while let r = text.range(of: a, range: from..<text.endIndex) { ranges.append(r); from = r.upperBound }
                XCTAssertGreaterThan(ranges.count, nth, "no \(a) to replace")
                guard !ranges.isEmpty else { return bytes }
                return Array(text.replacingCharacters(in: ranges[min(nth, ranges.count - 1)], with: b).utf8)
            }
            // The entries array is the document's last: a comma after its last element.
            let close = bytes.lastIndex(of: UInt8(ascii: "]"))!
            let lastElement = bytes[..<close].lastIndex { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }!
            // The comma before the 20th entry, left out.
            let twentieth = text.ranges(of: #""startedDateTime""#)[19].lowerBound
            let comma = text[..<twentieth].lastIndex(of: ",")!
            var noComma = text
            noComma.remove(at: comma)
            // The value of the nth "ssl" timing (-1.0, or -1 on one line) replaced.
            func ssl(_ nth: Int, _ b: String) -> [UInt8] {
                let key = text.ranges(of: #""ssl":"#)[nth].upperBound
                let start = text[key...].firstIndex { $0 != " " }!
                let end = text[start...].firstIndex { !"-0123456789.eE+".contains($0) }!
                return Array(text.replacingCharacters(in: start..<end, with: b).utf8)
            }
            var badUTF8 = bytes
            badUTF8[text.utf8.distance(from: text.utf8.startIndex, to: text.range(of: "ping.ping")!.lowerBound)] = 0xFF
            return [
                ("a member without its colon", replacing(#""method":"#, #""method" "#, nth: 5)),
                ("a trailing comma in the entries", Array(bytes[...lastElement]) + [UInt8(ascii: ",")] + Array(bytes[(lastElement + 1)...])),
                ("an invalid escape", replacing(#"\""#, #"\x"#, nth: 40)),
                ("a raw tab in a string", replacing("ping.ping", "ping\tping")),
                ("invalid UTF-8", badUTF8),
                ("data after the document", bytes + Array(" {}".utf8)),
                ("a bracket closing the wrong container", replacing("[]", "[}", nth: 9)),
                ("a number with more after it", ssl(7, "-1.0.5")),
                ("a literal with more after it", ssl(8, "truex")),
                ("an invalid number", ssl(9, "-x")),
                ("an invalid literal", ssl(10, "ture")),
                ("a key that is not a string", replacing(#""version""#, "version")),
                ("a missing comma between entries", Array(noComma.utf8)),
            ]
        }
        for (label, doc) in edits(pretty) + edits(minified) {
            let whole: JSONParseError
            do { _ = try JSONValue.parse(doc); XCTFail("\(label): the edit left valid JSON"); continue } catch { whole = error }
            let expected = "line \(whole.line): not a HAR file (invalid JSON): \(whole.description)"
            for chunks in [[doc.count], [1], [4096, 3]] {
                XCTAssertEqual(error(doc, chunks: chunks), expected, "\(label), chunks of \(chunks)")
            }
        }
    }

    func testEveryTruncationIsAnErrorAtItsEnd() throws {
        var doc = try HARFixtures.quoteCapture { entries in
            HARFixtures.request(&entries[0]) { r in r["comment"] = "démo ✓ \u{1F9A6} \"quoted\" back\\slash" }
        }
        doc += Array("\n".utf8)
        let last = doc.lastIndex(of: UInt8(ascii: "}"))!
        // Every fifth cut (the text's strings, escapes, numbers and structure all get cut somewhere).
        for cut in stride(from: 0, through: last, by: 5) {
            let head = Array(doc[..<cut])
            var whole = ""
            do { _ = try JSONValue.parse(head); XCTFail("cut at \(cut) left valid JSON"); continue } catch { whole = "\(error)" }
            let got = error(head, chunks: [97])
            XCTAssertEqual(got, "line \(whole.split(separator: ",")[0].dropFirst(5)): not a HAR file (invalid JSON): \(whole)", "cut at \(cut)")
        }
        XCTAssertNil(error(doc, chunks: [97]))
    }

    /// zzuf-like: one byte of a capture replaced, 600 times. Never a crash; a capture the parser refuses is refused,
    /// and a syntax error is said as the parser says it for the whole file.
    func testOneDamagedByteIsRefusedWhereTheParserRefusesIt() throws {
        let doc = try HARFixtures.quoteCapture()
        let bytes: [UInt8] = Array("\"\\{}[],: x0-".utf8) + [0x09, 0x0A, 0x00, 0x7F, 0xC3, 0xFF]
        var seed: UInt64 = 0x5EED
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        var refused = 0
        for _ in 0..<600 {
            var damaged = doc
            let at = next(doc.count), b = bytes[next(bytes.count)]
            damaged[at] = b
            let chunk = 1 + next(300)
            let got = error(damaged, chunks: [chunk])
            do { _ = try JSONValue.parse(damaged) } catch {
                refused += 1
                let got = try XCTUnwrap(got, "the parser refuses it: \(error)")
                if got.contains("(invalid JSON)") {
                    XCTAssertEqual(got, "line \(error.line): not a HAR file (invalid JSON): \(error.description)",
                                   "byte \(at) of \(doc.count) set to \(b), chunks of \(chunk)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 200)
    }

    func testACaptureThatIsNotAHARSaysWhy() {
        func check(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(error(Array(text.utf8), chunks: [2]), expected, file: file, line: line)
        }
        check(#"{"log":{}}"#, "line 1: not a HAR file: 'log.entries' must be an array")
        check(#"{"log":{"entries":{}}}"#, "line 1: not a HAR file: 'log.entries' must be an array")
        check("{\n\"log\": 5}", "line 2: not a HAR file: no top-level 'log' object")
        check(#"{"other": {"log": {"entries": []}}}"#, "line 1: not a HAR file: no top-level 'log' object")
        check("[]", "line 1: not a HAR file: no top-level 'log' object")
        check(#"{"log":{"entries":[]},"log":{"entries":[]}}"#, "line 1: not a HAR file: 'log' appears twice")
        check(#"{"log":{"entries":[],"entries":[]}}"#, "line 1: not a HAR file: 'log.entries' appears twice")
        check(#"{"log":{"entries":[7]}}"#, "line 1: HAR entry 1: expected an object")
        check("", "line 1: not a HAR file (invalid JSON): line 1, column 1: unexpected end of input")
        check("\u{1}", "line 1: not a HAR file (invalid JSON): line 1, column 1: expected a JSON value, found byte 0x01")
        XCTAssertNil(error(Array(#"{"log":{"entries":[]}}"#.utf8), chunks: [1]), "an empty capture is a capture")
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = #"{"log":{"entries":[{"request":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}]}}"
        let e = error(Array(deep.utf8), chunks: [65536])
        XCTAssertTrue(e?.contains("nesting depth exceeds 512") == true, e ?? "read")
    }

    func testMemoryHoldsTheLargestEntryNotTheCapture() throws {
        // 25 copies of a capture's entries: the reader never holds much more than one entry and one chunk.
        let one = try capture("delivery")
        let entries = try XCTUnwrap(JSONValue.parse(one)["log"]?["entries"]?.arrayValue).map { $0.serialized(pretty: true) }
        let doc = #"{"log": {"version": "1.2", "entries": ["# + Array(repeating: entries.joined(separator: ","), count: 25).joined(separator: ",") + "]}}"
        let bytes = Array(doc.utf8)
        let largest = entries.map(\.utf8.count).max()!
        let got = try read(bytes, chunks: [65536])
        XCTAssertEqual(got.entries.count, 25 * (try HARImporter.read(one, redactor: redactor).entries.count))
        XCTAssertGreaterThan(bytes.count, 2 << 20)
        XCTAssertLessThan(got.peak, 4 * (largest + 65536), "held \(got.peak) bytes of a \(bytes.count)-byte capture")
    }

    func testAnEntryLargerThanTheLimitIsRefusedWithItsNumber() throws {
        let big = #"{"log":{"entries":[{"request":""# + String(repeating: "a", count: 3 << 20) + #""}]}}"#
        do { _ = try read(Array(big.utf8), chunks: [65536], maxEntryBytes: 1 << 20); XCTFail("read") } catch {
            XCTAssertEqual(error.description, "line 1: HAR entry 1 is larger than 1 MiB")
        }
    }
}
