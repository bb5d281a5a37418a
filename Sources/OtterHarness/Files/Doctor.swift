import Foundation
import OtterClient
import OtterCore
import OtterCrypto
import OtterData
import OtterHTTP

/// What `otter-cert --version` prints: the version (one place: `Harness.version`) and, in a release build, the git
/// commit `.ci/release` built it from (embedded at build time; nothing reads git at run time).
public enum BuildInfo {
    /// The git commit of a release build, nil in a plain `swift build`.
    public static var commit: String? { BundledData.commit }
    /// `otter-cert 0.1.0 (commit 5f470ed1c2a3)`, or `otter-cert 0.1.0`.
    public static var versionLine: String { Harness.name + (commit.map { " (commit \($0))" } ?? "") }
}

/// `otter-cert doctor`: checks what a run needs from this machine, one line per check. Nothing here sends a request
/// anywhere but to itself on the address it listens on.
public enum Doctor {
    /// One check: its name, whether it passed, and what it found (or what is wrong and what to do).
    public struct Check: Sendable, Equatable {
        public var name: String
        public var ok: Bool
        public var detail: String
    }

    /// Runs every check (none stops the others).
    public static func checks(environment: [String: String], dataDir: String?, listenHost: String, listenPort: Int) -> [Check] {
        [data(environment: environment, dataDir: dataDir), curl(), crypto(), sandbox(host: listenHost, port: listenPort)]
    }

    static func data(environment: [String: String], dataDir: String?) -> Check {
        do {
            let (files, reason) = try ProjectFiles.locateExplained(environment: environment, dataDir: dataDir)
            let missing = IntegrationType.allCases.map { files.checklist($0) }.filter { !DataFiles.exists($0) }
            let place: String
            switch files.origin {
            case .directory(let url): place = url.path
            case .builtIn: place = "built into the binary (\(BundledData.paths.count) files)"
            }
            if !missing.isEmpty { return Check(name: "data", ok: false, detail: "\(place) (\(reason)) lacks \(missing.joined(separator: ", "))") }
            return Check(name: "data", ok: true, detail: "\(place) (\(reason))")
        } catch {
            return Check(name: "data", ok: false, detail: error.description)
        }
    }

    static func curl() -> Check {
        switch CurlLibrary.info() {
        case .success(let info):
            return Check(name: "libcurl", ok: true, detail: "libcurl \(info.version)" + (info.tls.map { ", TLS by \($0)" } ?? ", no TLS library (https will fail)"))
        case .failure(let why):
            return Check(name: "libcurl", ok: false, detail: "\(why.description); run and demo need libcurl 4 (Debian: apt-get install libcurl4)")
        }
    }

    static func crypto() -> Check {
        Check(name: "openssl", ok: true, detail: "\(CryptoLibrary.version) (libcrypto: webhook signatures, digests)")
    }

    /// Listens with the sandbox's own HTTP server, and asks it for a page through libcurl on loopback.
    static func sandbox(host: String, port: Int) -> Check {
        var cfg = HTTPServer.Configuration()
        cfg.host = host
        cfg.port = port
        cfg.handlerThreads = 1
        let server = HTTPServer(configuration: cfg) { _ in .json(200, "{\"doctor\":true}") }
        do { try server.start() } catch {
            return Check(name: "sandbox", ok: false, detail: "cannot listen on \(host):\(port): \(error); pick another --sandbox-listen address or port")
        }
        defer { server.stop() }
        let bound = "\(host):\(server.port)"
        let loopback = host == "0.0.0.0" || host == "::" ? (host == "::" ? "[::1]" : "127.0.0.1") : (host.contains(":") ? "[\(host)]" : host)
        let url = "http://\(loopback):\(server.port)/doctor"
        switch HTTPClient().send(ClientRequest(url: url, timeout: 5)) {
        case .success(let r) where r.status == 200:
            return Check(name: "sandbox", ok: true, detail: "listened on \(bound) and answered \(url) through libcurl")
        case .success(let r):
            return Check(name: "sandbox", ok: false, detail: "listened on \(bound), but \(url) answered \(r.status) (a proxy in http_proxy? set no_proxy=127.0.0.1)")
        case .failure(let e):
            return Check(name: "sandbox", ok: false, detail: "listened on \(bound), but \(url) failed: \(e)")
        }
    }
}
