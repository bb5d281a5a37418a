import Foundation

/// A value computed on a thread of its own while the caller goes on, waited for where it is needed: start-up reads
/// the OpenAPI description (the larger part of starting) beside the checklist.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the thread, before `done` is signalled; read only after it.
    private var result: Result<Value, HarnessError>?

    /// Starts `work` on a new thread (with the main thread's 8 MiB stack: the JSON parser recurses per nesting level).
    init(_ work: @escaping @Sendable () throws(HarnessError) -> Value) {
        let thread = Thread { [self] in
            do throws(HarnessError) { result = .success(try work()) } catch { result = .failure(error) }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the value (at once if it is there), or throws what the work threw.
    func value() throws(HarnessError) -> Value {
        done.wait()
        done.signal()  // a later call does not wait
        return try result!.get()
    }
}
