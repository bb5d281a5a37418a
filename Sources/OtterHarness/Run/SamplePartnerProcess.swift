import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bundled sample partner (`otter-cert sample-partner serve`), started from this same binary for `otter-cert demo`.
public final class SamplePartnerProcess {
    /// The webhook URL it listens on.
    public let webhookURL: String
    /// The hook command that performs its actions.
    public let actionHook: String
    private let process: Process

    /// Starts `otter-cert sample-partner serve` from the running executable and waits until it listens.
    public init(type: String, otterURL: String, webhookSecret: String, clientId: String, clientSecret: String,
                fault: String? = nil, executable: String = ProjectFiles.currentExecutablePath()) throws(HarnessError) {
        let binary = executable
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cert-partner-\(UUID().uuidString).port").path
        defer { try? FileManager.default.removeItem(atPath: portFile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["sample-partner", "serve", "--type", type, "--listen", "127.0.0.1:0", "--otter-url", otterURL, "--port-file", portFile]
            + (fault.map { ["--fault", $0] } ?? [])
        var env = ProcessInfo.processInfo.environment
        env["OTTER_CERT_WEBHOOK_SECRET"] = webhookSecret
        env["OTTER_CERT_CLIENT_ID"] = clientId
        env["OTTER_CERT_CLIENT_SECRET"] = clientSecret
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        // Its error output is kept in a file, so a partner that refuses to start can say why.
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cert-partner-\(UUID().uuidString).err").path
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errFile) }
        p.standardError = FileHandle(forWritingAtPath: errFile) ?? FileHandle.nullDevice
        do { try p.run() } catch { throw .environment("cannot start \(binary): \(error.localizedDescription)") }
        process = p
        let deadline = Date().addingTimeInterval(10)
        var port: Int?
        while Date() < deadline, p.isRunning {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let n = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) { port = n; break }
            usleep(20_000)
        }
        guard let port else {
            let running = p.isRunning
            if running { p.terminate() }
            p.waitUntilExit()
            let said = ((try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if !said.isEmpty { throw .environment("the sample partner did not start: \(said)") }
            throw .environment(running ? "the sample partner did not start listening within 10 s"
                                       : "the sample partner exited with status \(p.terminationStatus) before listening")
        }
        webhookURL = "http://127.0.0.1:\(port)/webhook"
        actionHook = "'\(binary)' sample-partner action --partner http://127.0.0.1:\(port)"
    }

    /// Stops the partner.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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
