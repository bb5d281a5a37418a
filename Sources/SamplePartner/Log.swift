import Foundation

/// Diagnostics go to standard error, one line each, so standard output stays reserved for the
/// single "listening" line the harness waits for (and, in `action`, for the vars JSON).
///
/// Nothing secret is ever logged: no webhook secret, client secret, token or signature.
enum Log {
    private static let lock = NSLock()

    static func info(_ message: String) {
        let line = "sample-partner: \(message)\n"
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
