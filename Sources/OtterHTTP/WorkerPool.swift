import Foundation

/// A fixed set of threads running jobs in FIFO order.
///
/// Handlers are synchronous and may block for seconds, so they run here rather than on
/// Dispatch's global queues (whose thread count on Linux is not something to rely on for
/// blocking work). The queue cannot grow without bound: the server submits at most one job
/// per connection at a time, and connections are capped by `maxConnections`.
final class WorkerPool: @unchecked Sendable {
    private let cond = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopped = false

    init(threads: Int, name: String) {
        for i in 0..<max(1, threads) {
            let t = Thread { [self] in self.run() }
            t.name = "\(name)-\(i)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Returns false when the pool is shut down (the job is not run).
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        if stopped { return false }
        jobs.append(job)
        cond.signal()
        return true
    }

    /// Idle threads exit at once; busy ones after their current job. Queued jobs are dropped.
    /// Does not wait: a handler cannot be interrupted.
    func shutdown() {
        cond.lock()
        stopped = true
        jobs = []
        head = 0
        cond.broadcast()
        cond.unlock()
    }

    private func run() {
        while true {
            cond.lock()
            while !stopped && head == jobs.count { cond.wait() }
            if stopped {
                cond.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= jobs.count {
                jobs.removeSubrange(0..<head)
                head = 0
            }
            cond.unlock()
            job()
        }
    }
}
