import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OtterCore
import OtterHarness

/// Paths of the checkout the tests run in, and shortcuts to its bundled data.
public enum Repo {
    /// The repository root (three levels above this file).
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The bundled data locator.
    public static let files = ProjectFiles(root: root)
    /// A path under the root.
    public static func path(_ rel: String) -> String { root.appendingPathComponent(rel).path }

    nonisolated(unsafe) private static var checklists: [IntegrationType: Checklist] = [:]

    /// The bundled checklist of a type (loaded once per process).
    /// The bundled checklist document of a type with one record edited, for tests of what a mistake there does.
    public static func checklistDocument(_ type: IntegrationType, editing id: String, _ edit: (inout JSONObject) -> Void) throws -> JSONValue {
        var doc = try DataFiles.json(files.checklist(type)).objectValue!
        var records = doc["records"]!.arrayValue!
        let i = records.firstIndex { $0["id"]?.stringValue == id }!
        var r = records[i].objectValue!
        edit(&r)
        records[i] = .object(r)
        doc["records"] = .array(records)
        return .object(doc)
    }

    public static func checklist(_ type: IntegrationType) throws -> Checklist {
        loadLock.lock(); defer { loadLock.unlock() }
        if let c = checklists[type] { return c }
        let c = try DataFiles.checklist(files.checklist(type), files: files).0
        checklists[type] = c
        return c
    }

    /// The bundled OpenAPI description, read once for all the tests of a process.
    nonisolated(unsafe) private static var loadedSpec: OpenAPISpec?
    private static let loadLock = NSLock()
    public static func spec() throws -> OpenAPISpec {
        loadLock.lock(); defer { loadLock.unlock() }
        if let s = loadedSpec { return s }
        let s = try DataFiles.spec(files: files)
        loadedSpec = s
        return s
    }
    /// The bundled OpenAPI document with one of its component schemas made invalid (`minLength: -1`).
    public static func specDocument(breaking schema: String) throws -> JSONValue {
        guard var doc = try DataFiles.json(files.checklistsFile(DataFiles.openAPIPath)).objectValue,
              var components = doc["components"]?.objectValue, var schemas = components["schemas"]?.objectValue,
              var s = schemas[schema]?.objectValue else { throw RepoError(description: "the bundled OpenAPI has no schema \(schema)") }
        s["minLength"] = -1
        schemas[schema] = .object(s)
        components["schemas"] = .object(schemas)
        doc["components"] = .object(components)
        return .object(doc)
    }

    public static func endpointsAndSchemas() throws -> (EndpointTable, JSONSchemaValidator) {
        let s = try spec()
        return (s.endpoints, s.schemas)
    }

    /// Evaluates log lines (JSONL text) against the bundled checklist of a type.
    public static func evaluate(_ type: IntegrationType, lines: [String], secret: String? = nil) throws -> EvaluationResult {
        let (endpoints, schemas) = try endpointsAndSchemas()
        let list = try checklist(type)
        let ev = Evaluator(checklist: list, endpoints: endpoints, schemas: schemas,
                           options: EvaluationOptions(webhookSecret: secret.map { Array($0.utf8) }))
        for (i, line) in lines.enumerated() where !line.isEmpty {
            ev.consume(try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1))
        }
        return ev.finish()
    }

    /// The lines of the recorded passing run of a type.
    /// The case of issue #11: the delivery log of `DEL-10-duplicate-quote` (not certified: DEL-10's repeated webhook is
    /// quoted twice) with one byte deleted from the duplicate callback's line, which no longer parses; the lines, and
    /// that line's 1-based number.
    public static func deliveryLogWithDamagedDuplicate() throws -> (lines: [String], line: Int) {
        let c = try LogCase(path: path("Fixtures/cases/delivery/DEL-10-duplicate-quote.json"))
        var lines = try c.apply(to: try passingLog(.delivery))
        // The mutation's copy is numbered from 10000.
        let i = try lines.firstIndex { $0.contains("\"record\":\"DEL-10\"") && $0.contains("/quotes") && $0.contains("\"seq\":10") }
            .orThrow("no duplicate DEL-10 callback")
        lines[i].removeFirst()
        return (lines, i + 1)
    }

    public static func passingLog(_ type: IntegrationType) throws -> [String] {
        try String(contentsOfFile: path("Fixtures/logs/\(type.rawValue)/pass.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    /// The built `otter-cert` binary.
    public static var binary: String { path(".build/debug/otter-cert") }
}

/// Runs a program and captures what it printed.
public struct ProcessResult: Sendable {
    /// Exit status.
    public var status: Int32
    /// Standard output.
    public var stdout: String
    /// Standard error.
    public var stderr: String
}

/// Sends a process's output to two fresh files in `dir` (read while it runs, without a pipe to drain) and its input
/// from /dev/null: returns the files' paths.
public func sendOutputToFiles(_ p: Process, in dir: URL) -> (stdout: String, stderr: String) {
    let name = UUID().uuidString
    let out = dir.appendingPathComponent("\(name).out").path, err = dir.appendingPathComponent("\(name).err").path
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    p.standardOutput = FileHandle(forWritingAtPath: out)
    p.standardError = FileHandle(forWritingAtPath: err)
    p.standardInput = FileHandle.nullDevice
    return (out, err)
}

/// Stops a child for good: SIGTERM, then SIGKILL if it is still there after `grace` seconds.
public func stopProcess(_ p: Process, grace: TimeInterval = 2) {
    guard p.isRunning else { return }
    p.terminate()
    let deadline = Date().addingTimeInterval(grace)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
}

/// Runs `executable` with `arguments`, feeding `stdin`, and waits (killing it after `timeout` seconds).
public func runProcess(_ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
                       currentDirectory: String? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    // Tests start processes from several threads: keep these pipe ends out of every other child, or a sibling
    // that outlives this process would hold the pipe open and reading to its end would never finish.
    for h in [out.fileHandleForReading, out.fileHandleForWriting, err.fileHandleForReading, err.fileHandleForWriting,
              inp.fileHandleForReading, inp.fileHandleForWriting] {
        _ = fcntl(h.fileDescriptor, F_SETFD, FD_CLOEXEC)
    }
    p.standardOutput = out; p.standardError = err; p.standardInput = inp
    try p.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if let stdin { inp.fileHandleForWriting.write(stdin) }
    try? inp.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { p.terminate(); usleep(500_000) }
    // A child started from a dispatch thread may have SIGTERM blocked: make sure it ends.
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    // Should a grandchild still hold the output open, do not wait for it forever.
    if group.wait(timeout: .now() + 5) == .timedOut {
        try? out.fileHandleForWriting.close(); try? err.fileHandleForWriting.close()
        _ = group.wait(timeout: .now() + 5)
    }
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

extension Optional {
    /// The value, or an error saying what was missing.
    func orThrow(_ what: String) throws -> Wrapped {
        guard let v = self else { throw RepoError(description: what) }
        return v
    }
}

/// A fixture that is not as a test expects it.
struct RepoError: Error, CustomStringConvertible { var description: String }

/// Whether a process has ended (gone, or a zombie whoever inherited it has yet to reap), waiting up to `seconds`.
public func processEnded(_ pid: pid_t, within seconds: TimeInterval = 2) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if kill(pid, 0) != 0 { return true }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}

/// The built `otter-cert` run as a user runs it in the repository: no colour, no webhook secret from the environment.
public func otterCert(_ args: [String], stdin: Data? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env.removeValue(forKey: "OTTER_CERT_WEBHOOK_SECRET")
    return try runProcess(Repo.binary, args, stdin: stdin, environment: env, currentDirectory: Repo.root.path, timeout: timeout)
}
