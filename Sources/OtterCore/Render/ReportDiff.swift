import Foundation

/// What changed, record by record, between two `report.json` documents of the same integration type.
public struct ReportDiff: Sendable {
    /// How a record moved between the old and the new report.
    public enum Change: String, Sendable, CaseIterable {
        /// Failed or skipped before, passed now.
        case fixed
        /// Passed before, failed or skipped now.
        case regressed
        /// Not passed in either.
        case stillFailing = "still-failing"
        /// Passed in both.
        case unchanged
        /// Only in the new report.
        case added
        /// Only in the old report.
        case removed
        /// The new report carries the old verdict forward: its attempt did not rerun the record.
        case notRerun = "not-rerun"
        /// Neither report judged it (`notRun`: interrupted, or left out by --only).
        case notRun = "not-run"
    }

    /// One record's line.
    public struct Row: Sendable {
        /// Record id.
        public var id: String
        /// Record title (from the new report when present).
        public var title: String
        /// Status in the old report.
        public var old: String?
        /// Status in the new report.
        public var new: String?
        /// Reason in the new report (or the old one for removed records).
        public var reason: String
        /// The classification.
        public var change: Change
    }

    /// Integration type of both reports.
    public var integrationType: String
    /// One row per record: new report order, then records only in the old one.
    public var rows: [Row]
    /// Certified in the old and the new report.
    public var certified: (old: Bool, new: Bool)

    /// Whether any record regressed.
    public var hasRegression: Bool { rows.contains { $0.change == .regressed } }

    /// The rows of one kind of change.
    public func rows(_ c: Change) -> [Row] { rows.filter { $0.change == c } }

    /// Compares two reports; throws a one-sentence message when either is not a report or their types differ.
    public static func compare(old: JSONValue, new: JSONValue) throws(ReportDiffError) -> ReportDiff {
        let (ot, orecs) = try records(old, "old")
        let (nt, nrecs) = try records(new, "new")
        guard ot == nt else { throw ReportDiffError(message: "the reports are of different integration types (\(ot), \(nt))") }
        var rows: [Row] = []
        let oldById = Dictionary(orecs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let newIds = Set(nrecs.map(\.id))
        let newAttempt = new["run"]?["attempt"]?.intValue ?? 1
        for n in nrecs {
            guard let o = oldById[n.id] else {
                rows.append(Row(id: n.id, title: n.title, old: nil, new: n.status, reason: n.reason, change: .added)); continue
            }
            let change: Change
            if n.carried, let a = n.attempt, a < newAttempt {
                rows.append(Row(id: n.id, title: n.title, old: o.status, new: n.status, reason: n.reason, change: .notRerun)); continue
            }
            if n.notRun {
                rows.append(Row(id: n.id, title: n.title, old: o.status, new: n.status, reason: n.reason, change: .notRun)); continue
            }
            switch (o.status == "passed", n.status == "passed") {
            case (true, true): change = .unchanged
            case (false, true): change = .fixed
            case (true, false): change = .regressed
            case (false, false): change = .stillFailing
            }
            rows.append(Row(id: n.id, title: n.title, old: o.status, new: n.status, reason: n.reason, change: change))
        }
        for o in orecs where !newIds.contains(o.id) {
            rows.append(Row(id: o.id, title: o.title, old: o.status, new: nil, reason: o.reason, change: .removed))
        }
        return ReportDiff(integrationType: nt, rows: rows,
                          certified: (old["certified"]?.boolValue ?? false, new["certified"]?.boolValue ?? false))
    }

    typealias Rec = (id: String, title: String, status: String, reason: String, attempt: Int?, carried: Bool, notRun: Bool)

    static func records(_ v: JSONValue, _ which: String) throws(ReportDiffError) -> (String, [Rec]) {
        guard let type = v["integrationType"]?.stringValue, let recs = v["records"]?.arrayValue else {
            throw ReportDiffError(message: "the \(which) report is not an otter-cert report.json (no integrationType and records)")
        }
        var out: [Rec] = []
        for (i, r) in recs.enumerated() {
            guard let id = r["id"]?.stringValue, let status = r["status"]?.stringValue, ["passed", "failed", "skipped"].contains(status) else {
                throw ReportDiffError(message: "the \(which) report's records[\(i)] has no id or no valid status")
            }
            out.append((id, r["title"]?.stringValue ?? "", status, r["reason"]?.stringValue ?? "", r["attempt"]?.intValue,
                        r["attempt"] != nil, r["notRun"] != nil))
        }
        return (type, out)
    }
}

/// Why two reports cannot be compared.
public struct ReportDiffError: Error, Sendable, CustomStringConvertible {
    /// One sentence.
    public var message: String
    /// The message.
    public var description: String { message }
}
