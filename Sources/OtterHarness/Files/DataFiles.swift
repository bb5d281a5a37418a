import Foundation
import OtterCore
import OtterCrypto
import OtterData

/// Reads whole data files (checklists, endpoint tables, schemas, fixtures) with precise errors.
public enum DataFiles {
    /// The largest data file read whole (checklists, HAR captures).
    public static let maxWholeFileBytes = 512 << 20

    /// Reads a file's bytes, refusing directories and oversized files.
    public static func bytes(_ path: String) throws(HarnessError) -> [UInt8] {
        if path.hasPrefix(ProjectFiles.builtInPrefix) {
            guard let b = BundledData.file(String(path.dropFirst(ProjectFiles.builtInPrefix.count))) else { throw .input("\(path): no such built-in file") }
            return b
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw .input("\(path): no such file") }
        if isDir.boolValue { throw .input("\(path): is a directory, expected a file") }
        // open(2) rather than FileHandle(forReadingAtPath:), which says nothing of why (permission, no descriptors left …).
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .input("\(path): cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        func tooLarge() -> HarnessError { .input("\(path): larger than \(maxWholeFileBytes >> 20) MiB") }
        func readError(_ e: Int32) -> HarnessError { .input("\(path): read error: \(String(cString: strerror(e)))") }
        // Straight into the array, sized by fstat; a pipe (size 0) or a file that grew meanwhile goes on in chunks.
        var st = stat()
        let size = fstat(fd, &st) == 0 && st.st_size > 0 ? Int(st.st_size) : 0
        if size > maxWholeFileBytes { throw tooLarge() }
        var failure: Int32 = 0, atEnd = false
        var out = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, n in
            n = 0
            while n < buffer.count {
                let r = read(fd, buffer.baseAddress! + n, buffer.count - n)
                if r < 0 { if errno == EINTR { continue }; failure = errno; return }
                if r == 0 { atEnd = true; return }
                n += r
            }
        }
        if failure != 0 { throw readError(failure) }
        if !atEnd {
            var chunk = readBuffer(1 << 16)
            while true {
                let r = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if r < 0 { if errno == EINTR { continue }; throw readError(errno) }
                if r == 0 { break }
                out.append(contentsOf: chunk[0..<r])
                if out.count > maxWholeFileBytes { throw tooLarge() }
            }
        }
        return out
    }

    /// Whether a data file (or built-in pseudo-path) exists.
    public static func exists(_ path: String) -> Bool {
        if path.hasPrefix(ProjectFiles.builtInPrefix) {
            return BundledData.contains(String(path.dropFirst(ProjectFiles.builtInPrefix.count)))
        }
        return FileManager.default.fileExists(atPath: path)
    }

    /// Parses a JSON file, naming the file and line on error.
    public static func json(_ path: String) throws(HarnessError) -> JSONValue {
        let b = try bytes(path)
        do { return try JSONValue.parse(b) } catch { throw .input("\(path): \(error.description)") }
    }

    /// Loads a checklist file with its webhook fixtures; returns it with its SHA-256.
    public static func checklist(_ path: String, files: ProjectFiles) throws(HarnessError) -> (Checklist, sha256: String) {
        let b = try bytes(path)
        let json: JSONValue
        do { json = try JSONValue.parse(b) } catch { throw .input("\(path): \(error.description)") }
        var fixtureProblem: String?
        // A fixture several records send is read once (`orders.json` names new_order.json 11 times).
        var read: [String: Result<JSONValue?, HarnessError>] = [:]
        let lookup: (String) -> JSONValue? = { rel in
            let result: Result<JSONValue?, HarnessError>
            if let known = read[rel] {
                result = known
            } else {
                let p = files.webhookFixture(rel)
                if !DataFiles.exists(p) {
                    result = .success(nil)
                } else {
                    do throws(HarnessError) { result = .success(try DataFiles.json(p)) } catch { result = .failure(error) }
                }
                read[rel] = result
            }
            switch result {
            case .success(let v): return v
            case .failure(let e): fixtureProblem = "\(e)"; return nil
            }
        }
        do {
            let c = try Checklist(json: json, fixture: lookup)
            if let p = fixtureProblem { throw HarnessError.input(p) }
            for r in c.records {
                for s in r.steps {
                    if let w = s.webhook, w.eventType == nil {
                        throw HarnessError.input("\(path): record \(r.id): webhook fixture '\(w.fixture)' not found under \(files.webhooksFolder)")
                    }
                }
            }
            return (c, Digest.hex(Digest.sha256(b)))
        } catch let e as DataError {
            var e = e; e.file = path
            throw .input(e.description)
        } catch let e as HarnessError { throw e } catch { throw .input("\(path): \(error)") }
    }

    /// What `checklist list` shows of a checklist: its type, version, title and record ids, and the file's SHA-256.
    /// Read from the JSON alone, without decoding the records or reading their fixtures (`checklist validate` checks
    /// those; every command that judges decodes the whole checklist).
    public struct ChecklistSummary: Sendable {
        public var integrationType: String
        public var version: String
        public var title: String
        public var recordIds: [String]
        public var sha256: String
    }

    public static func checklistSummary(_ path: String) throws(HarnessError) -> ChecklistSummary {
        let b = try bytes(path)
        let json: JSONValue
        do { json = try JSONValue.parse(b) } catch { throw .input("\(path): \(error.description)") }
        guard let type = json["integrationType"]?.stringValue, let version = json["version"]?.stringValue,
              let records = json["records"]?.arrayValue else {
            throw .input("\(path): not a checklist (it needs integrationType, version and records); otter-cert checklist validate \(path) says more")
        }
        return ChecklistSummary(integrationType: type, version: version, title: json["title"]?.stringValue ?? "",
                                recordIds: records.map { $0["id"]?.stringValue ?? "?" }, sha256: Digest.hex(Digest.sha256(b)))
    }

    /// Where the checklist at `path` is for a report's reader, and the line of each record's `"id"` in it.
    public static func checklistLocation(_ path: String, files: ProjectFiles) throws(HarnessError) -> ChecklistLocation {
        ChecklistLocation(path: displayPath(path, files: files), recordLines: ChecklistLocation.recordLines(try bytes(path)))
    }

    /// A data file's path as written in a report: relative to the data root (`checklists/pos.json`, also for the
    /// built-in copy), else relative to the current directory, else its file name: never an absolute local path.
    public static func displayPath(_ path: String, files: ProjectFiles) -> String {
        if path.hasPrefix(ProjectFiles.builtInPrefix) { return String(path.dropFirst(ProjectFiles.builtInPrefix.count)) }
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        func relative(to base: URL) -> String? {
            let b = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents, p = url.pathComponents
            guard p.count > b.count, Array(p.prefix(b.count)) == b else { return nil }
            return p.dropFirst(b.count).joined(separator: "/")
        }
        if case .directory(let root) = files.origin, let r = relative(to: root) { return r }
        if let r = relative(to: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) { return r }
        return url.lastPathComponent
    }

    /// Which of the spec's schemas a command compiles before it starts judging (the rest are compiled on first use).
    public enum SchemaPreparation: Sendable {
        /// Those judging the checklist can use (`ChecklistAudit.schemaNames`): what `observe` validates against.
        case checklist
        /// Every one: the sandbox of `run` checks the body of any operation a partner calls.
        case all
    }

    /// Refuses a checklist that names what the spec does not have (`ChecklistAudit`), listing every problem. First
    /// compiles the spec's schemas that `preparing` names, so a schema that cannot be compiled is reported here, before
    /// anything is judged, in the words reading the spec always used.
    public static func audit(_ checklist: Checklist, path: String, spec: OpenAPISpec, files: ProjectFiles,
                             preparing: SchemaPreparation = .checklist) throws(HarnessError) {
        do {
            switch preparing {
            case .checklist: try spec.compileSchemas(ChecklistAudit.schemaNames(checklist, spec: spec))
            case .all: try spec.compileAllSchemas()
            }
        } catch { throw .input(error.description) }
        let problems = ChecklistAudit.problems(checklist, spec: spec)
        guard !problems.isEmpty else { return }
        throw .input("\(displayPath(path, files: files)) does not fit \(spec.title) \(spec.version):\n  " + problems.joined(separator: "\n  "))
    }

    /// Loads Otter's OpenAPI description: `path` (`--openapi FILE`) when given, else the bundled one. Everything
    /// the harness knows of endpoints, scopes and bodies comes from it. Its schemas are compiled when first used, or
    /// by `audit`, or by `OpenAPISpec.compileAllSchemas()`.
    public static func spec(files: ProjectFiles, path: String? = nil) throws(HarnessError) -> OpenAPISpec {
        let file = path ?? files.checklistsFile(openAPIPath)
        let s = try spec(document: try json(file), file: file)
        LastSpec.keep(s)
        return s
    }

    /// Reads an OpenAPI description already parsed from `file` (named in errors).
    public static func spec(document: JSONValue, file: String) throws(HarnessError) -> OpenAPISpec {
        do {
            var s = try OpenAPISpec(document: document, aside: { work in
                let translation = Background { () throws(HarnessError) in work() }
                return { (try? translation.value()) ?? JSONObject() }  // `work` cannot throw
            })
            s.file = file
            return s
        } catch { var e = error; e.file = file; throw .input(e.description) }
    }

    /// `spec(files:path:)` with every schema compiled, for the commands that show or check the whole spec.
    public static func compiledSpec(document: JSONValue, file: String) throws(HarnessError) -> OpenAPISpec {
        let s = try spec(document: document, file: file)
        do { try s.compileAllSchemas() } catch { throw .input(error.description) }
        return s
    }

    /// The bundled OpenAPI (`checklists/openapi/otter-public-api.json`) and Otter's certification process document
    /// (`checklists/process/certification-process.es.txt`), whose words a checklist's sources quote.
    /// `openapi` (`--openapi FILE`) replaces the bundled OpenAPI.
    /// `document`, when given, is that OpenAPI already parsed.
    public static func specTexts(files: ProjectFiles, openapi: String? = nil, document: JSONValue? = nil) throws(HarnessError) -> OpenAPIText {
        let process = files.checklistsFile(processDocumentPath)
        let text = exists(process) ? String(decoding: try bytes(process), as: UTF8.self) : nil
        let api: JSONValue
        if let document { api = document } else { api = try json(openapi ?? files.checklistsFile(openAPIPath)) }
        return OpenAPIText(openAPI: api, processDocument: text)
    }

    /// The bundled OpenAPI, relative to `checklists/`.
    public static let openAPIPath = "openapi/otter-public-api.json"
    /// Otter's certification process document (Spanish, as published), relative to `checklists/`.
    public static let processDocumentPath = "process/certification-process.es.txt"
}

/// The OpenAPI description read last, kept alive until the next is read, so that a command, which reads one and then
/// exits, does not spend a tenth of its start-up freeing it: the tree of the 532 KB description took about a
/// millisecond to free as `observe` returned, just before the process exited anyway. Each read still gets its own
/// (nothing is shared between reads: a schema compiled for one is not compiled for the next).
enum LastSpec {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var kept: OpenAPISpec?

    static func keep(_ spec: OpenAPISpec) {
        lock.lock()
        let replaced = kept
        kept = spec
        lock.unlock()
        _ = replaced  // freed here, outside the lock
    }
}
