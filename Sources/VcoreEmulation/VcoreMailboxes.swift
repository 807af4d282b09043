// VcoreMailboxes: each vcore's preemption events, a bit per vcore.

import Platform
import KernelCore
import Synchronization

/// One mailbox per vcore: bit r of vcore v's mailbox set means "vcore r was
/// preempted" (an EV_VCORE_PREEMPT event) still to be handled by v. A
/// mailbox is `words` 64-bit words (one bit per vcore) on whole cache lines
/// of its own, so posting to one vcore never touches another's line. Off the
/// lock paths: only posting and handling events read it.
@usableFromInline
struct VcoreMailboxes: BitwiseCopyable, @unchecked Sendable {
    /// Mailbox 0; mailbox v is `lines * CacheLine.size * v` bytes further.
    let base: UnsafeMutableRawPointer
    /// 64-bit words in one mailbox.
    let words: Int
    /// Cache lines one mailbox takes.
    let lines: Int

    /// Empty mailboxes for `count` vcores.
    init(count: Int) {
        words = (count + 63) / 64
        lines = CacheLine.roundUp(words * 8) / CacheLine.size
        base = CacheLine.allocate(lines: count * lines)
        // Zero bytes are empty atomics: binding the memory initializes them.
        base.bindMemory(to: Atomic<UInt64>.self, capacity: count * lines * CacheLine.size / 8)
    }

    /// `vcore`'s mailbox: `words` atomic words.
    subscript(vcore: VcoreID) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + Int(vcore) * lines * CacheLine.size).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    func deallocate() { CacheLine.free(base) }
}
