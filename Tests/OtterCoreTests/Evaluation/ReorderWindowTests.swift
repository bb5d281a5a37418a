@testable import OtterCore
import XCTest

/// The reorder window hands entries back in (startedAt, rank, seq) order whatever order they came in: in order (the
/// queue), out of order (the heap), or any mix, with pops between pushes as the evaluator does.
final class ReorderWindowTests: XCTestCase {
    private struct Key: Comparable {
        let t: Double, rank: Int, seq: Int
        static func < (a: Key, b: Key) -> Bool { (a.t, a.rank, a.seq) < (b.t, b.rank, b.seq) }
    }

    private static let kinds: [(LogEntry.Kind, Int)] = [(.run, 0), (.webhook, 1), (.action, 1), (.token, 2), (.callback, 2), (.end, 3)]

    private func entry(_ seq: Int, _ t: Double, _ kind: LogEntry.Kind) -> LogEntry {
        LogEntry(seq: seq, direction: nil, kind: kind, startedAt: t)
    }

    func testEntriesComeOutSortedHoweverTheyCameIn() {
        var rng = SystemRandomNumberGenerator()
        for shape in 0..<4 {
            for _ in 0..<50 {
                var heap = EntryHeap()
                var held: [Key] = [], out: [Key] = [], expected: [Key] = []
                let n = Int.random(in: 1...3000, using: &rng)
                for seq in 1...n {
                    // 0: in order; 1: reversed; 2: mostly in order with stragglers; 3: random, with equal times.
                    let t: Double
                    switch shape {
                    case 0: t = Double(seq) * 0.001
                    case 1: t = Double(n - seq) * 0.001
                    case 2: t = Double(seq) * 0.001 - (Int.random(in: 0..<10, using: &rng) == 0 ? Double.random(in: 0...2, using: &rng) : 0)
                    default: t = Double(Int.random(in: 0..<200, using: &rng)) * 0.001
                    }
                    let (kind, rank) = Self.kinds.randomElement(using: &rng)!
                    heap.push(entry(seq, t, kind))
                    held.append(Key(t: t, rank: rank, seq: seq))
                    // Now and then take out what is older than a window, as the evaluator does.
                    if Int.random(in: 0..<20, using: &rng) == 0 {
                        let cut = t - 0.05
                        while let top = heap.peekTime, top < cut {
                            let (e, _) = heap.pop()!
                            out.append(Key(t: e.startedAt, rank: Self.kinds.first { $0.0 == e.kind }!.1, seq: e.seq))
                        }
                        let (gone, kept) = (held.filter { $0.t < cut }, held.filter { $0.t >= cut })
                        expected += gone.sorted(); held = kept
                    }
                    XCTAssertEqual(heap.count, held.count)
                }
                while let (e, _) = heap.pop() { out.append(Key(t: e.startedAt, rank: Self.kinds.first { $0.0 == e.kind }!.1, seq: e.seq)) }
                expected += held.sorted()
                if let i = (0..<max(out.count, expected.count)).first(where: { $0 >= out.count || $0 >= expected.count || out[$0].seq != expected[$0].seq }) {
                    XCTFail("shape \(shape), \(n) entries: out of order at \(i): \(out.dropFirst(i).prefix(3)), expected \(expected.dropFirst(i).prefix(3))")
                    return
                }
                XCTAssertNil(heap.peekTime)
            }
        }
    }
}
