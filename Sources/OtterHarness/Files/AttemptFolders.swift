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

    /// Holds a report folder for one run: an exclusive `flock` on `dir/.otter-cert.lock`, released when the lock is
    /// dropped or the process ends (even killed), so a crashed run never leaves the folder locked.
    public final class Lock: @unchecked Sendable {
        private var fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { release() }
        /// Releases the folder; idempotent.
        public func release() { if fd >= 0 { close(fd); fd = -1 } }
    }

    /// Locks `dir` (created when missing) for this run. A second run into the same folder gets a clear error,
    /// naming the process that holds it, rather than interleaving its attempt and `latest` with the first's.
    public static func lock(_ dir: String) throws(HarnessError) -> Lock {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw .environment("cannot create the report folder \(dir): \(error.localizedDescription)")
        }
        let path = (dir as NSString).appendingPathComponent(".otter-cert.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .environment("cannot lock the report folder \(dir): \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let why = errno
            var bytes = [UInt8](repeating: 0, count: 32)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            guard why == EWOULDBLOCK else {
                throw .environment("cannot lock the report folder \(dir): \(String(cString: strerror(why)))")
            }
            let pid = n > 0 ? String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            let holder = Int(pid).map { "another otter-cert run (process \($0))" } ?? "another otter-cert run"
            throw .environment("\(holder) is writing into the report folder \(dir); wait for it to end, or give another --report-dir")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return Lock(fd: fd)
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
