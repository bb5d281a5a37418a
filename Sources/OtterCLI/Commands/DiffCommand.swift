import Foundation
import OtterCore
import OtterHarness

/// `otter-cert diff`: what got fixed and what regressed between two report.json files.
enum DiffCommand {
    static let spec = CommandSpec(
        name: "diff", abstract: "Compare two report.json files record by record: fixed, regressed, still failing, unchanged.",
        discussion: """
        fixed: failed or skipped before, passed now. regressed: passed before, failed or skipped now.
        still failing: not passed in either. Records only in one report are listed as added or removed.

        Exit codes: 0 nothing regressed, 1 something regressed, 2 usage or input error.

        Example:
          otter-cert diff old/report.json new/report.json
        """,
        options: [],
        arguments: [ArgumentSpec(name: "old", help: "The earlier report.json."), ArgumentSpec(name: "new", help: "The later report.json.")],
        subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let oldPath = c.args.argument("old") ?? "", newPath = c.args.argument("new") ?? ""
        let diff: ReportDiff
        do { diff = try ReportDiff.compare(old: try DataFiles.json(oldPath), new: try DataFiles.json(newPath)) } catch let e as ReportDiffError {
            throw HarnessError.input(e.message)
        }
        func word(_ s: String?) -> String { s.map { $0 == "passed" ? "PASS" : $0 == "failed" ? "FAIL" : "SKIP" } ?? "—" }
        let sections: [(ReportDiff.Change, String)] = [(.regressed, "Regressed"), (.fixed, "Fixed"), (.stillFailing, "Still failing"),
                                                       (.added, "Added"), (.removed, "Removed"), (.notRerun, "Not rerun (verdict of the earlier attempt)"),
                                                       (.notRun, "Not run"), (.unchanged, "Unchanged (passed)")]
        c.out.line("\(diff.integrationType): \(diff.certified.old ? "CERTIFIED" : "NOT CERTIFIED") → \(diff.certified.new ? "CERTIFIED" : "NOT CERTIFIED")")
        for (change, title) in sections {
            let rows = diff.rows(change)
            guard !rows.isEmpty else { continue }
            c.out.line("")
            c.out.line("\(title) (\(rows.count)):")
            for r in rows {
                var line = "  \(r.id.padding(toLength: 7, withPad: " ", startingAt: 0)) \(word(r.old)) → \(word(r.new))  \(r.title)"
                if change == .regressed || change == .stillFailing || (change == .added && r.new != "passed") { line += "\n           └ " + r.reason }
                c.out.line(line)
            }
        }
        c.out.line("")
        c.out.line("\(diff.rows(.fixed).count) fixed, \(diff.rows(.regressed).count) regressed, \(diff.rows(.stillFailing).count) still failing, \(diff.rows(.unchanged).count) unchanged"
                   + (diff.rows(.added).isEmpty ? "" : ", \(diff.rows(.added).count) added") + (diff.rows(.removed).isEmpty ? "" : ", \(diff.rows(.removed).count) removed")
                   + (diff.rows(.notRerun).isEmpty ? "" : ", \(diff.rows(.notRerun).count) not rerun") + (diff.rows(.notRun).isEmpty ? "" : ", \(diff.rows(.notRun).count) not run"))
        return diff.hasRegression ? OtterCert.Exit.notCertified : OtterCert.Exit.ok
    }
}
