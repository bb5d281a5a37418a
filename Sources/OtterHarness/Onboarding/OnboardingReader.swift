import Foundation
import OtterCore

/// Reads the operational logs of live locations (files and directories, JSONL or HAR) into an incident deriver, streaming.
public struct OnboardingReader {
    /// Skip malformed lines instead of stopping at the first.
    public var lenient: Bool

    /// Creates a reader.
    public init(lenient: Bool = false) { self.lenient = lenient }

    /// The log files named by `paths`: files as given, directories searched recursively for `.jsonl` and `.har`, sorted.
    public static func expand(_ paths: [String]) throws(HarnessError) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard p == "-" || fm.fileExists(atPath: p, isDirectory: &isDir) else { throw .input("\(p): no such file or directory") }
            if !isDir.boolValue { out.append(p); continue }
            guard let walker = fm.enumerator(atPath: p) else { throw .input("\(p): cannot list the directory") }
            var found: [String] = []
            while let rel = walker.nextObject() as? String {
                let lower = rel.lowercased()
                guard lower.hasSuffix(".jsonl") || lower.hasSuffix(".har") else { continue }
                found.append((p as NSString).appendingPathComponent(rel))
            }
            if found.isEmpty { throw .input("\(p): no event logs (.jsonl) or HAR captures (.har) in this directory") }
            out.append(contentsOf: found.sorted())
        }
        if out.isEmpty { throw .input("no logs given: pass --logs DIR or log files") }
        return out
    }

    /// Loads incident rules from a file (errors name the file and JSON path).
    public static func rules(path: String) throws(HarnessError) -> IncidentRules {
        do { return try IncidentRules(json: try DataFiles.json(path)) } catch let e as DataError {
            var e = e; e.file = path; throw .input(e.description)
        } catch let e as HarnessError { throw e } catch { throw .input("\(path): \(error)") }
    }

    /// The bundled `checklists/incident-rules.json` when the checkout is found, else the built-in defaults.
    public static func bundledRules(environment: [String: String], dataDir: String? = nil) throws(HarnessError) -> IncidentRules {
        guard let files = try? ProjectFiles.locate(environment: environment, dataDir: dataDir) else { return .defaults }
        let path = files.checklistsFile("incident-rules.json")
        guard DataFiles.exists(path) else { return .defaults }
        return try rules(path: path)
    }

    /// Reads every log into `deriver` and returns the files read.
    @discardableResult
    public func read(_ paths: [String], into deriver: IncidentDeriver) throws(HarnessError) -> [String] {
        let files = try OnboardingReader.expand(paths)
        var reader = LogReader(lenient: lenient)
        // Deriving incidents is lighter than decoding: the deriver's thread parses the webhook bodies itself.
        reader.webhookBodiesOnReaderThread = false
        for f in files { try reader.read(path: f, into: deriver) }
        return files
    }
}
