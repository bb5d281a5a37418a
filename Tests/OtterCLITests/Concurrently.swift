import Foundation
import XCTest

extension XCTestCase {
    /// Runs `work` for every item, a few at a time (the runs mostly wait on deadlines, not on the CPU).
    func concurrently<T>(_ items: [T], width: Int = 4, _ work: @escaping (T) throws -> Void) {
        nonisolated(unsafe) let work = work
        nonisolated(unsafe) let items = items
        let sem = DispatchSemaphore(value: width)
        let group = DispatchGroup()
        for i in items.indices {
            sem.wait(); group.enter()
            DispatchQueue.global().async {
                defer { sem.signal(); group.leave() }
                do { try work(items[i]) } catch { XCTFail("\(error)") }
            }
        }
        group.wait()
    }
}
