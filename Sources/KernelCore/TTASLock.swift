// TTASLock: test-and-test-and-set with pause.

import Platform
import CPlatform
import Synchronization

/// A spinlock whose waiters spin on a plain load of a shared line and only try
/// the atomic exchange once the lock looks free, so waiting costs no write
/// traffic. Same uncontended cost as `SpinLock` (the first load hits).
@frozen
public struct TTASLock: KernelLock, @unchecked Sendable {
    @usableFromInline let word: CacheLineBox<Atomic<UInt32>>

    public static var name: String { "ttas" }

    /// A new, unlocked lock on its own cache line.
    public init() { word = CacheLineBox(Atomic<UInt32>(0)) }

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        while true {
            // Test: spin on a shared (read-only) copy of the line. Relaxed:
            // the load is only a hint; the exchange below is what synchronizes.
            while word.pointee.load(ordering: .relaxed) != 0 {
                kb_pause()
            }
            // Test-and-set. Acquiring: the critical section starts after it.
            if word.pointee.exchange(1, ordering: .acquiring) == 0 { return }
        }
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) -> Bool {
        word.pointee.load(ordering: .relaxed) == 0
            && word.pointee.exchange(1, ordering: .acquiring) == 0
    }

    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        word.pointee.store(0, ordering: .releasing)
    }

    /// True while some thread holds the lock (a snapshot).
    public var isLocked: Bool { word.pointee.load(ordering: .relaxed) != 0 }

    public func deallocate() { word.deallocate() }
}
