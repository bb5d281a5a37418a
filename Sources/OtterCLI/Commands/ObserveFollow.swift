import Foundation
import OtterCore
import OtterHarness
#if canImport(Glibc)
import Glibc
#endif

/// `observe --follow FILE`: judge a log as it grows, then report on it as `observe --log FILE` does.
enum ObserveFollow {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    static func run(_ c: Context, path: String) throws -> Int32 {
        if path == "-" { throw HarnessError.input("--follow needs a file (standard input cannot be followed; use --log -)") }
        if path.lowercased().hasSuffix(".har") {
            throw HarnessError.input("--follow reads an event log (JSON Lines); a HAR capture is only whole once saved: judge it with --log \(path)")
        }
        let files = try c.files()
        let hold = try LiveViewOptions.holdSeconds(c)
        let stop = Flag()
        let stopSignals = [SIGINT, SIGTERM, SIGHUP]
        let sources = stopSignals.map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.set() }
            s.resume()
            return s
        }
        defer { for (s, sig) in zip(sources, stopSignals) { s.cancel(); signal(sig, SIG_DFL) } }
        let follower = LogFollower(path: path)
        follower.lenient = c.leniency != .strict
        let liveSource = ReportSource(log: ReportWriter.logLabel(path), format: "jsonl")
        let view = try LiveViewOptions.start(c) { follower.snapshot().map { ($0, liveSource) } }
        defer { view?.stop() }

        let type: IntegrationType
        if let t = c.args.value("type").flatMap(IntegrationType.init(rawValue:)) {
            type = t
        } else {
            switch LogFollower.waitForType(path: path, stop: { stop.isSet }) {
            case nil: throw HarnessError.input("stopped before \(path) had a line: give --type, or follow a log that has begun")
            case .some(nil): throw HarnessError.input("give --type: \(path) does not begin with an otter-cert run line that says which integration type it is")
            case .some(.some(let t)): type = t
            }
        }
        let observer = Observer(files: files)
        let (evaluator, records) = try observer.liveEvaluator(type: type, checklistPath: c.args.value("checklist"),
                                                              openapiPath: c.args.value("openapi"),
                                                              webhookSecret: c.args.value("webhook-secret"))
        if !c.args.flag("quiet") { c.err.line("otter-cert: following \(path) (\(type.rawValue)); Ctrl-C ends it") }
        let end = follower.follow(into: evaluator, records: records, stop: { stop.isSet }) { view?.changed() }
        switch end {
        case .runEnded: if !c.args.flag("quiet") { c.err.line("otter-cert: the run in \(path) has ended") }
        case .stopped: if !c.args.flag("quiet") { c.err.line("otter-cert: stopped following \(path)") }
        case .unreadable(let why): c.err.line("otter-cert: stopped following: \(why)")
        }
        // The verdict is observe's on the whole file.
        var obs = try observer.observe(type: type, checklistPath: c.args.value("checklist"), openapiPath: c.args.value("openapi"),
                                       logPath: path, leniency: c.leniency, webhookSecret: c.args.value("webhook-secret"))
        obs = try ReportWriter.withLogHash(obs, logPath: path)
        try ObserveCommand.print(obs, c, reportJSON: c.args.value("report-json"))
        if let dir = c.args.value("report-dir") { try ReportWriter.write(obs, to: dir, logPath: path) }
        view?.finish(.final(obs.result), source: obs.source)
        if end != .stopped { LiveViewOptions.hold(view, seconds: hold) { stop.isSet } }
        return obs.result.certified ? OtterCert.Exit.ok : OtterCert.Exit.notCertified
    }
}
