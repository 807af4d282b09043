// The critical section the dynamic-lock and event-logging benchmarks protect,
// the batches they time, and same-run ratios between variants.

import BenchKit
import RunFormat
import CPlatform
import KernelCore
import Platform

/// An IPC-sized critical section without the IPC (the overhead part's own
/// row set; the ipc part locks ctxbench's real round trip): a message of
/// `words` 8-byte words (default 32, the 256 bytes of Uhlig's largest IPC)
/// copied from a sender's buffer into a receiver's and a sequence number
/// bumped. A section this short makes any lock (and any disabled lock's
/// test) a bigger share than in a real IPC.
@frozen
public struct MessageBuffers: BitwiseCopyable, @unchecked Sendable {
    public static let defaultWords = 32
    public static let maximumWords = 4096
    @usableFromInline let sender: UnsafeMutablePointer<UInt64>
    @usableFromInline let receiver: UnsafeMutablePointer<UInt64>
    public let words: Int

    public init(words: Int = MessageBuffers.defaultWords) {
        precondition((1...Self.maximumWords).contains(words), "MessageBuffers: 1-4096 words")
        self.words = words
        let lines = (words + 1) * 8 / CacheLine.size + 1
        sender = CacheLine.allocate(lines: lines).bindMemory(to: UInt64.self, capacity: words + 1)
        receiver = CacheLine.allocate(lines: lines).bindMemory(to: UInt64.self, capacity: words + 1)
        sender.initialize(repeating: 0, count: words + 1)
        receiver.initialize(repeating: 0, count: words + 1)
    }

    /// One transfer; `tag` makes every message differ, so nothing is hoisted.
    @inlinable
    @inline(__always)
    public func transfer(tag: UInt64) {
        sender[0] = tag
        for index in 0..<words { receiver[index] = sender[index] }
        receiver[words] &+= 1
    }

    /// Messages delivered so far (so a batch's work is observable).
    public var delivered: UInt64 { receiver[words] }

    public func deallocate() {
        CacheLine.free(UnsafeMutableRawPointer(sender))
        CacheLine.free(UnsafeMutableRawPointer(receiver))
    }
}

/// `iterations` transfers, each inside `guard`: one loop for every variant
/// (no lock, Uhlig's (a), included), specialized per guard.
@inline(never)
func dynamicGuardedBatch<G: SectionGuard>(_ guard: G, work: MessageBuffers, iterations: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for index in 0..<iterations {
        let held = `guard`.enter()
        work.transfer(tag: UInt64(truncatingIfNeeded: index))
        `guard`.exit(held)
    }
    return kb_rdtsc_end() &- start
}

/// The disabled fast path alone, for `scripts/check-hot-paths`: its code up
/// to the first branch must be one load and one test for zero.
@inline(never)
public func dynamicDisabledFastPathProbe(_ lock: DynamicLock<SpinLock>) -> Bool {
    lock.lock(NoNode(), vcore: 0)
}
