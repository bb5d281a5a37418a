import Foundation
import OtterCore
import OtterHarness

/// `otter-cert doctor`: what this machine gives otter-cert, and whether a run can work here.
enum DoctorCommand {
    static let spec = CommandSpec(
        name: "doctor", abstract: "Check this machine: where the data comes from, libcurl, OpenSSL, and whether the sandbox can listen.",
        discussion: """
        Prints one line per check and exits 0 when all pass, 3 when one fails (the exit code of an environment error):
          data     the folder the checklists, schemas and fixtures are read from, and why that one: --data-dir,
                   then OTTER_CERT_HOME, then beside the executable (bin/../share/otter-cert, or a checkout), then
                   the current directory and its parents; else the copy built into the binary
          libcurl  the libcurl found at run time (run and demo send every request with it) and its TLS library
          openssl  the libcrypto the binary is linked with (webhook signatures)
          sandbox  the embedded Otter sandbox's server listens on --sandbox-listen and answers a request sent
                   through libcurl

        Examples:
          otter-cert doctor
          otter-cert doctor --sandbox-listen 0.0.0.0:8089     # the address you will give `run`
          otter-cert --data-dir ./my-data doctor
        """,
        options: [OptionSpec(name: "sandbox-listen", valueName: "host:port",
                             help: "The address to try listening on, as `run --sandbox-listen` takes it (port 0: any free port).",
                             defaultValue: "127.0.0.1:0")],
        arguments: [], subcommands: [])

    static func run(_ c: Context) throws -> Int32 {
        let (host, port) = try RunCommand.hostPort(c.args.value("sandbox-listen") ?? "127.0.0.1:0")
        c.out.line(BuildInfo.versionLine)
        c.out.line("executable".padded(to: 11) + ProjectFiles.currentExecutablePath())
        let checks = Doctor.checks(environment: c.environment, dataDir: c.args.value("data-dir"), listenHost: host, listenPort: port)
        let style = c.style
        for check in checks {
            c.out.line(check.name.padded(to: 11) + (check.ok ? style.pass("ok") : style.fail("FAIL")) + "  " + check.detail)
        }
        let failed = checks.filter { !$0.ok }
        if failed.isEmpty {
            c.out.line("all \(checks.count) checks passed")
            return OtterCert.Exit.ok
        }
        c.err.line("otter-cert: error: \(failed.count) of \(checks.count) checks failed: \(failed.map(\.name).joined(separator: ", "))")
        return OtterCert.Exit.environment
    }
}
