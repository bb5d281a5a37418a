import Foundation
import OtterCore
import OtterHarness

/// `--live-view HOST:PORT`, `--live-view-token T` and `--live-view-hold S`, shared by `run`, `demo` and `observe --follow`.
enum LiveViewOptions {
    static let options: [OptionSpec] = [
        OptionSpec(name: "live-view", valueName: "host:port",
                   help: "Serve a live view of the certification in a browser here (port 0: any free port; the URL is printed as "
                       + "'Live view: URL' on standard error): the verdict so far, where each record stands, the timeline, pushed "
                       + "over Server-Sent Events; without JavaScript the page is the report as of its last reload. Loopback only "
                       + "unless --live-view-token is given (docs/live-view.md)."),
        OptionSpec(name: "live-view-token", valueName: "token",
                   help: "Required to listen on a non-loopback address: every request must then carry it (?token=TOKEN or "
                       + "Authorization: Bearer TOKEN), else 401. Never shown.",
                   env: "OTTER_CERT_LIVE_VIEW_TOKEN", secret: true),
        OptionSpec(name: "live-view-hold", valueName: "seconds",
                   help: "Keep serving the final view this long after the reports are written (Ctrl-C ends it sooner).", defaultValue: "0"),
    ]

    /// Starts the live view `--live-view` asks for (nil without it), and says where it is on standard error.
    static func start(_ c: Context, state: @escaping LiveView.State) throws -> LiveView? {
        guard let where_ = c.args.value("live-view") else {
            if c.args.value("live-view-token") != nil && c.environment["OTTER_CERT_LIVE_VIEW_TOKEN"] == nil {
                throw HarnessError.input("--live-view-token only applies with --live-view")
            }
            return nil
        }
        let (host, port) = try LiveView.hostPort(where_)
        let view = try LiveView(configuration: LiveView.Configuration(host: host, port: port, token: c.args.value("live-view-token")),
                                state: state)
        let url = try view.start()
        c.err.line("Live view: \(url)" + (view.configuration.token == nil ? "" : " (add ?token=… with the --live-view-token)"))
        return view
    }

    /// `--live-view-hold`, checked.
    static func holdSeconds(_ c: Context) throws -> Double {
        guard let s = try c.args.double("live-view-hold"), s >= 0, s <= 86_400 else {
            throw HarnessError.input("--live-view-hold must be a number of seconds from 0 to 86400")
        }
        return s
    }

    /// Keeps serving the final view for `seconds`, or until `interrupted`.
    static func hold(_ view: LiveView?, seconds: Double, interrupted: () -> Bool) {
        guard view != nil, seconds > 0 else { return }
        let end = Date().addingTimeInterval(seconds)
        while Date() < end && !interrupted() { Thread.sleep(forTimeInterval: 0.05) }
    }
}
