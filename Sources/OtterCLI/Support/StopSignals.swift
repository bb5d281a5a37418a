import Dispatch
import Foundation
import OtterHarness
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C, a polite kill and a closed terminal (SIGINT, SIGTERM, SIGHUP) end a long command cleanly: each interrupts
/// `wakeup`, and the command flushes its log and writes the report of what it saw. Restores the default handlers on
/// `restore()`.
final class StopSignals {
    private static let signals = [SIGINT, SIGTERM, SIGHUP]
    private let sources: [DispatchSourceSignal]

    init(interrupting wakeup: Wakeup) {
        sources = Self.signals.map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { wakeup.interrupt() }
            s.resume()
            return s
        }
    }

    func restore() { for (s, sig) in zip(sources, Self.signals) { s.cancel(); signal(sig, SIG_DFL) } }
}
