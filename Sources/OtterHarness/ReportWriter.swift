import Foundation
import OtterCore
import OtterCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Renders the certification report in its five formats and writes them into a directory.
public enum ReportWriter {
    /// A report format.
    public enum Format: String, Sendable, CaseIterable {
        /// Self-contained HTML page.
        case html
        /// Markdown for an issue or an email.
        case md
        /// Machine-readable JSON (`docs/report.schema.json`).
        case json
        /// JUnit XML for CI.
        case junit
        /// TAP (version 13) for CI and `prove`.
        case tap

        /// The file name written into a report directory.
        public var fileName: String {
            switch self { case .html: return "report.html"; case .md: return "report.md"; case .json: return "report.json"; case .junit: return "junit.xml"; case .tap: return "report.tap" }
        }
    }

    /// How a report names a log file: relative to the current directory when it is under it, else its file name,
    /// never an absolute local path (`-` is standard input).
    public static func logLabel(_ path: String) -> String {
        if path == "-" { return "<stdin>" }
        guard path.hasPrefix("/") else { return path }
        let cwd = FileManager.default.currentDirectoryPath
        let base = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : URL(fileURLWithPath: path).lastPathComponent
    }

    /// The report in one format. Deterministic.
    public static func render(_ obs: Observer.Observation, format: Format) -> String {
        switch format {
        case .html: return ReportHTML.render(obs.result, source: obs.source)
        case .md: return ReportMarkdown.render(obs.result, source: obs.source)
        case .json: return ReportJSON.make(obs.result, source: obs.source).serialized(pretty: true) + "\n"
        case .junit: return ReportJUnit.render(obs.result, source: obs.source)
        case .tap: return ReportTAP.render(obs.result, source: obs.source)
        }
    }

    /// Writes the five files into `directory` (created when missing), and the log as `events.jsonl`: a JSONL log is
    /// copied in (unless it already is that file), a HAR capture written as the redacted, normalised entries it was
    /// judged by. Returns the paths written.
    @discardableResult
    public static func write(_ obs: Observer.Observation, to directory: String, logPath: String?) throws(HarnessError) -> [String] {
        // The reports name the log beside them, which is where they are read with it.
        var obs = obs
        if obs.eventLog != nil || (obs.source.format == "jsonl" && logPath != nil && logPath != "-") { obs.source.log = "events.jsonl" }
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create \(directory): \(error.localizedDescription)")
        }
        let dir = URL(fileURLWithPath: directory)
        // The log beside the reports is settled first: a folder holding another run's log gets no reports either.
        let dest = dir.appendingPathComponent("events.jsonl").path
        var imported: ImportedEventLog?, copyFrom: String?
        if let log = obs.eventLog {
            if FileManager.default.fileExists(atPath: dest) {
                // What would be written, beside it, to compare with what is there.
                let probe = dest + ".check-\(getpid())"
                defer { unlink(probe) }
                try log.write(to: probe)
                if try !keepsExistingLog(at: dest, sameAs: { () throws(HarnessError) in try sha256(path: probe) }) { imported = log }
            } else {
                imported = log
            }
        } else if obs.source.format == "jsonl", let logPath, logPath != "-" {
            let src = URL(fileURLWithPath: logPath).resolvingSymlinksInPath().standardizedFileURL.path
            if src != URL(fileURLWithPath: dest).resolvingSymlinksInPath().standardizedFileURL.path,
               try !keepsExistingLog(at: dest, sameAs: { () throws(HarnessError) in
                   if let known = obs.source.logSHA256 { return known }
                   return try sha256(path: logPath)
               }) {
                copyFrom = logPath
            }
        }
        var written: [String] = []
        for f in Format.allCases {
            let path = dir.appendingPathComponent(f.fileName).path
            try write(render(obs, format: f), to: path)
            written.append(path)
        }
        if let imported {
            try imported.write(to: dest)
            written.append(dest)
        } else if let copyFrom {
            do { try fm.copyItem(atPath: copyFrom, toPath: dest) } catch {
                throw .environment("cannot copy \(copyFrom) to \(dest): \(error.localizedDescription)")
            }
            written.append(dest)
        }
        return written
    }

    /// Whether `dest` already holds the log (same SHA-256): then it is kept as it is. A different log there is
    /// evidence of another run, and is never overwritten.
    private static func keepsExistingLog(at dest: String, sameAs sha: () throws(HarnessError) -> String) throws(HarnessError) -> Bool {
        guard FileManager.default.fileExists(atPath: dest) else { return false }
        if try (try? sha256(path: dest)) == sha() { return true }
        throw .environment("\(dest) already holds another event log; a log is evidence and is never overwritten: give another --report-dir")
    }

    /// Writes text to a file (atomically).
    public static func write(_ text: String, to path: String) throws(HarnessError) {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw .environment("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The SHA-256 of a file as lowercase hex, read in 1 MiB chunks.
    public static func sha256(path: String) throws(HarnessError) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .input("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        var buffer = readBuffer()
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .input("\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return Digest.hex(hasher.finalize())
    }

    /// A log file's SHA-256 for the report, begun before the log is judged: a log over 1 MiB is hashed on a thread
    /// of its own beside the judging, in the time the evaluating thread waits for the reader, instead of being read a
    /// second time once it is judged (0.95x the time of observe on the 200 MB mix). A smaller log, or standard input,
    /// is hashed afterwards as `withLogHash` does.
    public final class PendingLogHash {
        private let path: String
        private let hashing: Background<String>?

        public init(logPath: String) {
            path = logPath
            var st = stat()
            if logPath != "-", stat(logPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 1 << 20 {
                hashing = Background { () throws(HarnessError) in try ReportWriter.sha256(path: logPath) }
            } else {
                hashing = nil
            }
        }

        /// The observation with the log's SHA-256 filled in.
        public func filling(_ obs: Observer.Observation) throws(HarnessError) -> Observer.Observation {
            guard let hashing else { return try withLogHash(obs, logPath: path) }
            var o = obs
            o.source.logSHA256 = try hashing.value()
            return o
        }
    }

    /// The observation with the log's SHA-256 filled in (when the log is a file, not standard input).
    public static func withLogHash(_ obs: Observer.Observation, logPath: String) throws(HarnessError) -> Observer.Observation {
        guard logPath != "-" else { return obs }
        var o = obs
        o.source.logSHA256 = try sha256(path: logPath)
        return o
    }
}
