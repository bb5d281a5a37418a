import Foundation
import OtterCore

/// Where the bundled data lives: `checklists/` and `Fixtures/` of the otter-cert checkout.
///
/// Looked up, in order: `$OTTER_CERT_HOME`, the folders above the running executable
/// (`.build/debug/otter-cert` sits three levels below the checkout), and the current directory and its parents.
public struct ProjectFiles: Sendable {
    /// The checkout (or install) root holding `checklists/` and `Fixtures/`.
    public let root: URL

    /// `checklists/`.
    public var checklists: URL { root.appendingPathComponent("checklists") }
    /// `Fixtures/`.
    public var fixtures: URL { root.appendingPathComponent("Fixtures") }
    /// `Fixtures/webhooks/`.
    public var webhooks: URL { fixtures.appendingPathComponent("webhooks") }

    /// The bundled checklist of an integration type.
    public func checklist(_ type: IntegrationType) -> URL { checklists.appendingPathComponent(type.rawValue + ".json") }

    /// Creates the locator for an explicit root.
    public init(root: URL) { self.root = root }

    /// Finds the bundled data, or explains where it looked.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: String = CommandLine.arguments.first ?? "") throws(HarnessError) -> ProjectFiles {
        var candidates: [URL] = []
        if let home = environment["OTTER_CERT_HOME"], !home.isEmpty { candidates.append(URL(fileURLWithPath: home)) }
        var exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(exe); exe = exe.deletingLastPathComponent() }
        var cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 { candidates.append(cwd); cwd = cwd.deletingLastPathComponent() }
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent("checklists/delivery.json").path) {
            return ProjectFiles(root: c.standardizedFileURL)
        }
        throw HarnessError.environment("cannot find the bundled checklists (checklists/delivery.json); set OTTER_CERT_HOME to the otter-cert checkout")
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
