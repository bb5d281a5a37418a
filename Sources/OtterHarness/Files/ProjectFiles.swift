import Foundation
import OtterCore
import OtterData

/// Where the runtime data comes from: `checklists/` and `Fixtures/webhooks/` of a data folder, or the copy built
/// into the binary.
///
/// Looked up, in order: `--data-dir`; `$OTTER_CERT_HOME`; beside the running executable and in the folders above it
/// (`.build/debug/otter-cert` sits three levels below the checkout; `bin/otter-cert` finds `../share/otter-cert`);
/// the current directory and its parents; and last the built-in copy, so a binary copied anywhere still works.
public struct ProjectFiles: Sendable {
    /// Where the files are read from.
    public enum Origin: Sendable, Equatable {
        /// A folder on disk holding `checklists/` and `Fixtures/`.
        case directory(URL)
        /// The copy built into the binary.
        case builtIn
    }

    /// The prefix of the pseudo-paths of built-in files (`built-in:checklists/delivery.json`), which
    /// `DataFiles` reads from the binary instead of the disk.
    public static let builtInPrefix = "built-in:"

    /// Where the files come from.
    public let origin: Origin

    /// Reads from a folder on disk.
    public init(root: URL) { origin = .directory(root) }
    private init(origin: Origin) { self.origin = origin }
    /// The copy built into the binary.
    public static let builtIn = ProjectFiles(origin: .builtIn)

    /// The path (or built-in pseudo-path) of a data file, given relative to the data root.
    public func path(_ relative: String) -> String {
        switch origin {
        case .directory(let root):
            // Joined as text: URL.appendingPathComponent costs more than reading a small fixture, and gives the same
            // path for the relative paths of data files (no `..`, no leading or trailing slash).
            let base = root.path
            return (base.hasSuffix("/") ? base : base + "/") + relative
        case .builtIn: return Self.builtInPrefix + relative
        }
    }

    /// The bundled checklist of an integration type.
    public func checklist(_ type: IntegrationType) -> String { path("checklists/" + type.rawValue + ".json") }
    /// A file under `checklists/`.
    public func checklistsFile(_ relative: String) -> String { path("checklists/" + relative) }
    /// A webhook fixture under `Fixtures/webhooks/`.
    public func webhookFixture(_ relative: String) -> String { path("Fixtures/webhooks/" + relative) }
    /// Where the webhook fixtures are, for messages.
    public var webhooksFolder: String { path("Fixtures/webhooks") }

    /// One line saying where the data came from.
    public var summary: String {
        switch origin {
        case .directory(let root): return "data folder \(root.path)"
        case .builtIn: return "built into the binary (\(BundledData.paths.count) files); --data-dir DIR or OTTER_CERT_HOME=DIR (a folder with checklists/) reads other data"
        }
    }

    /// Finds the data folder, falling back to the built-in copy.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment, dataDir: String? = nil,
                              executable: String = currentExecutablePath()) throws(HarnessError) -> ProjectFiles {
        try locateExplained(environment: environment, dataDir: dataDir, executable: executable).files
    }

    /// Finds the data folder as `locate` does, and says why that one (for `otter-cert doctor`).
    /// `dataDir` (`--data-dir`) wins over `$OTTER_CERT_HOME`; either must hold the data, or it is an error.
    public static func locateExplained(environment: [String: String] = ProcessInfo.processInfo.environment, dataDir: String? = nil,
                                       executable: String = currentExecutablePath()) throws(HarnessError) -> (files: ProjectFiles, reason: String) {
        for (value, name) in [(dataDir, "--data-dir"), (environment["OTTER_CERT_HOME"], "OTTER_CERT_HOME")] {
            guard let dir = value, !dir.isEmpty else { continue }
            let url = URL(fileURLWithPath: dir)
            guard holdsData(url) else {
                let shown = name == "--data-dir" ? "--data-dir \(dir)" : "OTTER_CERT_HOME=\(dir)"
                throw .environment("\(shown) holds no checklists/delivery.json; point it at an otter-cert checkout or its share/otter-cert folder, or \(name == "--data-dir" ? "leave it out" : "unset it") to use the built-in data")
            }
            return (ProjectFiles(root: url.standardizedFileURL), "given by \(name)")
        }
        var candidates: [(URL, String)] = []
        var exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append((exe, "found beside or above the executable"))
            candidates.append((exe.appendingPathComponent("share/otter-cert"), "found beside or above the executable"))
            exe = exe.deletingLastPathComponent()
        }
        var cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 { candidates.append((cwd, "found in or above the current directory")); cwd = cwd.deletingLastPathComponent() }
        for (c, why) in candidates where holdsData(c) { return (ProjectFiles(root: c.standardizedFileURL), why) }
        return (.builtIn, "no data folder found (--data-dir, OTTER_CERT_HOME, beside the executable, the current directory)")
    }

    private static func holdsData(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("checklists/delivery.json").path)
    }

    /// The running executable's path (`/proc/self/exe` on Linux, so a binary started through `$PATH` is found).
    public static func currentExecutablePath() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return CommandLine.arguments.first ?? ""
    }
}

/// A failure of the harness itself, or bad input: never a verdict about the partner.
public enum HarnessError: Error, Sendable, CustomStringConvertible {
    /// Bad input: a file that cannot be read or parsed (exit 2).
    case input(String)
    /// The environment: a port in use, libcurl failing, a missing folder (exit 3).
    case environment(String)

    public var description: String {
        switch self {
        case .input(let m), .environment(let m): return m
        }
    }

    /// The process exit code for this error.
    public var exitCode: Int32 {
        switch self {
        case .input: return 2
        case .environment: return 3
        }
    }
}
