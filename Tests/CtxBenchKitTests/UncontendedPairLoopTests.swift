// The uncontended pair's measured loop: every refused enqueue and empty
// dequeue is counted (the loop counts them in memory, from a cold call), and
// UCQ and BCQ pairs across many pages and ring wraps fail none.

import KernelCore
import Testing
@testable import CtxBenchKit

struct UncontendedPairLoopTests {
    /// Refuses every `every`-th enqueue and every dequeue whose number is a multiple of `every`.
    final class RefusingQueue: BenchQueue, @unchecked Sendable {
        let every: Int
        var enqueues = 0, dequeues = 0
        init(every: Int) { self.every = every }
        func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool { enqueues += 1; return enqueues % every != 0 }
        func dequeue(into out: UnsafeMutableRawPointer) -> Bool { dequeues += 1; return dequeues % every != 0 }
    }

    @Test("every refused enqueue and empty dequeue is counted, on top of what was counted before")
    func countsEveryFailure() {
        let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 4), out = UnsafeMutablePointer<UInt64>.allocate(capacity: 4)
        defer { message.deallocate(); out.deallocate() }
        message.initialize(repeating: 7, count: 4)
        var failures: UInt64 = 5
        _ = timeUncontendedPairs(RefusingQueue(every: 1), message, out, 10, &failures)
        #expect(failures == 5 + 20)
        failures = 0
        _ = timeUncontendedPairs(RefusingQueue(every: 3), message, out, 30, &failures)
        #expect(failures == 20)
    }

    @Test("UCQ and BCQ pairs over many pages and ring wraps fail none and deliver the message")
    func queuesFailNone() throws {
        let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 3), out = UnsafeMutablePointer<UInt64>.allocate(capacity: 3)
        defer { message.deallocate(); out.deallocate() }
        message.initialize(repeating: 0x5A5A_0000_0000_0001, count: 3)
        message[2] = 3
        out.initialize(repeating: 0, count: 3)
        let ucq = try UnboundedConcurrentQueue(layout: UCQLayout(messageBytes: 24, pageBytes: 256))
        let bcq = try BoundedConcurrentQueue(capacity: 8, messageBytes: 24)
        defer { ucq.destroy(); bcq.destroy() }
        var failures: UInt64 = 0
        _ = timeUncontendedPairs(UCQBenchQueue(queue: ucq), message, out, 1_000, &failures)
        #expect(failures == 0)
        #expect(out[0] == message[0] && out[1] == message[1] && out[2] == 3)
        #expect(ucq.isEmpty && ucq.pages == 2)
        out.update(repeating: 0, count: 3)
        _ = timeUncontendedPairs(BCQBenchQueue(queue: bcq), message, out, 1_000, &failures)
        #expect(failures == 0)
        #expect(out[0] == message[0] && out[1] == message[1] && out[2] == 3)
    }
}
