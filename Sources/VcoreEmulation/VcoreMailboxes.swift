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
///
/// Only the base address is stored (the sizes follow from the vcore count):
/// the map is copied into every PDR lock, and a smaller map keeps the lock
/// paths' registers free.
struct VcoreMailboxes: BitwiseCopyable, @unchecked Sendable {
    /// Mailbox 0; mailbox v is `lines(count:) * CacheLine.size * v` bytes further.
    let base: UnsafeMutableRawPointer

    /// 64-bit words in one mailbox of a map of `count` vcores.
    static func words(count: Int) -> Int { (count + 63) / 64 }

    /// Cache lines one mailbox takes.
    static func lines(count: Int) -> Int { CacheLine.roundUp(words(count: count) * 8) / CacheLine.size }

    /// Empty mailboxes for `count` vcores.
    init(count: Int) {
        let lines = Self.lines(count: count)
        base = CacheLine.allocate(lines: count * lines)
        // Zero bytes are empty atomics: binding the memory initializes them.
        base.bindMemory(to: Atomic<UInt64>.self, capacity: count * lines * CacheLine.size / 8)
    }

    /// `vcore`'s mailbox in a map of `count` vcores: `words(count:)` atomic words.
    func mailbox(_ vcore: VcoreID, count: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + Int(vcore) * Self.lines(count: count) * CacheLine.size).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    func deallocate() { CacheLine.free(base) }
}
