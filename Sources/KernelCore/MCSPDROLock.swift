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
/// was designed to break it. The storm needs a queue long enough that the
/// in-queue changes outrun the event handler (the emulation's
/// `VcoreMap.handleEvents`, run after each unlock); with a handful of
/// emulated vcores the handler often wins, so here PDRO degrades (1.5-2x PDRN's messages, many stalled
/// milliseconds) rather than storms.
///
/// A successor reads its predecessor's node after publishing itself, so a
/// node's memory must outlive the lock's use (garbage there is harmless: at
/// worst an arbitrary vcore is ensured to run).
///
/// Generic over the vcore runtime, specialized as `SpinPDRLock` is.
@frozen
public struct MCSPDROLock<Runtime: VcoreRuntime>: KernelLock, @unchecked Sendable {
    @usableFromInline let tail: CacheLineBox<Atomic<UnsafeMutableRawPointer?>>
    /// The vcore runtime the lock's waiters consult and change vcores through.
    public let runtime: Runtime

    public static var name: String { "mcs-pdro" }

    /// A new, unlocked lock on its own cache line, for the vcores of `runtime`.
    public init(runtime: Runtime) {
        tail = CacheLineBox(Atomic<UnsafeMutableRawPointer?>(nil))
        self.runtime = runtime
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
        wait(node, behind: predecessor, vcore: vcore)
    }

    /// The thesis' lines 23-29: link in behind `predecessor` and, while
    /// waiting, make sure it runs (it makes sure its own predecessor runs,
    /// and so on up to the holder). Out of line, off the fast path.
    @inlinable @inline(never)
    func wait(_ node: QueueNode, behind predecessor: UnsafeMutableRawPointer, vcore: VcoreID) {
        let me = node.storage
        let pred = QueueNode(raw: predecessor).storage
        // Read the predecessor's vcore before linking in: once linked, it may
        // unlock and reuse its node at any time.
        let predecessorVcore = pred.pointee.vcore.load(ordering: .relaxed)
        pred.pointee.next.store(node.raw, ordering: .releasing)
        while me.pointee.locked.load(ordering: .acquiring) != 0 {
            runtime.ensureVcoreRuns(predecessorVcore, from: vcore)
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

    /// Hands the lock to the successor (or leaves the queue empty), then
    /// handles any preemption events the vcore received meanwhile (the
    /// emulated `uth_enable_notifs`; see `VcoreRuntime.checkEvents`): it may
    /// change to a preempted vcore and return only once it runs again.
    @inlinable
    public func unlock(_ node: QueueNode, vcore: VcoreID) {
        let me = node.storage
        if let successor = me.pointee.next.load(ordering: .acquiring) {
            // Releasing: hands the critical section's writes to the successor.
            QueueNode(raw: successor).storage.pointee.locked.store(0, ordering: .releasing)
        } else if !tail.pointee.compareExchange(expected: node.raw, desired: nil,
                                                successOrdering: .releasing,
                                                failureOrdering: .relaxed).exchanged {
            handOffToLinkingSuccessor(node, vcore: vcore)
        }
        runtime.checkEvents(vcore)
    }

    /// The thesis' lines 42-47: a successor has swapped in but not linked
    /// yet. We do not know who it is, but the tail's owner will (by
    /// induction) make it run, so we ensure the tail runs while we wait.
    @inlinable @inline(never)
    func handOffToLinkingSuccessor(_ node: QueueNode, vcore: VcoreID) {
        let me = node.storage
        // Acquiring: the tail's node fields were published by its exchange.
        let tailVcore = tail.pointee.load(ordering: .acquiring)
            .map { QueueNode(raw: $0).storage.pointee.vcore.load(ordering: .relaxed) } ?? vcore
        var successor = me.pointee.next.load(ordering: .acquiring)
        while successor == nil {
            runtime.ensureVcoreRuns(tailVcore, from: vcore)
            kb_pause()
            successor = me.pointee.next.load(ordering: .acquiring)
        }
        guard let next = successor else { return }
        QueueNode(raw: next).storage.pointee.locked.store(0, ordering: .releasing)
    }

    /// True while some vcore holds or waits for the lock (a snapshot).
    public var isLocked: Bool { tail.pointee.load(ordering: .relaxed) != nil }

    /// True when `node` is the queue's last: the latest waiter, or the holder
    /// with nobody behind it (a snapshot, for diagnostics and tests).
    public func isQueueTail(_ node: QueueNode) -> Bool {
        tail.pointee.load(ordering: .acquiring) == node.raw
    }

    public func deallocate() { tail.deallocate() }
}
