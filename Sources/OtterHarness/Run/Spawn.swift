import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting a child process with `posix_spawn`, and waiting for it without ever blocking for ever.
///
/// The child starts with default signal handling and an empty signal mask, whatever this process ignores or blocks
/// (it ignores SIGPIPE and routes SIGINT, SIGTERM and SIGHUP itself), in a process group of its own, and inherits no
/// descriptor but 0, 1 and 2.
enum Spawn {
    /// Starts `argv` (`argv[0]` is the program's path) with descriptors 0, 1 and 2 duplicated from `stdio`.
    /// Returns the child's pid, or why it could not be started.
    static func start(_ argv: [String], environment: [String: String], stdio: (Int32, Int32, Int32)) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdio.0, 0)
        posix_spawn_file_actions_adddup2(&actions, stdio.1, 1)
        posix_spawn_file_actions_adddup2(&actions, stdio.2, 2)
        if let closeFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU] {
            sigaddset(&defaults, s)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { (k, v) in strdup(k + "=" + v) }
        defer { for p in args + envp { free(p) } }
        var pid: pid_t = 0
        let spawned = (args + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                posix_spawn(&pid, argv[0], &actions, &attributes, UnsafeMutablePointer(mutating: a.baseAddress!),
                            UnsafeMutablePointer(mutating: e.baseAddress!))
            }
        }
        guard spawned == 0 else { return .failure(SpawnError(message: String(cString: strerror(spawned)))) }
        return .success(pid)
    }

    struct SpawnError: Error { var message: String }

    /// Whether the child has exited, without reaping it (so that its process group id stays reserved for `kill`).
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
    }

    /// Reaps an exited child and returns its wait status.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Reaps a child that would not die (stuck in the kernel) on a thread of its own, so that nobody waits for it.
    static func reapLater(_ pid: pid_t) {
        Thread.detachNewThread { _ = reap(pid) }
    }

    /// Waits up to `seconds` for the child to exit (without reaping it). Returns whether it did.
    static func waitForExit(_ pid: pid_t, seconds: Double) -> Bool {
        let deadline = now() + seconds
        while true {
            if hasExited(pid) { return true }
            if now() >= deadline { return false }
            usleep(10_000)
        }
    }

    /// Stops a child and its process group: SIGTERM, then SIGKILL after `grace`, then at most 5 s more; reaps it if
    /// it has gone, or leaves it to a reaper thread if it has not. Never blocks longer than `grace` + 5 s.
    static func stop(_ pid: pid_t, grace: Double) {
        kill(-pid, SIGTERM)
        if !waitForExit(pid, seconds: grace) {
            kill(-pid, SIGKILL)
            guard waitForExit(pid, seconds: 5) else { return reapLater(pid) }
        }
        kill(-pid, SIGKILL)   // anything the child left in its group (the child is not reaped yet: the group id is ours)
        _ = reap(pid)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: the Swift module
    /// does not declare it. Without it the child still inherits none of this process's own pipes (they are
    /// close-on-exec).
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let sym = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(sym, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
