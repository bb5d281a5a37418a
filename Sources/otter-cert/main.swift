import Foundation
import OtterCLI
import OtterHarness

unblockTerminationSignals()
exit(OtterCert.main(Array(CommandLine.arguments.dropFirst())))
