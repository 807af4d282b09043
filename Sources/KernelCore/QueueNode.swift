// The MCS queue node: one cache line that one waiter spins on.

import Platform
import Synchronization

/// The fields of an MCS queue node. `vcore` is used by MCS-PDRO only (the
/// owner's vcore id, so a successor can ensure its predecessor runs).
@usableFromInline
struct QueueNodeStorage: ~Copyable {
    /// The successor, written once by it after it has enqueued.
    @usableFromInline let next = Atomic<UnsafeMutableRawPointer?>(nil)
    /// 1 while the owner waits; its predecessor stores 0 to hand the lock over.
    @usableFromInline let locked = Atomic<UInt32>(0)
    /// The owner's vcore id (MCS-PDRO).
    @usableFromInline let vcore = Atomic<UInt32>(0)

    @usableFromInline init() {}
}

/// A caller-supplied MCS queue node: the address of a `CacheLineBox`, a
/// line of its own.
///
/// Allocate one per thread at setup (`QueueNode.allocate()`), pass it to
/// `lock`/`unlock`, and free it when the thread no longer uses any lock. With
/// MCS-PDRO a successor may read a predecessor's node after it unlocked, so a
/// node's memory must outlive the lock's use (the thesis' rule).
@frozen
public struct QueueNode: LockNode, @unchecked Sendable {
    @usableFromInline let storage: UnsafeMutablePointer<QueueNodeStorage>

    @inlinable
    init(_ storage: UnsafeMutablePointer<QueueNodeStorage>) { self.storage = storage }

    @inlinable
    init(raw: UnsafeMutableRawPointer) {
        storage = raw.assumingMemoryBound(to: QueueNodeStorage.self)
    }

    /// The node as the raw pointer the lock's tail and `next` fields hold.
    @inlinable
    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(storage) }

    public static func allocate() -> QueueNode {
        QueueNode(CacheLineBox(QueueNodeStorage()).pointer)
    }

    public func deallocate() { CacheLineBox(boxAt: storage).deallocate() }
}
