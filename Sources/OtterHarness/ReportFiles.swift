import Foundation
import OtterCore

/// Writes the report files of an evaluation into a directory.
public enum ReportFiles {
    /// Writes `report.json` into `dir`.
    public static func write(_ result: EvaluationResult, source: ReportSource, dir: String) throws(HarnessError) {
        let text = ReportJSON.make(result, source: source).serialized(pretty: true) + "\n"
        let path = URL(fileURLWithPath: dir).appendingPathComponent("report.json").path
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw .environment("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
