import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Unblocks SIGINT and SIGTERM in the calling thread: a parent may have started this process with them blocked
/// (threads of a dispatch pool do), and Ctrl-C or `kill` must still reach it.
public func unblockTerminationSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// Ignores SIGPIPE in the whole process: a write to a pipe or socket whose reader has gone (an action hook that
/// exited without reading its stdin, a client that hung up) then fails with `EPIPE`, which the writer handles,
/// instead of killing otter-cert silently (exit 141). Children get the default back (`HookProcess`). Idempotent.
public func ignoreSIGPIPE() {
    signal(SIGPIPE, SIG_IGN)
}

/// Ends the process with `code` if it is still running `seconds` after the verdict was said: the report is complete
/// by then, and a stuck teardown (a child that will not die, a thread that will not join) must not hold a user's
/// terminal or a CI job for ever. Says so on stderr, naming the step it was stuck in.
public enum ShutdownWatchdog {
    nonisolated(unsafe) private static var step = "shutting down"
    private static let lock = NSLock()

    /// Records the teardown step in progress, for the message.
    public static func entering(_ what: String) {
        lock.lock(); step = what; lock.unlock()
    }

    /// Starts the countdown. Call once the verdict and the report line are out.
    public static func arm(exitCode: Int32, seconds: Double = 20, warn: @escaping @Sendable (String) -> Void) {
        Thread.detachNewThread {
            usleep(UInt32(seconds * 1_000_000))
            lock.lock(); let s = step; lock.unlock()
            warn("otter-cert: warning: \(s) took over \(Int(seconds)) s; exiting anyway (the report and the log are complete)")
            _exit(exitCode)
        }
    }
}
