// The reference Otter partner of otter-cert, run as `otter-cert sample-partner`. See docs/sample-partner.md.
import Foundation
import OtterHarness

/// Dispatches to a subcommand and exits with its status.
public enum SamplePartner {
    /// Runs `serve`, `action` or `help` with these arguments and returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            print(Usage.main)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "serve": return ServeCommand.run(rest)
        case "action": return ActionCommand.run(rest)
        case "help", "--help", "-h":
            switch rest.first {
            case "serve": print(Usage.serve)
            case "action": print(Usage.action)
            default: print(Usage.main)
            }
            return 0
        default:
            FileHandle.standardError.write(Data("otter-cert sample-partner: unknown command '\(command)'\n\n\(Usage.main)\n".utf8))
            return 2
        }
    }
}

