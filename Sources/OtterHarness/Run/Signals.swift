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
