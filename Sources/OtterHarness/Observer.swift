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
        /// For a HAR capture: its entries as event-log lines (redacted, normalised, `run` line first), for `events.jsonl`.
        public var eventLog: ImportedEventLog?
        /// Creates an observation.
        public init(result: EvaluationResult, source: ReportSource, eventLog: ImportedEventLog? = nil) {
            self.result = result; self.source = source; self.eventLog = eventLog
        }
    }

    /// The checklist (its SHA-256 and path) and the spec a log of `type` is judged by: the bundled ones or those
    /// given, the checklist of that type, audited against the spec.
    public func judgingBy(type: IntegrationType, checklistPath: String?, openapiPath: String?)
        throws(HarnessError) -> (checklist: Checklist, sha256: String, path: String, spec: OpenAPISpec) {
        let path = checklistPath ?? files.checklist(type)
        // The checklist is read on another thread while this one reads the spec; a checklist error still comes first.
        // (The spec, the larger by far, is built in this thread's malloc arena: glibc grows a second thread's arena a
        // page at a time, one mprotect call for each of the 700 pages the spec's tree takes.)
        let files = files
        let checklistLoad = Background { () throws(HarnessError) in try DataFiles.checklist(path, files: files) }
        let specLoad: Result<OpenAPISpec, HarnessError>
        do throws(HarnessError) { specLoad = .success(try DataFiles.spec(files: files, path: openapiPath)) } catch { specLoad = .failure(error) }
        let (checklist, sha) = try checklistLoad.value()
        if checklist.integrationType != type {
            throw .input("\(path) is the \(checklist.integrationType.rawValue) checklist, but --type is \(type.rawValue)")
        }
        let spec = try specLoad.get()
        try DataFiles.audit(checklist, path: path, spec: spec, files: files)
        return (checklist, sha, path, spec)
    }

    /// Reads the log at `path` (`-` for stdin) and evaluates it. With `leniency` other than `strict`, unreadable lines
    /// are skipped and counted; unless they are ignored (`.ignore`), any of them keeps the result from certifying.
    public func observe(type: IntegrationType, checklistPath: String? = nil, openapiPath: String? = nil, logPath: String,
                        leniency: Leniency = .strict, webhookSecret: String?) throws(HarnessError) -> Observation {
        let (checklist, sha, path, spec) = try judgingBy(type: type, checklistPath: checklistPath, openapiPath: openapiPath)
        let endpoints = spec.endpoints, schemas = spec.schemas
        // The evaluator is made once the reader knows what the file says about itself (a HAR's stripped Authorization headers).
        let (evaluator, facts) = try LogReader(lenient: leniency.skips).read(path: logPath) { facts in
            Evaluator(checklist: checklist, endpoints: endpoints, schemas: schemas,
                      options: EvaluationOptions(webhookSecret: webhookSecret.map { Array($0.utf8) }, bearerUnavailable: facts.bearerUnavailable,
                                                 spec: spec))
        }
        var result = evaluator.finish()
        result.warnings = facts.warnings + result.warnings
        result.unreadableLinesIgnored = leniency == .ignore
        return Observation(result: result,
                           source: ReportSource(log: ReportWriter.logLabel(logPath), format: facts.format.rawValue, checklistSHA256: sha,
                                                checklist: try DataFiles.checklistLocation(path, files: files)),
                           eventLog: facts.importedLog)
    }
}
