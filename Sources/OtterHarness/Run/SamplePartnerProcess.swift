import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bundled sample partner (`otter-cert sample-partner serve`), started from this same binary for `otter-cert demo`.
///
/// It is started with `posix_spawn` in a process group of its own and stopped with a bounded wait: `stop()` returns
/// within about 8 s whatever the child does, so that a demo never outlives its report.
public final class SamplePartnerProcess {
    /// The webhook URL it listens on.
    public let webhookURL: String
    /// The hook command that performs its actions.
    public let actionHook: String
    private let lock = NSLock()
    private var pid: pid_t?

    /// Starts `otter-cert sample-partner serve` from the running executable and waits until it listens.
    public init(type: String, otterURL: String, webhookSecret: String, clientId: String, clientSecret: String,
                fault: String? = nil, executable: String = ProjectFiles.currentExecutablePath()) throws(HarnessError) {
        let binary = executable
        let tmp = FileManager.default.temporaryDirectory
        let portFile = tmp.appendingPathComponent("otter-cert-partner-\(UUID().uuidString).port").path
        // Its error output is kept in a file, so a partner that refuses to start can say why.
        let errFile = tmp.appendingPathComponent("otter-cert-partner-\(UUID().uuidString).err").path
        defer {
            try? FileManager.default.removeItem(atPath: portFile)
            try? FileManager.default.removeItem(atPath: errFile)
        }
        let arguments = [binary, "sample-partner", "serve", "--type", type, "--listen", "127.0.0.1:0", "--otter-url", otterURL,
                         "--port-file", portFile] + (fault.map { ["--fault", $0] } ?? [])
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_WEBHOOK_SECRET"] = webhookSecret
        env["OTTER_CERT_CLIENT_ID"] = clientId
        env["OTTER_CERT_CLIENT_SECRET"] = clientSecret
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let errFD = open(errFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { if devNull >= 0 { close(devNull) }; if errFD >= 0 { close(errFD) } }
        guard devNull >= 0, errFD >= 0 else { throw .environment("cannot start \(binary): \(String(cString: strerror(errno)))") }
        let child: pid_t
        switch Spawn.start(arguments, environment: env, stdio: (devNull, devNull, errFD)) {
        case .success(let p): child = p
        case .failure(let e): throw .environment("cannot start \(binary): \(e.message)")
        }
        pid = child
        let deadline = Spawn.now() + 10
        var port: Int?
        var exited = false
        while Spawn.now() < deadline {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let n = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) { port = n; break }
            if Spawn.hasExited(child) { exited = true; break }
            usleep(20_000)
        }
        guard let port else {
            var status: Int32 = 0
            if exited { status = Spawn.reap(child) } else { Spawn.stop(child, grace: 1) }
            pid = nil
            let said = ((try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if !said.isEmpty { throw .environment("the sample partner did not start: \(said)") }
            throw .environment(exited ? "the sample partner exited with status \((status >> 8) & 0xff) before listening"
                                      : "the sample partner did not start listening within 10 s")
        }
        webhookURL = "http://127.0.0.1:\(port)/webhook"
        actionHook = "'\(binary)' sample-partner action --partner http://127.0.0.1:\(port)"
    }

    /// Stops the partner: SIGTERM, SIGKILL after 3 s, and no wait past 5 s more. Idempotent.
    public func stop() {
        lock.lock()
        let p = pid
        pid = nil
        lock.unlock()
        if let p { Spawn.stop(p, grace: 3) }
    }

    deinit { stop() }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for a server that must be told its port before it starts).
public func freeLoopbackPort() throws(HarnessError) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw .environment("socket(): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else { throw .environment("bind(127.0.0.1:0): \(String(cString: strerror(errno)))") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
