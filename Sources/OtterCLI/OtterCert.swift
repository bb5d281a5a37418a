import Foundation
import OtterCore
import OtterHarness
import SamplePartner

/// The `otter-cert` command line: parses arguments, runs a command, returns the exit code.
public enum OtterCert {
    /// Exit codes shared by every command.
    public enum Exit {
        /// Certified / success.
        public static let ok: Int32 = 0
        /// Not certified.
        public static let notCertified: Int32 = 1
        /// Usage or input error.
        public static let usage: Int32 = 2
        /// Environment error (port in use, libcurl failure, missing data).
        public static let environment: Int32 = 3
        /// Interrupted.
        public static let interrupted: Int32 = 130
    }

    static let typeOption = OptionSpec(name: "type", short: "t", valueName: "type", help: "Integration type to certify.",
                                       allowed: IntegrationType.allCases.map(\.rawValue), required: true)
    /// `--type` where the log may say it: an otter-cert event log's run line records its integration type.
    static let typeFromLogOption = OptionSpec(name: "type", short: "t", valueName: "type",
                                              help: "Integration type; default: the one the event log's run line records (a HAR capture needs it).",
                                              allowed: IntegrationType.allCases.map(\.rawValue))

    /// `--lenient` / `--lenient=ignore` of the commands that read event logs (observe, report).
    static let lenientOption = OptionSpec.flag(
        "lenient", values: [Leniency.ignore.rawValue],
        help: "Skip unreadable log lines (and count them) instead of stopping at the first; the verdict is then NOT CERTIFIED "
            + "(\"N unreadable lines\"), since a skipped line could have held evidence. --lenient=ignore judges from the lines "
            + "that could be read, and every report says how many were ignored.")

    /// The command tree.
    public static let root = CommandSpec(
        name: "otter-cert",
        abstract: "Certification harness for Otter Public API integrations (Orders, POS, Delivery).",
        discussion: """
        Loads the certification checklist of an integration type and judges a partner's integration against it:
        `observe` reads a recorded event log or HAR capture; `demo` shows the whole thing on bundled data.
        `otter-cert sample-partner serve|action` runs the bundled reference partner on its own.

        The checklists, schemas and fixtures come from --data-dir, else $OTTER_CERT_HOME, else a data folder beside the
        executable (bin/../share/otter-cert of the release archive, or a checkout), else the copy built into the binary;
        `otter-cert doctor` says which, and checks libcurl, OpenSSL and the sandbox's port.

        Exit codes: 0 certified, 1 not certified, 2 usage or input error, 3 environment error, 130 interrupted.

        Examples:
          otter-cert demo
          otter-cert doctor
          otter-cert checklist list
          otter-cert observe --type delivery --log events.jsonl --report-json report.json
        """,
        options: [dataDirOption], arguments: [],
        subcommands: [ChecklistCommand.spec, ObserveCommand.spec, RunCommand.spec, ProxyCommand.spec, DemoCommand.spec, ReportCommand.spec,
                      VerifyCommand.spec, DiffCommand.spec, OnboardingCommand.spec, DoctorCommand.spec])

    /// `--data-dir`, accepted by every command: the data folder to read instead of the one found (or the built-in copy).
    static let dataDirOption = OptionSpec(
        name: "data-dir", valueName: "dir",
        help: "Read checklists/, Fixtures/ and the schemas from this folder (a checkout, or the archive's share/otter-cert); "
            + "overrides OTTER_CERT_HOME and the folder found beside the executable.")

    /// Runs the command line and returns the process exit code.
    public static func main(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                            out: LineWriter = .stdout, err: LineWriter = .stderr) -> Int32 {
        // A reader that has gone (an action hook that did not read its stdin, `otter-cert … | head`) is an EPIPE the
        // writer handles, never a silent exit 141.
        ignoreSIGPIPE()
        // The reference partner has its own small command line (`serve`, `action`); the demo starts it from this binary.
        if argv.first == "sample-partner" { return SamplePartner.main(Array(argv.dropFirst())) }
        let parsed: ParsedArguments
        do {
            switch try parseCommandLine(argv, root: root, environment: environment) {
            case .help(let text): out.line(text); return Exit.ok
            case .version: out.line(BuildInfo.versionLine); return Exit.ok
            case .parsed(let p): parsed = p
            }
        } catch {
            err.line(error.description)
            if error.helpText == nil { err.line(error.hint) }
            return Exit.usage
        }
        let context = Context(args: parsed, environment: environment, out: out, err: err)
        do {
            switch parsed.commandPath.first {
            case "checklist": return try ChecklistCommand.run(context)
            case "observe": return try ObserveCommand.run(context)
            case "run": return try RunCommand.run(context)
            case "proxy": return try ProxyCommand.run(context)
            case "demo": return try DemoCommand.run(context)
            case "report": return try ReportCommand.run(context)
            case "verify": return try VerifyCommand.run(context)
            case "diff": return try DiffCommand.run(context)
            case "onboarding": return try OnboardingCommand.run(context)
            case "doctor": return try DoctorCommand.run(context)
            default: out.line(helpText(for: [], root: root)); return Exit.usage
            }
        } catch let e as HarnessError {
            err.line("otter-cert: error: \(e.description)")
            return e.exitCode
        } catch let e as UsageError {
            err.line(e.description)
            return Exit.usage
        } catch {
            err.line("otter-cert: error: \(error)")
            return Exit.environment
        }
    }
}

/// What a command gets: its arguments, the environment and where to write.
struct Context {
    let args: ParsedArguments
    let environment: [String: String]
    let out: LineWriter
    let err: LineWriter

    var style: VerdictText.Style {
        let t = TerminalStyle.detect(environment: environment, isTTY: out.isTerminal)
        return VerdictText.Style(pass: { t.green($0) }, fail: { t.red($0) }, skip: { t.yellow($0) }, bold: { t.bold($0) }, dim: { t.dim($0) })
    }

    func files() throws(HarnessError) -> ProjectFiles { try ProjectFiles.locate(environment: environment, dataDir: args.value("data-dir")) }

    func type() throws(HarnessError) -> IntegrationType {
        guard let t = args.value("type").flatMap(IntegrationType.init(rawValue:)) else { throw .input("--type is required") }
        return t
    }

    /// What `--lenient` asks for: strict without it, `lenient` alone, `ignore` with `=ignore`.
    var leniency: Leniency {
        switch args.flagValue("lenient") {
        case nil: return .strict
        case Leniency.ignore.rawValue?: return .ignore
        default: return .lenient
        }
    }

    /// `--type`, else the integration type the log's first line (an otter-cert run line) records.
    func type(orFromLog path: String) throws(HarnessError) -> IntegrationType {
        if let t = args.value("type").flatMap(IntegrationType.init(rawValue:)) { return t }
        if path != "-", let t = LogReader.recordedIntegrationType(path: path) { return t }
        throw .input("give --type: \(path == "-" ? "standard input" : path) does not say which integration type it is (only an otter-cert event log's run line does; a HAR capture never does)")
    }
}
