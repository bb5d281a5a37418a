import Foundation
import OtterCLI

exit(OtterCert.main(Array(CommandLine.arguments.dropFirst())))
