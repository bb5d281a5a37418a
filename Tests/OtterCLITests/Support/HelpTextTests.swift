import XCTest
@testable import OtterCLI

final class HelpTextTests: XCTestCase {
    func testRootHelp() {
        XCTAssertEqual(helpText(for: [], root: Sample.root), """
            USAGE: otter-cert [--quiet] <subcommand>

            Certification test harness for Otter Public API integrations.

            OPTIONS:
              -q, --quiet  Print only the verdict.
              -h, --help   Show help information.
              --version    Show the version.

            SUBCOMMANDS:
              observe      Evaluate a recorded event log against a checklist.
              checklist    Inspect and validate checklists.
              run          Drive a live certification run against a partner endpoint.
              diff         Compare two JSON reports.

              See 'otter-cert help <subcommand>' for detailed help.
            """)
    }

    func testObserveHelp() {
        XCTAssertEqual(helpText(for: ["observe"], root: Sample.root), """
            USAGE: otter-cert observe --type <type> --log <file> [--report-json <file>]
                                      [--lenient]

            Evaluate a recorded event log against a checklist.

            EXAMPLES:
              otter-cert observe --type delivery --log events.jsonl --lenient

            OPTIONS:
              -t, --type <type>     Integration type. (values: delivery, pos, orders)
                                    [env: OTTER_CERT_TYPE]
              --log <file>          Event log (JSON Lines); '-' reads stdin.
              --report-json <file>  Also write the report as JSON.
              -l, --lenient         Treat warnings as passes. [env: OTTER_CERT_LENIENT]
              -q, --quiet           Print only the verdict.
              -h, --help            Show help information.
            """)
    }

    func testChecklistHelp() {
        XCTAssertEqual(helpText(for: ["checklist"], root: Sample.root), """
            USAGE: otter-cert checklist <subcommand>

            Inspect and validate checklists.

            OPTIONS:
              -q, --quiet  Print only the verdict.
              -h, --help   Show help information.

            SUBCOMMANDS:
              list         List the built-in checklists.
              validate     Validate checklist files.

              See 'otter-cert help checklist <subcommand>' for detailed help.
            """)
    }

    func testValidateHelp() {
        XCTAssertEqual(helpText(for: ["checklist", "validate"], root: Sample.root), """
            USAGE: otter-cert checklist validate <file> ...

            Validate checklist files.

            ARGUMENTS:
              <file>       Checklist JSON file.

            OPTIONS:
              -q, --quiet  Print only the verdict.
              -h, --help   Show help information.
            """)
    }

    func testRunHelpShowsDefaultsEnvAndLongNames() {
        XCTAssertEqual(helpText(for: ["run"], root: Sample.root), """
            USAGE: otter-cert run --type <type> --partner-url <url>
                                  --webhook-secret <secret> [--only <ids> ...]
                                  [--timeout-scale <factor>] [--retries <n>]
                                  [--sandbox-listen <host:port>]

            Drive a live certification run against a partner endpoint.

            OPTIONS:
              --type <type>           Integration type. (values: delivery, pos, orders)
              --partner-url <url>     Base URL of the partner integration.
              --webhook-secret <secret>
                                      Shared webhook signing secret.
                                      [env: OTTER_CERT_WEBHOOK_SECRET]
              --only <ids>            Run only these checks (comma-separated). (repeatable)
              --timeout-scale <factor>
                                      Multiply every timeout by this factor. (default: 1.0)
                                      [env: OTTER_CERT_TIMEOUT_SCALE]
              --retries <n>           Retries per request. (default: 2)
              --sandbox-listen <host:port>
                                      Address for the sandbox listener.
                                      (default: 127.0.0.1:0)
              -q, --quiet             Print only the verdict.
              -h, --help              Show help information.
            """)
    }

    func testDiffHelp() {
        XCTAssertEqual(helpText(for: ["diff"], root: Sample.root), """
            USAGE: otter-cert diff <old> <new> [<output>]

            Compare two JSON reports.

            ARGUMENTS:
              <old>        Earlier report.
              <new>        Later report.
              <output>     Where to write the diff ('-' for stdout).

            OPTIONS:
              -q, --quiet  Print only the verdict.
              -h, --help   Show help information.
            """)
    }

    func testNarrowWidthWrapsEveryLine() {
        let text = helpText(for: ["run"], root: Sample.root, width: 50)
        for line in text.split(separator: "\n") {
            XCTAssertLessThanOrEqual(line.count, 50, String(line))
        }
        XCTAssertTrue(text.contains(" [env:\n                        OTTER_CERT_WEBHOOK_SECRET]\n"), text)
        XCTAssertEqual(text, helpText(for: ["run"], root: Sample.root, width: 50), "deterministic")
    }

    func testUnknownPathFallsBackToDeepestKnownCommand() {
        XCTAssertEqual(helpText(for: ["checklist", "nope"], root: Sample.root), helpText(for: ["checklist"], root: Sample.root))
    }

    func testWrap() {
        XCTAssertEqual(wrap("aa bb cc dd", width: 5), ["aa bb", "cc dd"])
        XCTAssertEqual(wrap("averyverylongword x", width: 5), ["averyverylongword", "x"])
        XCTAssertEqual(wrap("a\n\nb", width: 5), ["a", "", "b"])
        XCTAssertEqual(wrap("x [env:\u{1F}NAME]", width: 12), ["x", "[env: NAME]"])
        XCTAssertEqual(wrap("x [env:\u{1F}LONG_NAME]", width: 8), ["x [env:", "LONG_NAME]"])
    }
}
