import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a shell command (`/bin/sh -c COMMAND`) as a child in a process group of its own, and never waits for it
/// longer than it is allowed to.
///
/// - Its stdin gets `input` without blocking this thread: a child that never reads it (or exits first) is not an
///   error (`EPIPE` with SIGPIPE ignored).
/// - At `timeout`, or as soon as `isInterrupted` says so, the whole group (the shell and anything it started) gets
///   SIGTERM, then SIGKILL after `killGrace`.
/// - Once the shell has exited, its output is read for at most `exitGrace` more: a background process it left running
///   may hold the pipes open for ever, and is not waited for.
/// - The child starts with default signal handling and an empty signal mask, whatever this process ignores or blocks
///   (it ignores SIGPIPE and routes SIGINT, SIGTERM and SIGHUP itself), and inherits no descriptor but 0, 1 and 2.
struct HookProcess {
    /// How the child ended.
    enum End: Equatable {
        /// The shell exited with this status.
        case exited(Int32)
        /// The shell was killed by this signal (not by us).
        case signalled(Int32)
        /// It ran past its timeout; its group was stopped.
        case timedOut
        /// The run was interrupted while it ran; its group was stopped.
        case interrupted
        /// It could not be started.
        case failedToStart(String)
    }

    /// What a run of the child produced.
    struct Result {
        var end: End
        /// Its stdout and stderr, at most `outputLimit` bytes each.
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        /// The child exited (or closed its stdin) before reading all of `input`.
        var inputUnread = false
        /// The shell had exited but something it started still held its stdout or stderr open: not waited for.
        var outputAbandoned = false
    }

    static let outputLimit = 65536

    /// Runs `command` and returns when it has ended, or been stopped.
    static func run(_ command: String, environment: [String: String], input: [UInt8], timeout: TimeInterval,
                    exitGrace: TimeInterval = 0.5, killGrace: TimeInterval = 0.5, isInterrupted: () -> Bool) -> Result {
        // Writing to a child that is gone must be an EPIPE, never a SIGPIPE that ends this process.
        ignoreSIGPIPE()
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard makePipe(&inPipe), makePipe(&outPipe), makePipe(&errPipe) else {
            let why = String(cString: strerror(errno))
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            return Result(end: .failedToStart("cannot create pipes: \(why)"))
        }
        let spawned = Spawn.start(["/bin/sh", "-c", command], environment: environment, stdio: (inPipe[0], outPipe[1], errPipe[1]))
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard case .success(let pid) = spawned else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            if case .failure(let e) = spawned { return Result(end: .failedToStart(e.message)) }
            return Result(end: .failedToStart("posix_spawn failed"))
        }
        for fd in [inPipe[1], outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

        var result = Result(end: .exited(0))
        var stdinFD: Int32 = inPipe[1], stdoutFD: Int32 = outPipe[0], stderrFD: Int32 = errPipe[0]
        var written = 0
        if input.isEmpty { close(stdinFD); stdinFD = -1 }
        let started = now()
        var exitedAt: Double?
        var stopped: End?
        var stoppedAt = 0.0
        var killAt: Double?

        func readAll(_ fd: inout Int32, into out: inout [UInt8]) {
            var buffer = [UInt8](repeating: 0, count: 16384)
            while fd >= 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if out.count < outputLimit { out += buffer[0..<min(n, outputLimit - out.count)] }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
                close(fd); fd = -1   // end of file, or an error: nothing more will come
            }
        }

        while true {
            if exitedAt == nil, Spawn.hasExited(pid) { exitedAt = now() }
            let t = now()
            if exitedAt == nil, stopped == nil {
                if isInterrupted() { stopped = .interrupted } else if t - started >= timeout { stopped = .timedOut }
                if stopped != nil { kill(-pid, SIGTERM); stoppedAt = t; killAt = t + killGrace }
            }
            if let k = killAt, t >= k { kill(-pid, SIGKILL); killAt = nil }
            if let e = exitedAt {
                let drained = stdoutFD < 0 && stderrFD < 0
                if drained || t - e >= exitGrace {
                    result.outputAbandoned = !drained && stopped == nil
                    break
                }
            } else if stopped != nil, t - stoppedAt >= killGrace + 5 {
                // SIGKILL did not end it within seconds (a process stuck in the kernel): stop waiting, reap it later.
                break
            }

            var fds: [pollfd] = []
            if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 10)   // also the pace at which the child's exit and Ctrl-C are seen

            readAll(&stdoutFD, into: &result.stdout)
            readAll(&stderrFD, into: &result.stderr)
            while stdinFD >= 0, written < input.count {
                let n = input.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress! + written, input.count - written) }
                if n > 0 { written += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                // EPIPE: nobody reads its stdin any more (the hook did not read its input). Not an error.
                result.inputUnread = true
                close(stdinFD); stdinFD = -1
            }
            if stdinFD >= 0, written >= input.count { close(stdinFD); stdinFD = -1 }
            if stdinFD >= 0, exitedAt != nil { result.inputUnread = true; close(stdinFD); stdinFD = -1 }
        }
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }

        if let stopped {
            // Whatever of the group survived SIGTERM goes now (the shell is not reaped yet: its group id is still ours).
            kill(-pid, SIGKILL)
            result.end = stopped
        }
        guard exitedAt != nil || Spawn.hasExited(pid) else {
            Spawn.reapLater(pid)
            return result
        }
        let status = Spawn.reap(pid)
        if stopped == nil {
            let signal = status & 0x7f
            result.end = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        }
        return result
    }

    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func now() -> Double { Spawn.now() }
}
