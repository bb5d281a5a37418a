import Foundation
import OtterCore
#if canImport(Glibc)
import Glibc
#endif

/// Performs partner actions (the partner's own moves, such as confirming an order) during a run.
///
/// With a hook command it runs `/bin/sh -c HOOK` with `OTTER_CERT_ACTION`, `OTTER_CERT_RECORD`,
/// `OTTER_CERT_STORE_ID`, `OTTER_CERT_SANDBOX_URL` and `OTTER_CERT_VARS` (also on stdin); a JSON object the hook
/// prints on stdout adds variables (a new `orderId`). Without a hook, on a terminal the operator is told what to do;
/// without a terminal the action is skipped.
public struct ActionRunner: Sendable {
    /// The hook command, if any.
    public var hook: String?
    /// Whether an operator is at a terminal.
    public var interactive: Bool

    /// Creates a runner.
    public init(hook: String?, interactive: Bool) { self.hook = hook; self.interactive = interactive }

    /// What happened.
    public struct Outcome: Sendable {
        /// `ok`, `failed` or `skipped`.
        public var outcome: String
        /// The hook's stderr, or why it was skipped.
        public var message: String?
        /// Variables the hook reported.
        public var vars: [String: String]
    }

    /// Performs one action.
    public func perform(action: String, instructions: String, record: String, storeId: String, sandboxURL: String,
                        vars: [String: String], timeout: TimeInterval, say: (String) -> Void) -> Outcome {
        guard let hook else {
            if interactive {
                say("  ▶ on the partner side: " + expandTemplate(instructions, vars))
                return Outcome(outcome: "ok", message: "performed by the operator", vars: [:])
            }
            return Outcome(outcome: "skipped", message: "no --action-hook and no terminal to ask an operator", vars: [:])
        }
        let varsJSON = JSONValue.object(JSONObject(vars.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })).serialized()
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_ACTION"] = action
        env["OTTER_CERT_RECORD"] = record
        env["OTTER_CERT_STORE_ID"] = storeId
        env["OTTER_CERT_SANDBOX_URL"] = sandboxURL
        env["OTTER_CERT_VARS"] = varsJSON
        for k in ["OTTER_CERT_WEBHOOK_SECRET", "OTTER_CERT_CLIENT_SECRET"] { env[k] = nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", hook]
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        do { try p.run() } catch {
            return Outcome(outcome: "failed", message: "cannot start the action hook: \(error.localizedDescription)", vars: [:])
        }
        let collected = Collected()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { collected.setOut(read(out.fileHandleForReading)); group.leave() }
        group.enter(); DispatchQueue.global().async { collected.setErr(read(err.fileHandleForReading)); group.leave() }
        inp.fileHandleForWriting.write(Data(varsJSON.utf8))
        try? inp.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        var timedOut = false
        if p.isRunning { timedOut = true; p.terminate(); usleep(200_000); if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        p.waitUntilExit()
        group.wait()
        let stderr = String(decoding: collected.err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if timedOut { return Outcome(outcome: "failed", message: "the action hook did not finish within \(Int(timeout)) s", vars: [:]) }
        guard p.terminationStatus == 0 else {
            return Outcome(outcome: "failed", message: stderr.isEmpty ? "the action hook exited with status \(p.terminationStatus)" : stderr, vars: [:])
        }
        var newVars: [String: String] = [:]
        if let v = try? JSONValue.parse(collected.out), let o = v.objectValue {
            for (k, x) in o { if let s = x.scalarText { newVars[k] = s } }
        }
        return Outcome(outcome: "ok", message: stderr.isEmpty ? nil : stderr, vars: newVars)
    }
}

/// Output of a child process, gathered on two threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var out: [UInt8] = []
    private(set) var err: [UInt8] = []
    func setOut(_ b: [UInt8]) { lock.lock(); out = b; lock.unlock() }
    func setErr(_ b: [UInt8]) { lock.lock(); err = b; lock.unlock() }
}

/// Reads a pipe to its end, keeping at most 64 KiB.
private func read(_ h: FileHandle) -> [UInt8] {
    var out: [UInt8] = []
    while true {
        let d = h.availableData
        if d.isEmpty { break }
        if out.count < 65536 { out.append(contentsOf: d.prefix(65536 - out.count)) }
    }
    return out
}
