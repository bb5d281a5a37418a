import Foundation
import OtterCLI
#if canImport(Glibc)
import Glibc
#endif

// A parent may have started us with signals blocked (threads of a dispatch pool do): Ctrl-C and kill must work.
var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGINT)
sigaddset(&signals, SIGTERM)
pthread_sigmask(SIG_UNBLOCK, &signals, nil)

exit(OtterCert.main(Array(CommandLine.arguments.dropFirst())))
