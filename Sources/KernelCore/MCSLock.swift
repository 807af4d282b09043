// MCSLock: the Mellor-Crummey-Scott queue lock, qnode supplied by the caller.

import Platform
import CPlatform
import Synchronization

/// The MCS queue lock: each waiter spins on its own node's line and the
/// holder hands the lock to its successor directly, so waiting costs no shared
/// traffic and acquisition is FIFO. The lock word is the queue's tail.
///
/// FIFO is also its weakness under preemption: the lock is handed to the next
/// node whether or not its owner runs, so a preempted waiter stalls everyone
/// behind it (thesis §6.2). `MCSPDROLock` and `MCSPDRNLock` recover from that.
@frozen
public struct MCSLock: KernelLock, @unchecked Sendable {
    /// The queue's tail: nil when free, else the last waiter's (or the holder's) node.
    @usableFromInline let tail: CacheLineBox<Atomic<UnsafeMutableRawPointer?>>

    public static var name: String { "mcs" }

    /// A new, unlocked lock on its own cache line.
    public init() { tail = CacheLineBox(Atomic<UnsafeMutableRawPointer?>(nil)) }

    @inlinable
    public func lock(_ node: QueueNode, vcore: VcoreID = 0) {
        let me = node.storage
        me.pointee.next.store(nil, ordering: .relaxed)
        me.pointee.locked.store(1, ordering: .relaxed)
        // Acquiring and releasing: releasing publishes the node's reset (next = nil)
        // before a successor that swaps after us can write our `next`; acquiring
        // pairs with the previous holder's release when we find the queue empty.
        guard let predecessor = tail.pointee.exchange(node.raw, ordering: .acquiringAndReleasing)
        else { return }
        // Releasing: our `locked = 1` is visible before the predecessor can clear it.
        QueueNode(raw: predecessor).storage.pointee.next.store(node.raw, ordering: .releasing)
        while me.pointee.locked.load(ordering: .acquiring) != 0 {
            kb_pause()
        }
    }

    @inlinable
    public func tryLock(_ node: QueueNode, vcore: VcoreID = 0) -> Bool {
        node.storage.pointee.next.store(nil, ordering: .relaxed)
        return tail.pointee.compareExchange(expected: nil, desired: node.raw,
                                            successOrdering: .acquiringAndReleasing,
                                            failureOrdering: .relaxed).exchanged
    }

    @inlinable
    public func unlock(_ node: QueueNode, vcore: VcoreID = 0) {
        let me = node.storage
        // Acquiring: the successor's node writes (its locked = 1) happen before ours.
        var successor = me.pointee.next.load(ordering: .acquiring)
        if successor == nil {
            // No successor yet: leave the queue empty if we are still its tail.
            if tail.pointee.compareExchange(expected: node.raw, desired: nil,
                                            successOrdering: .releasing,
                                            failureOrdering: .relaxed).exchanged {
                return
            }
            // Someone swapped in behind us and is about to link itself: wait for it.
            repeat {
                kb_pause()
                successor = me.pointee.next.load(ordering: .acquiring)
            } while successor == nil
        }
        guard let next = successor else { return }
        // Releasing: hands the critical section's writes to the successor.
        QueueNode(raw: next).storage.pointee.locked.store(0, ordering: .releasing)
    }

    /// True while some thread holds or waits for the lock (a snapshot).
    public var isLocked: Bool { tail.pointee.load(ordering: .relaxed) != nil }

    /// True when `node` is the queue's last: the latest waiter, or the holder
    /// with nobody behind it (a snapshot, for diagnostics and tests).
    public func isQueueTail(_ node: QueueNode) -> Bool {
        tail.pointee.load(ordering: .acquiring) == node.raw
    }

    public func deallocate() { tail.deallocate() }
}
