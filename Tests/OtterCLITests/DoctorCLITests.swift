import Foundation
import XCTest
import TestSupport

/// `otter-cert doctor` and `--data-dir`, on the real binary laid out as the release archive lays it out
/// (`bin/otter-cert`, `share/otter-cert/`), far from the checkout.
final class DoctorCLITests: XCTestCase {
    var dir: URL!
    var binary: String { dir.appendingPathComponent("bin/otter-cert").path }
    var share: URL { dir.appendingPathComponent("share/otter-cert") }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-doctor-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try fm.createDirectory(at: share, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Repo.binary, toPath: binary)
        for folder in ["checklists", "Fixtures"] { try fm.copyItem(atPath: Repo.path(folder), toPath: share.appendingPathComponent(folder).path) }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func env(_ extra: [String: String] = [:]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["OTTER_CERT_HOME"] = nil
        e["NO_COLOR"] = "1"
        for (k, v) in extra { e[k] = v }
        return e
    }

    func cert(_ args: String..., environment: [String: String]? = nil) throws -> ProcessResult {
        try runProcess(binary, args, environment: environment ?? env(), currentDirectory: dir.path)
    }

    func testDoctorFindsTheShareFolderAndNamesTheLibrariesItRunsOn() throws {
        let r = try cert("doctor")
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("data       ok  \(share.path) (found beside or above the executable)"), r.stdout)
        // The libraries it reports are the system's, as pkg-config (which .ci/install-deps installs) sees them.
        let libcurl = try runProcess("/usr/bin/env", ["pkg-config", "--modversion", "libcurl"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(libcurl.isEmpty)
        XCTAssertTrue(r.stdout.contains("libcurl    ok  libcurl \(libcurl), TLS by OpenSSL/"), r.stdout)
        let libcrypto = try runProcess("/usr/bin/env", ["pkg-config", "--modversion", "libcrypto"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(libcrypto.isEmpty)
        XCTAssertTrue(r.stdout.contains("openssl    ok  OpenSSL \(libcrypto) "), r.stdout)
        XCTAssertTrue(r.stdout.contains("sandbox    ok  listened on 127.0.0.1:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("all 4 checks passed"), r.stdout)
    }

    func testABusySandboxPortIsAnEnvironmentError() throws {
        let busy = try HeldPort()
        let r = try cert("doctor", "--sandbox-listen", "127.0.0.1:\(busy.port)")
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("sandbox    FAIL  cannot listen on 127.0.0.1:\(busy.port)"), r.stdout)
        XCTAssertTrue(r.stderr.contains("1 of 4 checks failed: sandbox"), r.stderr)
        // The other checks still ran.
        XCTAssertTrue(r.stdout.contains("libcurl    ok"), r.stdout)
        let bad = try cert("doctor", "--sandbox-listen", "nowhere")
        XCTAssertEqual(bad.status, 2, "a usage error")
        XCTAssertTrue(bad.stderr.contains("--sandbox-listen must be HOST:PORT"), bad.stderr)
    }

    func testDataDirWinsOverOtterCertHomeOnEveryCommand() throws {
        // A data folder whose delivery checklist says another version, so it shows which folder was read.
        let mine = dir.appendingPathComponent("my-data")
        try FileManager.default.copyItem(at: share, to: mine)
        let delivery = mine.appendingPathComponent("checklists/delivery.json")
        let text = try String(contentsOf: delivery, encoding: .utf8)
        XCTAssertTrue(text.contains("\"version\": \"1.0.0\""))
        try text.replacingOccurrences(of: "\"version\": \"1.0.0\"", with: "\"version\": \"7.7.7\"").write(to: delivery, atomically: true, encoding: .utf8)

        let home = env(["OTTER_CERT_HOME": Repo.root.path])
        let before = try cert("checklist", "list", environment: home)
        XCTAssertTrue(before.stdout.contains("delivery  v1.0.0"), before.stdout)
        for args in [["--data-dir", mine.path, "checklist", "list"], ["checklist", "list", "--data-dir", mine.path]] {
            let r = try runProcess(binary, args, environment: home, currentDirectory: dir.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("delivery  v7.7.7"), "\(args): \(r.stdout)")
        }
        let observed = try cert("observe", "--data-dir", mine.path, "--log", Repo.path("Fixtures/logs/delivery/pass.jsonl"), environment: home)
        XCTAssertTrue(observed.stdout.contains("(delivery checklist 7.7.7)"), observed.stdout + observed.stderr)
        let doctor = try cert("doctor", "--data-dir", mine.path, environment: home)
        XCTAssertEqual(doctor.status, 0, doctor.stdout + doctor.stderr)
        XCTAssertTrue(doctor.stdout.contains("data       ok  \(mine.path) (given by --data-dir)"), doctor.stdout)
    }

    func testAWrongDataDirIsNamedAndIsAnEnvironmentError() throws {
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let list = try cert("--data-dir", empty, "checklist", "list")
        XCTAssertEqual(list.status, 3)
        XCTAssertTrue(list.stderr.contains("--data-dir \(empty) holds no checklists/delivery.json"), list.stderr)
        let doctor = try cert("doctor", "--data-dir", empty)
        XCTAssertEqual(doctor.status, 3)
        XCTAssertTrue(doctor.stdout.contains("data       FAIL  --data-dir \(empty) holds no checklists/delivery.json"), doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("sandbox    ok"), "every check runs: \(doctor.stdout)")
    }

    func testHelpTeachesDoctorAndDataDir() throws {
        let root = try cert("--help")
        XCTAssertTrue(root.stdout.contains("doctor"), root.stdout)
        XCTAssertTrue(root.stdout.contains("--data-dir <dir>"), root.stdout)
        let help = try cert("doctor", "--help")
        XCTAssertEqual(help.status, 0)
        for words in ["exits 0 when all pass, 3 when one fails", "otter-cert doctor --sandbox-listen 0.0.0.0:8089", "OTTER_CERT_HOME"] {
            XCTAssertTrue(help.stdout.contains(words), help.stdout)
        }
    }
}

/// A loopback port held open (bound and listening) for the life of the value.
final class HeldPort {
    let fd: Int32
    let port: Int
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 1) == 0 else { close(fd); throw NSError(domain: "HeldPort", code: Int(errno)) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }
    deinit { close(fd) }
}
