import Foundation
import OtterCore

extension Observer {
    /// The evaluator `observe --follow` judges a growing log with, live (for the live view), and the checklist's
    /// record ids. The same checklist, spec and options as `observe`; the final verdict is `observe`'s on the file.
    public func liveEvaluator(type: IntegrationType, checklistPath: String? = nil, openapiPath: String? = nil,
                              webhookSecret: String?) throws(HarnessError) -> (evaluator: Evaluator, records: [String]) {
        let (checklist, _, _, spec) = try judgingBy(type: type, checklistPath: checklistPath, openapiPath: openapiPath)
        let evaluator = Evaluator(checklist: checklist, endpoints: spec.endpoints, schemas: spec.schemas,
                                  options: EvaluationOptions(webhookSecret: webhookSecret.map { Array($0.utf8) }))
        return (evaluator, checklist.records.map(\.id))
    }
}
