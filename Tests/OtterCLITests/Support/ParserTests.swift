import XCTest
@testable import OtterCLI

final class ParserTests: XCTestCase {
    private func parse(_ argv: [String], env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> ParsedArguments {
        let outcome = try parseCommandLine(argv, root: Sample.root, environment: env)
        guard case .parsed(let parsed) = outcome else {
            XCTFail("expected .parsed, got \(outcome)", file: file, line: line)
            throw UsageError("not parsed")
        }
        return parsed
    }

    private func usageError(_ argv: [String], env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> UsageError? {
        do {
            let outcome = try parseCommandLine(argv, root: Sample.root, environment: env)
            XCTFail("expected a UsageError, got \(outcome)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func assertError(_ argv: [String], env: [String: String] = [:], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(usageError(argv, env: env, file: file, line: line)?.description, expected, file: file, line: line)
    }

    private func helpOutcome(_ argv: [String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            if case .help(let text) = try parseCommandLine(argv, root: Sample.root, environment: [:]) { return text }
            XCTFail("expected .help", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    func testSampleTreeIsValid() {
        XCTAssertEqual(Sample.root.specProblems(), [])
    }

    func testSpecProblemsAreReported() {
        let bad = CommandSpec(name: "x", abstract: "", options: [
            OptionSpec(name: "help", help: ""),
            OptionSpec(name: "a", short: "h", valueName: "v", help: ""),
            OptionSpec(name: "a", help: ""),
        ], arguments: [ArgumentSpec(name: "rest", help: "", variadic: true), ArgumentSpec(name: "last", help: "")])
        XCTAssertEqual(bad.specProblems(), [
            "x: option name '--help' is reserved",
            "x: short option '-h' is reserved",
            "x: duplicate option '--a'",
            "x: variadic argument '<rest>' must be last",
        ])
        let secretChoice = CommandSpec(name: "y", abstract: "", options: [
            OptionSpec(name: "key", valueName: "k", help: "", allowed: ["a"], secret: true),
        ])
        XCTAssertEqual(secretChoice.specProblems(), ["y: secret option '--key' cannot have allowed values (they would be echoed)"])
    }

    // MARK: Option forms

    func testSeparateAndEqualsValuesAndFlags() throws {
        let parsed = try parse(["observe", "--type", "delivery", "--log=events.jsonl", "--report-json", "out.json", "--lenient"])
        XCTAssertEqual(parsed.commandPath, ["observe"])
        XCTAssertEqual(parsed.value("type"), "delivery")
        XCTAssertEqual(parsed.value("log"), "events.jsonl")
        XCTAssertEqual(parsed.value("report-json"), "out.json")
        XCTAssertTrue(parsed.flag("lenient"))
        XCTAssertFalse(parsed.flag("quiet"))
    }

    func testShortOptionsAndClusters() throws {
        let parsed = try parse(["-q", "observe", "-lt", "pos", "--log", "-"])
        XCTAssertTrue(parsed.flag("quiet"))
        XCTAssertTrue(parsed.flag("lenient"))
        XCTAssertEqual(parsed.value("type"), "pos")
        XCTAssertEqual(parsed.value("log"), "-", "'-' alone is a value (stdin)")
        XCTAssertEqual(try parse(["observe", "-torders", "--log", "x"]).value("type"), "orders")
    }

    func testInheritedOptionAfterSubcommand() throws {
        XCTAssertTrue(try parse(["checklist", "list", "-q"]).flag("quiet"))
        XCTAssertTrue(try parse(["--quiet", "checklist", "list"]).flag("quiet"))
    }

    func testLastOccurrenceWinsAndRepeatable() throws {
        let parsed = try parse(Sample.runBase + ["--type", "delivery", "--only", "DEL-01,DEL-04", "--only=DEL-07"])
        XCTAssertEqual(parsed.value("type"), "delivery")
        XCTAssertEqual(parsed.values("only"), ["DEL-01,DEL-04", "DEL-07"])
        XCTAssertEqual(parsed.value("only"), "DEL-07")
        XCTAssertEqual(try parse(Sample.runBase).values("only"), [])
    }

    func testDefaultsAndTypedAccessors() throws {
        let parsed = try parse(Sample.runBase + ["--timeout-scale", "0.5", "--sandbox-listen", "127.0.0.1:0"])
        XCTAssertEqual(try parsed.double("timeout-scale"), 0.5)
        XCTAssertEqual(try parsed.int("retries"), 2)
        XCTAssertEqual(parsed.source("retries"), .defaultValue)
        XCTAssertEqual(parsed.source("timeout-scale"), .commandLine)
        XCTAssertEqual(parsed.value("sandbox-listen"), "127.0.0.1:0")
        XCTAssertNil(try parse(["observe", "--type", "pos", "--log", "x"]).value("report-json"))
        XCTAssertEqual(try parse(Sample.runBase + ["--retries", "-1"]).int("retries"), -1, "negative numbers are values")
    }

    func testTypedAccessorErrors() throws {
        let parsed = try parse(Sample.runBase + ["--timeout-scale", "abc", "--retries", "1.5"])
        XCTAssertThrowsError(try parsed.double("timeout-scale")) { error in
            XCTAssertEqual("\(error)", "otter-cert run: --timeout-scale expects a number, got 'abc'")
        }
        XCTAssertThrowsError(try parsed.int("retries")) { error in
            XCTAssertEqual("\(error)", "otter-cert run: --retries expects an integer, got '1.5'")
        }
        let nan = try parse(Sample.runBase + ["--timeout-scale", "nan"])
        XCTAssertThrowsError(try nan.double("timeout-scale"))
        let fromEnv = try parse(Sample.runBase, env: ["OTTER_CERT_TIMEOUT_SCALE": "fast"])
        XCTAssertThrowsError(try fromEnv.double("timeout-scale")) { error in
            XCTAssertEqual("\(error)", "otter-cert run: OTTER_CERT_TIMEOUT_SCALE (for --timeout-scale) expects a number, got 'fast'")
        }
    }

    func testDoubleDashEndsOptions() throws {
        let parsed = try parse(["diff", "--", "--old.json", "-new.json"])
        XCTAssertEqual(parsed.argument("old"), "--old.json")
        XCTAssertEqual(parsed.argument("new"), "-new.json")
        XCTAssertNil(parsed.argument("output"))
    }

    // MARK: Positionals and subcommands

    func testPositionalsOptionalAndVariadic() throws {
        let diff = try parse(["diff", "old.json", "new.json", "-"])
        XCTAssertEqual(diff.commandPath, ["diff"])
        XCTAssertEqual(diff.argument("output"), "-")
        let validate = try parse(["checklist", "validate", "a.json", "b.json"])
        XCTAssertEqual(validate.commandPath, ["checklist", "validate"])
        XCTAssertEqual(validate.arguments("file"), ["a.json", "b.json"])
        XCTAssertEqual(validate.argument("file"), "a.json")
        XCTAssertEqual(try parse(["checklist", "list"]).commandPath, ["checklist", "list"])
    }

    func testMissingAndUnexpectedPositionals() {
        assertError(["diff", "old.json"], "otter-cert diff: missing required argument '<new>'")
        assertError(["checklist", "validate"], "otter-cert checklist validate: missing required argument '<file>'")
        assertError(["diff", "a", "b", "c", "d"], "otter-cert diff: unexpected argument 'd'")
        assertError(["checklist", "list", "extra"], "otter-cert checklist list: unexpected argument 'extra'")
    }

    func testUnknownSubcommandSuggests() {
        assertError(["obsrve"], "otter-cert: unknown command 'obsrve'. Did you mean 'observe'?")
        assertError(["checklist", "lst"], "otter-cert checklist: unknown subcommand 'lst'. Did you mean 'list'?")
        assertError(["checklist", "frobnicate"], "otter-cert checklist: unknown subcommand 'frobnicate'")
    }

    func testMissingSubcommandReturnsHelpAsUsageError() {
        let error = usageError(["checklist"])
        XCTAssertEqual(error?.message, "missing subcommand (expected one of: list, validate)")
        XCTAssertEqual(error?.commandPath, ["checklist"])
        XCTAssertEqual(error?.helpText, helpText(for: ["checklist"], root: Sample.root))
        XCTAssertEqual(error?.description,
                       "otter-cert checklist: missing subcommand (expected one of: list, validate)\n\n"
                       + helpText(for: ["checklist"], root: Sample.root))
        XCTAssertEqual(usageError([])?.message, "missing subcommand (expected one of: observe, checklist, run, diff)")
        XCTAssertEqual(UsageError.exitCode, 2)
    }

    // MARK: Option errors

    func testUnknownOptionSuggests() {
        assertError(["observe", "--lgo", "x"], "otter-cert observe: unknown option '--lgo'. Did you mean '--log'?")
        assertError(["observe", "--tpye=pos"], "otter-cert observe: unknown option '--tpye'. Did you mean '--type'?")
        assertError(["observe", "--hlep"], "otter-cert observe: unknown option '--hlep'. Did you mean '--help'?")
        assertError(["observe", "--quite"], "otter-cert observe: unknown option '--quite'. Did you mean '--quiet'?")
        assertError(["observe", "--frobnicate"], "otter-cert observe: unknown option '--frobnicate'")
        assertError(["observe", "-x"], "otter-cert observe: unknown option '-x'")
        assertError(["diff", "-5"], "otter-cert diff: unknown option '-5'")
    }

    func testUnknownOptionHint() {
        XCTAssertEqual(usageError(["observe", "--lgo"])?.hint, "Run 'otter-cert observe --help' for usage.")
    }

    func testMissingValue() {
        assertError(["observe", "--type", "pos", "--log"], "otter-cert observe: --log expects a value")
        assertError(["observe", "--type", "pos", "--log", "--lenient"], "otter-cert observe: --log expects a value")
        assertError(["observe", "--type", "pos", "--log="], "otter-cert observe: --log expects a value")
        assertError(["observe", "--log", "x", "-t"], "otter-cert observe: -t expects a value")
    }

    func testFlagWithValue() {
        assertError(["observe", "--lenient=yes"], "otter-cert observe: --lenient does not take a value")
    }

    /// A flag that also takes a value after '=' (`--lenient`, `--lenient=ignore`): alone it is on with no value; its
    /// values are checked and listed; it never takes the next argument.
    func testFlagWithValues() throws {
        let spec = CommandSpec(name: "p", abstract: "", subcommands: [
            CommandSpec(name: "observe", abstract: "", options: [
                OptionSpec(name: "log", valueName: "file", help: ""),
                .flag("lenient", values: ["ignore"], help: "Skip unreadable lines.", env: "P_LENIENT"),
            ]),
            CommandSpec(name: "take", abstract: "", options: [.flag("mode", values: ["ignore", "all"], help: "")],
                        arguments: [ArgumentSpec(name: "file", help: "", optional: true)]),
        ])
        XCTAssertEqual(spec.specProblems(), [])
        func parsed(_ argv: [String], env: [String: String] = [:]) throws -> ParsedArguments {
            guard case .parsed(let p) = try parseCommandLine(argv, root: spec, environment: env) else { throw UsageError("not parsed") }
            return p
        }
        func failure(_ argv: [String], env: [String: String] = [:]) -> String? {
            do { _ = try parseCommandLine(argv, root: spec, environment: env); return nil } catch { return error.description }
        }
        XCTAssertNil(try parsed(["observe"]).flagValue("lenient"))
        XCTAssertFalse(try parsed(["observe"]).flag("lenient"))
        XCTAssertEqual(try parsed(["observe", "--lenient"]).flagValue("lenient"), "")
        XCTAssertEqual(try parsed(["observe", "--lenient=ignore"]).flagValue("lenient"), "ignore")
        XCTAssertEqual(try parsed(["observe", "--lenient=IGNORE"]).flagValue("lenient"), "ignore", "as spelled in the spec")
        XCTAssertTrue(try parsed(["observe", "--lenient=ignore"]).flag("lenient"))
        XCTAssertEqual(try parsed(["observe", "--lenient=ignore", "--lenient"]).flagValue("lenient"), "", "the last occurrence wins")
        XCTAssertEqual(failure(["observe", "--lenient=yes"]), "p observe: --lenient is given alone or as --lenient=ignore; got '--lenient=yes'")
        XCTAssertEqual(failure(["observe", "--lenient="]), "p observe: --lenient is given alone or as --lenient=ignore; got '--lenient='")
        XCTAssertEqual(failure(["take", "--mode=x"]), "p take: --mode is given alone or as --mode=ignore or --mode=all; got '--mode=x'")
        XCTAssertEqual(failure(["observe", "--lenient", "ignore"]), "p observe: --lenient takes its value after '=': --lenient=ignore")
        // A command with positional arguments takes the word as its argument.
        XCTAssertEqual(try parsed(["take", "--mode", "all"]).argument("file"), "all")
        XCTAssertEqual(try parsed(["observe", "--lenient", "--log", "x"]).value("log"), "x")
        // From the environment: a boolean, or one of the values.
        XCTAssertEqual(try parsed(["observe"], env: ["P_LENIENT": "1"]).flagValue("lenient"), "")
        XCTAssertNil(try parsed(["observe"], env: ["P_LENIENT": "off"]).flagValue("lenient"))
        XCTAssertEqual(try parsed(["observe"], env: ["P_LENIENT": "Ignore"]).flagValue("lenient"), "ignore")
        XCTAssertEqual(failure(["observe"], env: ["P_LENIENT": "maybe"]),
                       "p observe: P_LENIENT (for --lenient) expects a boolean (1/0, true/false, yes/no, on/off) or ignore, got 'maybe'")
        // Help shows the values beside the flag.
        let help = helpText(for: ["observe"], root: spec)
        XCTAssertTrue(help.contains("--lenient[=ignore]"), help)
        // Values must be words: a boolean would be ambiguous.
        let bad = CommandSpec(name: "z", abstract: "", options: [.flag("f", values: ["true"], help: "")])
        XCTAssertEqual(bad.specProblems(), ["z: the values of flag '--f' must be words other than booleans"])
    }

    func testValueNotAllowed() {
        assertError(["observe", "--type", "deliveries", "--log", "x"],
                    "otter-cert observe: --type must be one of delivery, pos, orders; got 'deliveries'")
        assertError(["observe", "-tdeliveries", "--log", "x"],
                    "otter-cert observe: --type must be one of delivery, pos, orders; got 'deliveries'")
    }

    func testAllowedValuesIgnoreCaseAndAreStoredAsSpelled() throws {
        XCTAssertEqual(try parse(["observe", "--log", "x", "--type", "POS"]).value("type"), "pos")
        XCTAssertEqual(try parse(["observe", "--log", "x"], env: ["OTTER_CERT_TYPE": "Orders"]).value("type"), "orders")
    }

    func testMissingRequiredOptions() {
        assertError(["observe", "--log", "x"], "otter-cert observe: missing required option '--type' (or set OTTER_CERT_TYPE)")
        assertError(["observe"], "otter-cert observe: missing required options '--type' (or set OTTER_CERT_TYPE), '--log'")
        assertError(["run", "--type", "pos", "--partner-url", "u"], "otter-cert run: missing required option '--webhook-secret' (or set OTTER_CERT_WEBHOOK_SECRET)")
    }

    // MARK: Environment

    func testEnvironmentFallbackAndPrecedence() throws {
        let env = ["OTTER_CERT_TYPE": "orders", "OTTER_CERT_LENIENT": "1"]
        let fromEnv = try parse(["observe", "--log", "x"], env: env)
        XCTAssertEqual(fromEnv.value("type"), "orders", "env satisfies a required option")
        XCTAssertEqual(fromEnv.source("type"), .environment("OTTER_CERT_TYPE"))
        XCTAssertTrue(fromEnv.flag("lenient"))
        let flagWins = try parse(["observe", "--log", "x", "--type", "pos"], env: env)
        XCTAssertEqual(flagWins.value("type"), "pos")
        XCTAssertEqual(flagWins.source("type"), .commandLine)
        XCTAssertFalse(try parse(["observe", "--log", "x", "-tpos"], env: ["OTTER_CERT_LENIENT": "off"]).flag("lenient"))

        let run = ["run", "--type", "pos", "--partner-url", "u"]
        XCTAssertEqual(try parse(run, env: ["OTTER_CERT_WEBHOOK_SECRET": "from-env"]).value("webhook-secret"), "from-env")
        XCTAssertEqual(try parse(run + ["--webhook-secret", "flag"], env: ["OTTER_CERT_WEBHOOK_SECRET": "from-env"])
            .value("webhook-secret"), "flag")
        // env beats default; an empty variable counts as unset
        XCTAssertEqual(try parse(Sample.runBase, env: ["OTTER_CERT_TIMEOUT_SCALE": "3"]).double("timeout-scale"), 3)
        XCTAssertEqual(try parse(Sample.runBase, env: ["OTTER_CERT_TIMEOUT_SCALE": ""]).value("timeout-scale"), "1.0")
        assertError(run, env: ["OTTER_CERT_WEBHOOK_SECRET": ""], "otter-cert run: missing required option '--webhook-secret' (or set OTTER_CERT_WEBHOOK_SECRET)")
    }

    func testEnvironmentValuesAreValidated() {
        assertError(["observe", "--log", "x"], env: ["OTTER_CERT_TYPE": "pizza"],
                    "otter-cert observe: OTTER_CERT_TYPE (for --type) must be one of delivery, pos, orders; got 'pizza'")
        assertError(["observe", "--log", "x", "-tpos"], env: ["OTTER_CERT_LENIENT": "maybe"],
                    "otter-cert observe: OTTER_CERT_LENIENT (for --lenient) expects a boolean (1/0, true/false, yes/no, on/off), got 'maybe'")
    }

    // MARK: Secrets

    func testSecretNeverEchoed() throws {
        let secret = Sample.secret
        let secretSpec = OptionSpec(name: "token", valueName: "token", help: "API token.", defaultValue: secret,
                                    env: "TOKEN", secret: true)
        let tokenRoot = CommandSpec(name: "tool", abstract: "t", options: [
            secretSpec,
            OptionSpec(name: "n", valueName: "n", help: "", env: "N", secret: true),
        ])
        var outputs: [String] = []
        func collect(_ argv: [String], root: CommandSpec = Sample.root, env: [String: String] = [:]) {
            do {
                let outcome = try parseCommandLine(argv, root: root, environment: env)
                if case .help(let text) = outcome { outputs.append(text) }
                if case .parsed(let parsed) = outcome {
                    for name in ["n", "timeout-scale"] where parsed.specs[name] != nil {
                        do { _ = try parsed.double(name) } catch { outputs += [error.description, error.hint] }
                    }
                }
            } catch {
                outputs += [error.description, error.hint]
            }
        }
        let run = ["run", "--type", "pos", "--partner-url", "u"]
        collect(run + ["--webhook-secret=\(secret)", "--typo"])
        collect(run + ["--webhook-secret", secret, "--timeout-scale"])
        collect(run + ["--webhook-secert=\(secret)"])
        collect(run + ["--webhook-secret", secret, "--help"])
        collect(run + ["--webhook-secret", secret, "-x\(secret)"])
        collect(run + ["--webhook-secret", secret, "--sandbox-listen"], env: ["OTTER_CERT_WEBHOOK_SECRET": secret])
        collect(["run"], env: ["OTTER_CERT_WEBHOOK_SECRET": secret])
        collect(["run", "--help"], env: ["OTTER_CERT_WEBHOOK_SECRET": secret])
        collect(["--token", secret, "--tokn", secret], root: tokenRoot)
        collect(["--token=\(secret)", "extr"], root: tokenRoot)
        collect(["--n", secret], root: tokenRoot)
        collect([], root: tokenRoot, env: ["N": secret])
        collect(["--help"], root: tokenRoot)
        outputs.append(helpText(for: ["run"], root: Sample.root))
        outputs.append(helpText(for: [], root: tokenRoot))

        XCTAssertGreaterThanOrEqual(outputs.count, 20)
        for output in outputs {
            XCTAssertFalse(output.contains(secret), "secret leaked in: \(output)")
        }
        XCTAssertTrue(outputs.contains("tool: unexpected argument 'extr'"))
        XCTAssertTrue(outputs.contains("tool: unknown option '--tokn'. Did you mean '--token'?"))
        XCTAssertTrue(outputs.contains("tool: --n expects a number"))
        XCTAssertTrue(outputs.contains("tool: N (for --n) expects a number"))
    }

    // MARK: Help and version

    func testHelpAnywhereIsForDeepestCommand() throws {
        let observeHelp = helpText(for: ["observe"], root: Sample.root)
        XCTAssertEqual(helpOutcome(["observe", "--help"]), observeHelp)
        XCTAssertEqual(helpOutcome(["observe", "--lgo", "x", "-h"]), observeHelp, "help wins over errors")
        XCTAssertEqual(helpOutcome(["--help", "observe"]), observeHelp)
        XCTAssertEqual(helpOutcome(["observe", "--type", "-h"]), observeHelp)
        XCTAssertEqual(helpOutcome(["observe", "-lh"]), observeHelp)
        XCTAssertEqual(helpOutcome(["checklist", "validate", "a.json", "--help"]), helpText(for: ["checklist", "validate"], root: Sample.root))
        XCTAssertEqual(helpOutcome(["checklist", "bogus", "--help"]), helpText(for: ["checklist"], root: Sample.root))
        XCTAssertEqual(helpOutcome(["-h"]), helpText(for: [], root: Sample.root))
        XCTAssertEqual(helpOutcome(["help"]), helpText(for: [], root: Sample.root))
        XCTAssertEqual(helpOutcome(["help", "observe"]), observeHelp)
        XCTAssertEqual(helpOutcome(["help", "checklist", "validate"]), helpText(for: ["checklist", "validate"], root: Sample.root))
        assertError(["help", "obsrve"], "otter-cert: unknown command 'obsrve'. Did you mean 'observe'?")
        // After `--`, --help is a positional.
        XCTAssertEqual(try parse(["diff", "a", "b", "--", "--help"]).argument("output"), "--help")
        // `--log=--help` is a value, not a help request.
        XCTAssertEqual(try parse(["observe", "-tpos", "--log=--help"]).value("log"), "--help")
    }

    func testVersion() throws {
        guard case .version = try parseCommandLine(["--version"], root: Sample.root, environment: [:]) else {
            return XCTFail("expected .version")
        }
        guard case .version = try parseCommandLine(["observe", "--version", "--bogus"], root: Sample.root, environment: [:]) else {
            return XCTFail("expected .version")
        }
        XCTAssertNotNil(helpOutcome(["--version", "--help"]), "help wins over version")
    }

    func testEditDistance() {
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("lgo", "log"), 2)
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(closestMatch(to: "lgo", among: ["type", "log", "lenient"]), "log")
        XCTAssertNil(closestMatch(to: "zzzzz", among: ["type", "log"]))
    }
}
