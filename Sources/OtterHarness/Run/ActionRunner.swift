import Foundation
import OtterCore
#if canImport(Glibc)
import Glibc
#endif

/// Performs partner actions (the partner's own moves, such as confirming an order) during a run.
///
/// With a hook command it runs `/bin/sh -c HOOK` with `OTTER_CERT_ACTION`, `OTTER_CERT_RECORD`,
/// `OTTER_CERT_STORE_ID`, `OTTER_CERT_SANDBOX_URL` and `OTTER_CERT_VARS` (also on stdin, which the hook need not
/// read); a JSON object the hook prints on stdout adds variables (a new `orderId`). The hook runs in a process group
/// of its own, killed whole at the timeout or on Ctrl-C (`HookProcess`). Without a hook, on a terminal the operator
/// is told what to do; without a terminal the action is skipped.
public struct ActionRunner: Sendable {
    /// The hook command, if any.
    public var hook: String?
    /// Whether an operator is at a terminal.
    public var interactive: Bool
    /// Asked while a hook runs: once it says the run was interrupted (Ctrl-C), the hook is killed at once.
    public var isInterrupted: @Sendable () -> Bool

    /// Creates a runner.
    public init(hook: String?, interactive: Bool, isInterrupted: @escaping @Sendable () -> Bool = { false }) {
        self.hook = hook; self.interactive = interactive; self.isInterrupted = isInterrupted
    }

    /// What happened.
    public struct Outcome: Sendable {
        /// `ok`, `failed` or `skipped`.
        public var outcome: String
        /// The hook's stderr, or why it failed (timed out, killed, interrupted) or was skipped.
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
        let r = HookProcess.run(hook, environment: env, input: Array(varsJSON.utf8), timeout: timeout, isInterrupted: isInterrupted)
        let stderr = String(decoding: r.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let said = stderr.isEmpty ? "" : "; its stderr: " + stderr
        switch r.end {
        case .failedToStart(let why):
            return Outcome(outcome: "failed", message: "cannot start the action hook: \(why)", vars: [:])
        case .timedOut:
            return Outcome(outcome: "failed", message: "the action hook timed out: it did not finish within \(formatNumber(timeout)) s, so it and every process it started were killed (SIGTERM, then SIGKILL)" + said, vars: [:])
        case .interrupted:
            return Outcome(outcome: "failed", message: "the run was interrupted while the action hook ran: it and every process it started were killed" + said, vars: [:])
        case .signalled(let sig):
            return Outcome(outcome: "failed", message: "the action hook was killed by signal \(sig) (\(String(cString: strsignal(sig))))" + said, vars: [:])
        case .exited(let status) where status != 0:
            return Outcome(outcome: "failed", message: stderr.isEmpty ? "the action hook exited with status \(status)" : stderr, vars: [:])
        case .exited:
            break
        }
        var newVars: [String: String] = [:]
        if let v = try? JSONValue.parse(r.stdout), let o = v.objectValue {
            for (k, x) in o { if let s = x.scalarText { newVars[k] = s } }
        }
        var message = stderr
        if r.outputAbandoned {
            message += (message.isEmpty ? "" : "\n") + "(a process the action hook left running still holds its output; otter-cert did not wait for it)"
        }
        return Outcome(outcome: "ok", message: message.isEmpty ? nil : message, vars: newVars)
    }
}
