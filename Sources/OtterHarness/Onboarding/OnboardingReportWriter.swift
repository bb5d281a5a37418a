import Foundation
import OtterCore

/// Writes the tracker files: `onboarding.html`, `onboarding.md` and `onboarding.json`.
public enum OnboardingReportWriter {
    /// The file names written, in order.
    public static let fileNames = ["onboarding.html", "onboarding.md", "onboarding.json"]

    /// Writes the three files into `directory` (created when missing); returns their paths.
    @discardableResult
    public static func write(_ status: OnboardingStatus, to directory: String) throws(HarnessError) -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create \(directory): \(error.localizedDescription)")
        }
        let contents = [OnboardingHTML.render(status), OnboardingMarkdown.render(status),
                        OnboardingJSON.make(status).serialized(pretty: true) + "\n"]
        var written: [String] = []
        for (name, text) in zip(fileNames, contents) {
            let path = (directory as NSString).appendingPathComponent(name)
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw .environment("cannot write \(path): \(error.localizedDescription)")
            }
            written.append(path)
        }
        return written
    }
}
