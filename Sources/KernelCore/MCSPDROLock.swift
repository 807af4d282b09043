// MCSPDROLock: the thesis' original MCS-PDR lock (§6.2, "MCS-PDRO"): the
// vcore id lives in the caller's queue node.

import Platform
import CPlatform
import Synchronization

/// An MCS lock that recovers from preemption. Waiters do not know the holder,
/// but each knows its predecessor (whose node carries its vcore id): while
/// waiting, each ensures its predecessor runs, and by induction the holder
/// runs. A holder waiting for its successor to link in ensures the queue's
/// tail runs, which ensures its own predecessor runs, and so on.
///
/// Under heavy load with short critical sections the queue refills behind a
/// preempted vcore faster than changes move it to the tail: a "preemption
/// storm" of one `changeToVcore` per hand-off (thesis Fig. 6.5). `MCSPDRNLock`
/// was designed to break it.
///
/// A successor reads its predecessor's node after publishing itself, so a
/// node's memory must outlive the lock's use (garbage there is harmless: at
/// worst an arbitrary vcore is ensured to run).
@frozen
public struct MCSPDROLock: KernelLock, @unchecked Sendable {
    @usableFromInline let tail: UnsafeMutablePointer<Atomic<UnsafeMutableRawPointer?>>
    /// The vcore map the lock's waiters consult and change vcores through.
    public let map: VcoreMap

    public static var name: String { "mcs-pdro" }

    /// A new, unlocked lock on its own cache line, for the vcores of `map`.
    public init(map: VcoreMap) {
        tail = CacheLine.allocate(Atomic<UnsafeMutableRawPointer?>(nil))
        self.map = map
    }

    @inlinable
    public func lock(_ node: QueueNode, vcore: VcoreID) {
        let me = node.storage
        me.pointee.vcore.store(vcore, ordering: .relaxed)
        me.pointee.next.store(nil, ordering: .relaxed)
        me.pointee.locked.store(1, ordering: .relaxed)
        // Acquiring and releasing, as MCSLock: publishes our node's fields
        // (vcore, next, locked) to whoever swaps after us.
        guard let predecessor = tail.pointee.exchange(node.raw, ordering: .acquiringAndReleasing)
        else { return }
        let pred = QueueNode(raw: predecessor).storage
        // Read the predecessor's vcore before linking in: once linked, it may
        // unlock and reuse its node at any time.
        let predecessorVcore = pred.pointee.vcore.load(ordering: .relaxed)
        pred.pointee.next.store(node.raw, ordering: .releasing)
        while me.pointee.locked.load(ordering: .acquiring) != 0 {
            map.ensureVcoreRuns(predecessorVcore, from: vcore)
            kb_pause()
        }
    }

    @inlinable
    public func tryLock(_ node: QueueNode, vcore: VcoreID) -> Bool {
        node.storage.pointee.vcore.store(vcore, ordering: .relaxed)
        node.storage.pointee.next.store(nil, ordering: .relaxed)
        return tail.pointee.compareExchange(expected: nil, desired: node.raw,
                                            successOrdering: .acquiringAndReleasing,
                                            failureOrdering: .relaxed).exchanged
    }

    @inlinable
    public func unlock(_ node: QueueNode, vcore: VcoreID) {
        let me = node.storage
        var successor = me.pointee.next.load(ordering: .acquiring)
        if successor == nil {
            if tail.pointee.compareExchange(expected: node.raw, desired: nil,
                                            successOrdering: .releasing,
                                            failureOrdering: .relaxed).exchanged {
                return
            }
            // Our successor has swapped in but not linked yet; we do not know
            // who it is, but the tail's owner will (by induction) make it run.
            // Acquiring: the tail's node fields were published by its exchange.
            let tailVcore = tail.pointee.load(ordering: .acquiring)
                .map { QueueNode(raw: $0).storage.pointee.vcore.load(ordering: .relaxed) } ?? vcore
            repeat {
                map.ensureVcoreRuns(tailVcore, from: vcore)
                kb_pause()
                successor = me.pointee.next.load(ordering: .acquiring)
            } while successor == nil
        }
        guard let next = successor else { return }
        QueueNode(raw: next).storage.pointee.locked.store(0, ordering: .releasing)
    }

    /// True while some vcore holds or waits for the lock (a snapshot).
    public var isLocked: Bool { tail.pointee.load(ordering: .relaxed) != nil }

    public func deallocate() { CacheLine.free(UnsafeMutableRawPointer(tail)) }
}
