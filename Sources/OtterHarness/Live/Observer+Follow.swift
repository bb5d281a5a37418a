import Foundation
import OtterCore

extension Observer {
    /// The evaluator `observe --follow` judges a growing log with, live (for the live view), and the checklist's
    /// record ids. The same checklist, spec and options as `observe`; the final verdict is `observe`'s on the file.
    public func liveEvaluator(type: IntegrationType, checklistPath: String? = nil, openapiPath: String? = nil,
                              webhookSecret: String?) throws(HarnessError) -> (evaluator: Evaluator, records: [String]) {
        let path = checklistPath ?? files.checklist(type)
        let (checklist, _) = try DataFiles.checklist(path, files: files)
        if checklist.integrationType != type {
            throw .input("\(path) is the \(checklist.integrationType.rawValue) checklist, but --type is \(type.rawValue)")
        }
        let spec = try DataFiles.spec(files: files, path: openapiPath)
        try DataFiles.audit(checklist, path: path, spec: spec, files: files)
        let evaluator = Evaluator(checklist: checklist, endpoints: spec.endpoints, schemas: spec.schemas,
                                  options: EvaluationOptions(webhookSecret: webhookSecret.map { Array($0.utf8) }))
        return (evaluator, checklist.records.map(\.id))
    }
}
