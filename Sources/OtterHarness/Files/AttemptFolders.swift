import Foundation

/// Each run writes into a new attempt folder under `--report-dir`, so nothing an earlier attempt wrote is ever
/// overwritten: `DIR/attempt-1/`, `DIR/attempt-2/` …, and `DIR/latest`, a symbolic link to the newest.
public enum AttemptFolders {
    /// The attempt numbers already in `dir` (`attempt-N` folders), ascending.
    public static func existing(in dir: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { n in n.hasPrefix("attempt-") ? Int(n.dropFirst("attempt-".count)) : nil }.filter { $0 > 0 }.sorted()
    }

    /// Creates `dir/attempt-N`, N one past the highest attempt there (and at least `atLeast`), and points
    /// `dir/latest` at it. Two runs starting at once get different folders (creating one is the claim).
    public static func next(in dir: String, atLeast: Int = 1) throws(HarnessError) -> (path: String, number: Int) {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create the report folder \(dir): \(error.localizedDescription)")
        }
        var n = max(atLeast, (existing(in: dir).last ?? 0) + 1)
        while true {
            let path = (dir as NSString).appendingPathComponent("attempt-\(n)")
            if mkdir(path, 0o755) == 0 {
                pointLatest(in: dir, at: "attempt-\(n)")
                return (path, n)
            }
            guard errno == EEXIST else {
                throw .environment("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            n += 1
        }
    }

    /// `dir/latest` → `target`, replaced atomically (a new link renamed over the old one). A `latest` that is a real
    /// folder or file (not a link) is left alone: it is someone's evidence.
    static func pointLatest(in dir: String, at target: String) {
        let latest = (dir as NSString).appendingPathComponent("latest")
        if let attrs = try? FileManager.default.attributesOfItem(atPath: latest), attrs[.type] as? FileAttributeType != .typeSymbolicLink { return }
        let temp = (dir as NSString).appendingPathComponent(".latest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard symlink(target, temp) == 0 else { return }
        if rename(temp, latest) != 0 { unlink(temp) }
    }
}
