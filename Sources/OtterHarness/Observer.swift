import Foundation
import OtterCore

/// Evaluates a saved event log or HAR capture against a bundled (or given) checklist.
public struct Observer {
    /// The bundled data.
    public let files: ProjectFiles

    /// Creates an observer over the bundled data.
    public init(files: ProjectFiles) { self.files = files }

    /// The result of observing a log.
    public struct Observation: Sendable {
        /// The verdicts.
        public var result: EvaluationResult
        /// Where they came from.
        public var source: ReportSource
        /// Creates an observation.
        public init(result: EvaluationResult, source: ReportSource) { self.result = result; self.source = source }
    }

    /// Reads the log at `path` (`-` for stdin) and evaluates it.
    public func observe(type: IntegrationType, checklistPath: String? = nil, logPath: String, lenient: Bool,
                        webhookSecret: String?) throws(HarnessError) -> Observation {
        let path = checklistPath ?? files.checklist(type)
        let (checklist, sha) = try DataFiles.checklist(path, files: files)
        if checklist.integrationType != type {
            throw .input("\(path) is the \(checklist.integrationType.rawValue) checklist, but --type is \(type.rawValue)")
        }
        let evaluator = Evaluator(checklist: checklist, endpoints: try DataFiles.endpoints(files: files),
                                  schemas: try DataFiles.schemas(files: files),
                                  options: EvaluationOptions(webhookSecret: webhookSecret.map { Array($0.utf8) }))
        let format = try LogReader(lenient: lenient).read(path: logPath, into: evaluator)
        return Observation(result: evaluator.finish(),
                           source: ReportSource(log: logPath == "-" ? "<stdin>" : logPath, format: format.rawValue, checklistSHA256: sha))
    }
}
