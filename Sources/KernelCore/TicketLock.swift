// TicketLock: FIFO spinlock, one fetch-and-add to take a number.

import Platform
import CPlatform
import Synchronization

@usableFromInline
struct TicketLockStorage: ~Copyable {
    /// The next ticket to hand out.
    @usableFromInline let next = Atomic<UInt32>(0)
    /// The ticket being served; only the holder writes it.
    @usableFromInline let serving = Atomic<UInt32>(0)
    @usableFromInline init() {}
}

/// A FIFO spinlock: a waiter takes a ticket with one fetch-and-add and spins
/// until `serving` reaches it; unlock is a plain store by the holder. Fair, but
/// every waiter spins on the one line the holder writes.
@frozen
public struct TicketLock: KernelLock, @unchecked Sendable {
    @usableFromInline let storage: CacheLineBox<TicketLockStorage>

    public static var name: String { "ticket" }

    /// A new, unlocked lock on its own cache line.
    public init() { storage = CacheLineBox(TicketLockStorage()) }

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        // Relaxed: taking a ticket orders nothing; the acquiring load of
        // `serving` below is what makes the previous holder's writes visible.
        let ticket = storage.pointee.next.wrappingAdd(1, ordering: .relaxed).oldValue
        while storage.pointee.serving.load(ordering: .acquiring) != ticket {
            kb_pause()
        }
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) -> Bool {
        // Free exactly when next == serving: take ticket `serving` only then.
        // Acquiring: this load is what pairs with the previous holder's
        // releasing store of `serving` in unlock, making its critical section
        // visible to ours. (An acquire on `next` alone pairs with nothing:
        // `next` is only ever advanced relaxed, by lock's fetch-and-add, so
        // on a weakly ordered CPU the previous holder's writes could still be
        // in flight; x86's ordered loads hid that.)
        let now = storage.pointee.serving.load(ordering: .acquiring)
        // Acquiring on success too, so no access of our critical section is
        // ordered before the ticket is ours; relaxed on failure: we touch
        // nothing protected.
        return storage.pointee.next.compareExchange(expected: now, desired: now &+ 1,
                                                    successOrdering: .acquiring,
                                                    failureOrdering: .relaxed).exchanged
    }

    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        // Only the holder writes `serving`, so a load and a store suffice (no RMW).
        let now = storage.pointee.serving.load(ordering: .relaxed)
        storage.pointee.serving.store(now &+ 1, ordering: .releasing)
    }

    /// True while some thread holds the lock (a snapshot).
    public var isLocked: Bool {
        storage.pointee.next.load(ordering: .relaxed) != storage.pointee.serving.load(ordering: .relaxed)
    }

    /// Tickets taken and not yet served: the holder plus its waiters (a snapshot).
    public var queueLength: UInt32 {
        storage.pointee.next.load(ordering: .relaxed) &- storage.pointee.serving.load(ordering: .relaxed)
    }

    public func deallocate() { storage.deallocate() }
}
