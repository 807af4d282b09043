// SpinLock: compare-and-swap test-and-set, as Akaros' spinlock.

import Platform
import CPlatform
import Synchronization

/// A test-and-set spinlock that retries the compare-and-swap itself: every
/// failed attempt is a write request on the line, so waiters bounce it between
/// cores. Cheapest uncontended (one RMW to lock, one store to unlock); use
/// `TTASLock` to see what spinning on a read saves under contention.
@frozen
public struct SpinLock: KernelLock, @unchecked Sendable {
    @usableFromInline let word: CacheLineBox<Atomic<UInt32>>

    public static var name: String { "spin" }

    /// A new, unlocked lock on its own cache line.
    public init() { word = CacheLineBox(Atomic<UInt32>(0)) }

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        while !tryLock(node, vcore: vcore) {
            kb_pause()
        }
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) -> Bool {
        // Acquiring on success: the critical section may not start before we own the word.
        word.pointee.compareExchange(expected: 0, desired: 1,
                                     successOrdering: .acquiring,
                                     failureOrdering: .relaxed).exchanged
    }

    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        // Releasing: the critical section's writes are visible before the lock looks free.
        word.pointee.store(0, ordering: .releasing)
    }

    /// True while some thread holds the lock (a snapshot, for tests and diagnostics).
    public var isLocked: Bool { word.pointee.load(ordering: .relaxed) != 0 }

    public func deallocate() { word.deallocate() }
}
