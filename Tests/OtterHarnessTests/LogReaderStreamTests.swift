import Foundation
import OtterCore
@testable import OtterHarness
import TestSupport
import XCTest

/// Reading logs as streams: lines cut anywhere by the reads, each byte searched once however long the line, and a HAR
/// capture fed from its compact spool with the times it was read with.
final class LogReaderStreamTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("otter-logreader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func lines(_ bytes: [UInt8], chunk: Int) -> (lines: [String], rest: String, buffer: LineBuffer) {
        var b = LineBuffer()
        var out: [String] = []
        var at = 0
        while at < bytes.count {
            let n = min(chunk, bytes.count - at)
            bytes.withUnsafeBytes { b.append(UnsafeRawBufferPointer(rebasing: $0[at..<at + n])) }
            at += n
            while let r = b.nextLine() { out.append(String(decoding: b.bytes[r], as: UTF8.self)) }
        }
        return (out, String(decoding: b.unread, as: UTF8.self), b)
    }

    func testLinesCutAnywhereByTheReadsComeOutWhole() {
        let text = "first\n\nsecond line é\r\n" + String(repeating: "x", count: 10_000) + "\nlast, no newline"
        for chunk in [1, 2, 3, 64, 4096, 1 << 20] {
            let got = lines(Array(text.utf8), chunk: chunk)
            XCTAssertEqual(got.lines, ["first", "", "second line é\r", String(repeating: "x", count: 10_000)], "chunks of \(chunk)")
            XCTAssertEqual(got.rest, "last, no newline")
        }
    }

    func testALongLineFromSmallReadsIsSearchedOnce() {
        // 8 MiB on one line handed over 4 KiB at a time (a pipe gives 64 KiB, a slow writer less): each byte is
        // searched for a newline once and moved at most once, instead of the whole line again for every read.
        let total = 8 << 20
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: total) + [10] + Array("next\n".utf8)
        let got = lines(bytes, chunk: 4096)
        XCTAssertEqual(got.lines.count, 2)
        XCTAssertEqual(got.lines[0].utf8.count, total)
        XCTAssertLessThanOrEqual(got.buffer.searched, bytes.count, "searched \(got.buffer.searched) bytes of \(bytes.count)")
        XCTAssertLessThanOrEqual(got.buffer.moved, bytes.count, "moved \(got.buffer.moved) bytes of \(bytes.count)")
        // Many short lines: consumed bytes are dropped without moving the buffer for every line.
        let short = Array(String(repeating: "{\"kind\":\"end\"}\n", count: 100_000).utf8)
        let many = lines(short, chunk: 65536)
        XCTAssertEqual(many.lines.count, 100_000)
        XCTAssertLessThanOrEqual(many.buffer.searched, short.count)
        XCTAssertLessThanOrEqual(many.buffer.moved, short.count)
    }

    func testACaptureIsFedFromItsSpoolWithTheTimesItWasReadWith() throws {
        let path = Repo.path("Fixtures/har/mitmproxy/delivery/capture.har")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        final class Collect: LogEntrySink {
            var entries: [LogEntry] = []
            var unclassified = 0
            func consume(_ entry: LogEntry) { entries.append(entry) }
            func noteSkippedLine(_ line: Int) {}
            func noteUnclassified() { unclassified += 1 }
        }
        let (sink, facts) = try LogReader().read(path: path) { _ in Collect() }
        let salt = try XCTUnwrap(facts.importedLog?.run.run?.redactionSalt)
        let direct = try HARImporter.read(bytes, redactor: Redactor(salt: salt))
        XCTAssertEqual(sink.entries.count, direct.entries.count)
        XCTAssertEqual(sink.unclassified, direct.unclassified)
        for (a, b) in zip(sink.entries, direct.entries) {
            XCTAssertEqual(LogCodec.encode(a), LogCodec.encode(b))
            XCTAssertEqual(a.startedAt, b.startedAt, "to the microsecond mitmproxy wrote, not the millisecond of the log line")
            XCTAssertEqual(a.durationMs, b.durationMs)
        }
        let log = try XCTUnwrap(facts.importedLog)
        XCTAssertEqual(log.count, direct.entries.count)
        XCTAssertEqual(log.run.startedAt, direct.entries.map(\.startedAt).min())
        // events.jsonl: the run line, then each entry as LogCodec writes it.
        let out = tmp.appendingPathComponent("events.jsonl").path
        try log.write(to: out)
        let expected = ([log.run] + direct.entries).map { LogCodec.encode($0) + "\n" }.joined()
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), expected)
        // The spool is unlinked as it is made: nothing is left in the temporary directory.
        let left = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("otter-cert-capture-") }
        XCTAssertEqual(left, [])
    }

    func testABrokenCaptureNamesTheFileLineAndColumn() throws {
        var text = try String(contentsOfFile: Repo.path("Fixtures/har/mitmproxy/pos/capture.har"), encoding: .utf8)
        let at = try XCTUnwrap(text.range(of: "\"method\": \"POST\"", options: .backwards))
        text.replaceSubrange(at, with: "\"method\" \"POST\"")
        let path = tmp.appendingPathComponent("broken.har").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let line = text[..<at.lowerBound].filter { $0 == "\n" }.count + 1
        let column = text[..<at.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).last!.count + 10
        XCTAssertThrowsError(try LogReader().read(path: path, into: Evaluator(checklist: try Repo.checklist(.pos)))) { e in
            XCTAssertEqual("\(e)", "\(path):\(line): not a HAR file (invalid JSON): line \(line), column \(column): expected ':' after object key")
        }
    }

    /// Collects what the reader hands over.
    final class Seen: LogEntrySink {
        var seqs: [Int] = []
        var skipped: [Int] = []
        func consume(_ entry: LogEntry) { seqs.append(entry.seq) }
        func noteSkippedLine(_ line: Int) { skipped.append(line) }
        func noteUnclassified() {}
    }

    /// A log of `count` lines (an `end` line each, seq = line number) with some lines replaced.
    func log(_ count: Int, replacing: [Int: String]) throws -> String {
        var text = ""
        for i in 1...count {
            text += replacing[i] ?? #"{"v":1,"seq":\#(i),"kind":"end","startedAt":"2026-11-29T10:00:00.000Z","record":"DEL-01"}"#
            text += "\n"
        }
        let path = tmp.appendingPathComponent("log-\(count)-\(replacing.count).jsonl").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testLinesDecodedOnTheReaderThreadArriveInOrderAndStopAtTheFirstBadOne() throws {
        // Far more lines than one batch, so they cross several hand-overs; a blank line and a CRLF one are not entries.
        let path = try log(20_000, replacing: [7: "   ", 8: #"{"v":1,"seq":8,"kind":"end","startedAt":"2026-11-29T10:00:00.000Z"}\#r"#,
                                               15_001: "{not json", 19_000: "[]"])
        // Decoded on the calling thread, and on a reader thread.
        for pipelined in [false, true] {
            var reader = LogReader(lenient: true)
            reader.pipelined = pipelined
            let lenient = try reader.read(path: path) { _ in Seen() }.sink
            XCTAssertEqual(lenient.seqs, (1...20_000).filter { ![7, 15_001, 19_000].contains($0) })
            XCTAssertEqual(lenient.skipped, [15_001, 19_000])
            // Strict: the first bad line is the error, and nothing after it was evaluated.
            reader.lenient = false
            let seen = Seen()
            XCTAssertThrowsError(try reader.read(path: path, into: seen)) { e in
                XCTAssertTrue("\(e)".hasPrefix("\(path):15001: not valid JSON"), "\(e)")
            }
            XCTAssertEqual(seen.seqs.count, 14_999, "pipelined: \(pipelined)")
            XCTAssertEqual(seen.seqs.last, 15_000)
        }
    }

    /// A sink that keeps every entry in an object and hands the objects over as spent, noting the thread each is freed on.
    final class Keeper: LogEntrySink {
        final class Held {
            let seq: Int, freed: Freed
            init(_ seq: Int, _ freed: Freed) { self.seq = seq; self.freed = freed }
            deinit { freed.note(seq, onMainThread: Thread.isMainThread) }
        }
        final class Freed: @unchecked Sendable {
            private let lock = NSLock()
            private(set) var onMain: [Int] = [], elsewhere: [Int] = []
            func note(_ seq: Int, onMainThread: Bool) { lock.lock(); defer { lock.unlock() }; if onMainThread { onMain.append(seq) } else { elsewhere.append(seq) } }
        }
        let freed = Freed()
        var held: [Held] = []
        var asked = false
        func consume(_ entry: LogEntry) { held.append(Held(entry.seq, freed)) }
        func noteSkippedLine(_ line: Int) {}
        func noteUnclassified() {}
        func takeSpent() -> [AnyObject] { asked = true; defer { held = [] }; return held }
    }

    func testWhatTheSinkIsDoneWithIsFreedOnTheReaderThread() throws {
        let path = try log(5000, replacing: [:])
        var reader = LogReader()
        reader.pipelined = true
        let keeper = Keeper()
        XCTAssertTrue(Thread.isMainThread)
        try reader.read(path: path, into: keeper)
        XCTAssertTrue(keeper.asked)
        // The reader thread frees what was handed back before its last hand-over (batches of 512 lines); the rest, taken
        // after it had finished, goes when the reading ends. Nothing is lost or freed twice.
        let freed = keeper.freed, byReader = freed.elsewhere.count
        XCTAssertEqual(freed.elsewhere + freed.onMain + keeper.held.map(\.seq), Array(1...5000))
        XCTAssertGreaterThanOrEqual(byReader, 5000 - 2 * 512, "freed by the reader thread: \(byReader) of 5000")
    }

    func testABadLineFromAPipeThatStaysOpenStopsTheReadingAtOnce() throws {
        // `tail -f log | otter-cert observe --log -`: the writer keeps the pipe open after a bad line. The error must
        // come at once, not when (if ever) the next bytes arrive.
        let fifo = tmp.appendingPathComponent("log.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let wrote = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let fd = open(fifo, O_WRONLY)
            // Past the 64 KiB the reader takes first to tell the format, then the bad line.
            let text = (1...2000).map { #"{"v":1,"seq":\#($0),"kind":"end","startedAt":"2026-11-29T10:00:00.000Z"}"# + "\n" }.joined()
                + "{not json\n"
            _ = text.withCString { write(fd, $0, strlen($0)) }
            wrote.signal()
            _ = release.wait(timeout: .now() + 30)
            close(fd)
        }
        defer { release.signal() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure = ""
        Thread.detachNewThread {
            var reader = LogReader()
            reader.pipelined = true
            do { try reader.read(path: fifo, into: Seen()) } catch { failure = "\(error)" }
            done.signal()
        }
        XCTAssertEqual(wrote.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the reader hung on the open pipe")
        XCTAssertTrue(failure.contains(":2001: not valid JSON"), failure)
    }

    func testObservingOnOneThreadOrTwoGivesTheSameReport() throws {
        // The recorded runs, each repeated (later, with new sequence numbers) until it spans several hand-overs: the
        // repeats are duplicates and strays, judged the same way whichever thread decoded them.
        for type in IntegrationType.allCases {
            let lines = try String(contentsOfFile: Repo.path("Fixtures/logs/\(type.rawValue)/pass.jsonl"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            var text = lines[0] + "\n"
            var seq = 1
            for round in 0..<40 {
                for line in lines.dropFirst() {
                    guard case .object(var o) = try JSONValue.parse(line), let at = o["startedAt"]?.stringValue,
                          let t = Timestamp.parse(at) else { XCTFail("\(type): \(line)"); continue }
                    seq += 1
                    o["seq"] = .number(Double(seq))
                    o["startedAt"] = .string(Timestamp.format(t + Double(round) * 3600))
                    text += JSONValue.object(o).serialized() + "\n"
                }
            }
            let path = tmp.appendingPathComponent("\(type.rawValue)-repeated.jsonl").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let judge = try Observer(files: Repo.files).judgingBy(type: type, checklistPath: nil, openapiPath: nil)
            var reports: [String] = []
            for pipelined in [false, true] {
                var reader = LogReader()
                reader.pipelined = pipelined
                let evaluator = Evaluator(checklist: judge.checklist, endpoints: judge.spec.endpoints, schemas: judge.spec.schemas,
                                          options: EvaluationOptions(spec: judge.spec))
                try reader.read(path: path, into: evaluator)
                let result = evaluator.finish()
                XCTAssertEqual(result.stats.entries, seq, "\(type)")
                reports.append(ReportJSON.make(result, source: ReportSource(log: "repeated.jsonl", format: "jsonl")).serialized(pretty: true))
            }
            XCTAssertGreaterThan(seq, 1024, "\(type): more lines than two hand-overs")
            XCTAssertEqual(reports[0], reports[1], "\(type): one thread and two differ")
        }
    }

    func testALineTooLongIsRefusedOrSkippedAtItsNumber() throws {
        let long = String(repeating: "x", count: 3 << 20)
        let path = try log(3000, replacing: [1200: long])
        for pipelined in [false, true] {
            var reader = LogReader(lenient: true)
            reader.maxLineBytes = 1 << 20
            reader.pipelined = pipelined
            let sink = try reader.read(path: path) { _ in Seen() }.sink
            XCTAssertEqual(sink.seqs, (1...3000).filter { $0 != 1200 })
            XCTAssertEqual(sink.skipped, [1200])
            reader.lenient = false
            XCTAssertThrowsError(try reader.read(path: path, into: Seen())) { e in
                XCTAssertEqual("\(e)", "\(path):1200: line longer than 1 MiB (is this a binary file?)")
            }
        }
    }

    func testWebhookBodiesParsedByTheReaderAreTheBodiesAndGiveTheSameVerdicts() throws {
        // A pipelined reader parses them on its thread and hands them over with the entry.
        final class Parsed: LogEntrySink {
            var webhooks = 0
            let ahead: Bool
            init(ahead: Bool) { self.ahead = ahead }
            func consume(_ entry: LogEntry) { XCTFail("the reader hands every entry over with its parsed body, or nil") }
            func consume(_ entry: LogEntry, parsedRequest: ParsedBody?) {
                if entry.kind == .webhook && !ahead {
                    webhooks += 1
                    XCTAssertNil(parsedRequest, "line \(entry.seq): a reader on one thread leaves bodies to the evaluator")
                } else if entry.kind == .webhook {
                    webhooks += 1
                    XCTAssertNotNil(parsedRequest, "line \(entry.seq)")
                    XCTAssertEqual(parsedRequest?.json, entry.request?.json, "line \(entry.seq)")
                    XCTAssertNotNil(parsedRequest?.json?["eventType"], "line \(entry.seq)")
                } else {
                    XCTAssertNil(parsedRequest, "line \(entry.seq): only webhook bodies are parsed ahead")
                }
            }
            func noteSkippedLine(_ line: Int) {}
            func noteUnclassified() {}
        }
        for type in IntegrationType.allCases {
            let recorded = Repo.path("Fixtures/logs/\(type.rawValue)/pass.jsonl")
            // A log the first read holds whole (64 KiB) is decoded on the calling thread, pipelined or not; the
            // recorded run with blank lines after it (skipped) is longer, and is decoded on the reader thread.
            var small = LogReader()
            small.pipelined = true
            XCTAssertGreaterThan(try small.read(path: recorded) { _ in Parsed(ahead: false) }.sink.webhooks, 5, type.rawValue)
            let path = tmp.appendingPathComponent("\(type.rawValue).jsonl").path
            let padding = String(repeating: String(repeating: " ", count: 999) + "\n", count: 70)
            try (String(contentsOfFile: recorded, encoding: .utf8) + padding).write(toFile: path, atomically: true, encoding: .utf8)
            for pipelined in [false, true] {
                var reader = LogReader()
                reader.pipelined = pipelined
                let sink = try reader.read(path: path) { _ in Parsed(ahead: pipelined) }.sink
                XCTAssertGreaterThan(sink.webhooks, 5, type.rawValue)
            }
            // Evaluated from the reader (bodies parsed on its thread) and line by line: the same verdicts.
            let (endpoints, schemas) = try Repo.endpointsAndSchemas()
            let ev = Evaluator(checklist: try Repo.checklist(type), endpoints: endpoints, schemas: schemas)
            try LogReader().read(path: path, into: ev)
            let fromReader = ev.finish().verdicts.map { "\($0.id) \($0.status) \($0.reason)" }
            let direct = try Repo.evaluate(type, lines: try Repo.passingLog(type)).verdicts.map { "\($0.id) \($0.status) \($0.reason)" }
            XCTAssertEqual(fromReader, direct, type.rawValue)
            XCTAssertGreaterThan(fromReader.filter { $0.contains(" passed ") }.count, fromReader.count / 2, "\(fromReader)")
        }
    }
}
