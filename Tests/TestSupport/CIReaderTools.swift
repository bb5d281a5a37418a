import Foundation
import OtterCore
import OtterHarness

/// The real CI readers the report tests run: xmllint (XSD validation), junitparser and tap.py (Python, in the
/// virtualenv `.ci/install-junit-tools` makes) and perl's prove. The tests skip when one is missing locally and
/// fail when `CI` is set.
public enum CIReaderTools {
    /// The virtualenv of the test-only Python tools.
    public static var virtualenv: String {
        let env = ProcessInfo.processInfo.environment
        return env["OTTER_CERT_TEST_TOOLS"] ?? ((env["HOME"] ?? "/root") + "/.cache/otter-cert/test-tools")
    }

    /// The virtualenv's python, when it has `modules` importable.
    public static func python(importing modules: [String]) -> String? {
        let python = virtualenv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python),
              let r = try? runProcess(python, ["-c", "import " + modules.joined(separator: ", ")], timeout: 30), r.status == 0 else { return nil }
        return python
    }

    /// An executable found on PATH (or in /usr/bin).
    public static func onPath(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the tests run in CI, where a missing tool is a failure, not a skip.
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

    /// The Jenkins xunit plugin's JUnit schema.
    public static var junitXSD: String { Repo.path("Tests/Schemas/junit-10.xsd") }
}

extension Repo {
    /// The report source of an evaluation of the bundled checklist of a type: the checklist's location and record lines.
    public static func reportSource(_ type: IntegrationType, log: String = "events.jsonl") throws -> ReportSource {
        let path = files.checklist(type)
        return ReportSource(log: log, format: "jsonl", checklistSHA256: try DataFiles.checklist(path, files: files).sha256,
                            checklist: try DataFiles.checklistLocation(path, files: files))
    }
}

extension Repo {
    /// The HAR captures of live runs under `Fixtures/har/mitmproxy/` (folder name → type), sorted.
    public static func liveCaptures() throws -> [(name: String, type: IntegrationType)] {
        try FileManager.default.contentsOfDirectory(atPath: path("Fixtures/har/mitmproxy")).sorted().compactMap { name in
            guard let type = IntegrationType(rawValue: String(name.split(separator: "-").first ?? "")),
                  FileManager.default.fileExists(atPath: path("Fixtures/har/mitmproxy/\(name)/capture.har")) else { return nil }
            return (name, type)
        }
    }

    /// A live run's HAR capture observed like `otter-cert observe` does, with the webhook secret its run had.
    public static func observeCapture(_ name: String, _ type: IntegrationType) throws -> Observer.Observation {
        try Observer(files: files).observe(type: type, logPath: path("Fixtures/har/mitmproxy/\(name)/capture.har"),
                                           webhookSecret: "capture-webhook-secret-\(type.rawValue)-Hk27")
    }
}
