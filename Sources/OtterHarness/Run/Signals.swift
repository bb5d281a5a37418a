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
