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
///
/// The word after the receiver's sequence number is its thread domain
/// (`receiverDomainWord`): Uhlig keeps the domain id in the thread control
/// block beside data the IPC path reads anyway (§4.5), so the event-logging
/// test reads it from the line the transfer has just written.
@frozen
public struct MessageBuffers: BitwiseCopyable, @unchecked Sendable {
    public static let defaultWords = 32
    public static let maximumWords = 4096
    @usableFromInline let sender: UnsafeMutablePointer<UInt64>
    /// The message, then the sequence number (`words`), then the domain (`words + 1`).
    @usableFromInline let receiver: UnsafeMutablePointer<UInt64>
    public let words: Int

    /// Buffers of `words` words; the receiver belongs to `receiverDomain`.
    public init(words: Int = MessageBuffers.defaultWords, receiverDomain: DomainID = 0) {
        precondition((1...Self.maximumWords).contains(words), "MessageBuffers: 1-4096 words")
        self.words = words
        let lines = (words + 2) * 8 / CacheLine.size + 1
        sender = CacheLine.allocate(lines: lines).bindMemory(to: UInt64.self, capacity: words + 2)
        receiver = CacheLine.allocate(lines: lines).bindMemory(to: UInt64.self, capacity: words + 2)
        sender.initialize(repeating: 0, count: words + 2)
        receiver.initialize(repeating: 0, count: words + 2)
        receiver[words + 1] = UInt64(receiverDomain)
    }

    /// The receiver's domain word in its control block, which the
    /// event-logging test reads on every message (a kernel reads the
    /// receiver's per IPC): a plain 64-bit word, so the read can be a
    /// compare's memory operand. The compiler cannot hoist that read out of a
    /// loop that transfers: the transfer stores through `sender` and
    /// `receiver`, which it cannot prove apart from this word.
    /// `scripts/check-hot-paths` checks that the compare stays in the loop.
    public var receiverDomainWord: UnsafePointer<UInt64> { UnsafePointer(receiver + words + 1) }

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
