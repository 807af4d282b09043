// MCSPDRNLock: the thesis' newer MCS-PDR lock (§6.2, "MCS-PDRN"): qnodes in
// the lock, indexed by vcore id, and an advertised lock holder.

import Platform
import CPlatform
import Synchronization

/// The lock's two shared words, a line apart in one box: the lock paths
/// reach both from one pointer (a box each would cost a register, and a
/// reload per store in a loop that keeps several locks' fields live).
@usableFromInline
struct MCSPDRNHeader: ~Copyable {
    /// The queue's tail (line 0).
    @usableFromInline let tail = Atomic<UnsafeMutableRawPointer?>(nil)
    let pad0 = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    /// The holder's vcore id or `MCSPDRNLock.noLockHolder` (line 1): a hint
    /// only, written by the holder (and by a releasing holder for its successor).
    @usableFromInline let lockHolder = Atomic<UInt32>(UInt32.max)
    @usableFromInline init() {}
}

/// An MCS-PDR lock that keeps one queue node per vcore inside the lock and
/// advertises the holder's vcore id, so waiters can help the holder directly
/// instead of only their predecessor, and only look when something happened.
///
/// - A node's vcore id is its index in the lock's array: no memory reference,
///   and no node can be freed under a reader.
/// - Waiters poll only shared-clean lines (their predecessor's preempted flag,
///   the map's sequence counter); when the predecessor is preempted or the
///   counter moved since they started waiting, they ensure the advertised
///   holder runs, or their predecessor if no holder is advertised or it is
///   themselves (the holder advertises its successor just before hand-off).
/// The advertised holder is an optimization, never needed for correctness.
/// Because waiters leave a preempted vcore in the middle of the queue alone
/// while the advertised holder runs, the preemption event reaches a vcore
/// outside the queue first (`unlock` ends with `VcoreRuntime.checkEvents`),
/// which changes to it: the queue empties of preempted vcores without a storm.
///
/// Generic over the vcore runtime, specialized as `SpinPDRLock` is.
@frozen
public struct MCSPDRNLock<Runtime: VcoreRuntime>: KernelLock, @unchecked Sendable {
    /// The queue's tail and the advertised holder.
    @usableFromInline let header: CacheLineBox<MCSPDRNHeader>
    /// One queue node per vcore, each on its own line; qnode v is vcore v's.
    @usableFromInline let qnodes: CacheLineArray<QueueNodeStorage>
    /// The vcore runtime the lock's waiters consult and change vcores through.
    public let runtime: Runtime

    /// `lockHolder` when no holder is advertised.
    public static var noLockHolder: UInt32 { UInt32.max }

    public static var name: String { "mcs-pdrn" }

    /// A new, unlocked lock with a queue node for each vcore of `runtime`.
    public init(runtime: Runtime) {
        header = CacheLineBox(MCSPDRNHeader())
        qnodes = CacheLineArray(count: runtime.count) { _ in QueueNodeStorage() }
        self.runtime = runtime
    }

    /// The qnode of `vcore`, which must be below `runtime.count` (checked in
    /// debug builds only: this is on the lock path).
    @inlinable
    func qnode(_ vcore: VcoreID) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(qnodes.pointer(at: Int(vcore)))
    }

    /// The vcore owning a node: pointer arithmetic on the array.
    @inlinable
    func vcore(of node: UnsafeMutableRawPointer) -> VcoreID {
        VcoreID(truncatingIfNeeded: qnodes.index(of: node))
    }

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID) {
        let mine = qnode(vcore)
        let me = QueueNode(raw: mine).storage
        me.pointee.next.store(nil, ordering: .relaxed)
        me.pointee.locked.store(1, ordering: .relaxed)
        guard let predecessor = header.pointee.tail.exchange(mine, ordering: .acquiringAndReleasing)
        else {
            // Relaxed: a hint for waiters, ordered by nothing they rely on.
            header.pointee.lockHolder.store(vcore, ordering: .relaxed)
            return
        }
        wait(mine, behind: predecessor, vcore: vcore)
    }

    /// The thesis' lines 23-38: link in behind `predecessor`, then spin on
    /// our node, reading only lines that stay shared while nothing happens
    /// (the predecessor's preempted flag, the map's sequence counter). Once
    /// the predecessor is preempted or any vcore was preempted or changed
    /// since we started waiting (the counter moved), ensure the advertised
    /// holder runs, or the predecessor when no holder is advertised or the
    /// advertised one is us (our predecessor names us just before handing
    /// over). Out of line, off the fast path.
    @inlinable @inline(never)
    func wait(_ mine: UnsafeMutableRawPointer, behind predecessor: UnsafeMutableRawPointer, vcore: VcoreID) {
        let me = QueueNode(raw: mine).storage
        let predecessorVcore = self.vcore(of: predecessor)
        QueueNode(raw: predecessor).storage.pointee.next.store(mine, ordering: .releasing)
        let sequence = runtime.sequence
        while me.pointee.locked.load(ordering: .acquiring) != 0 {
            if runtime.isPreempted(predecessorVcore) || runtime.sequence != sequence {
                let holder = header.pointee.lockHolder.load(ordering: .relaxed)
                if holder == Self.noLockHolder || holder == vcore {
                    runtime.ensureVcoreRuns(predecessorVcore, from: vcore)
                } else {
                    runtime.ensureVcoreRuns(holder, from: vcore)
                }
            }
            kb_pause()
        }
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID) -> Bool {
        let mine = qnode(vcore)
        QueueNode(raw: mine).storage.pointee.next.store(nil, ordering: .relaxed)
        guard header.pointee.tail.compareExchange(expected: nil, desired: mine,
                                                  successOrdering: .acquiringAndReleasing,
                                                  failureOrdering: .relaxed).exchanged
        else { return false }
        header.pointee.lockHolder.store(vcore, ordering: .relaxed)
        return true
    }

    /// Hands the lock to the successor (advertising it as holder) or leaves
    /// the queue empty, then handles any preemption events the vcore
    /// received meanwhile (the emulated `uth_enable_notifs`; see
    /// `VcoreRuntime.checkEvents`): it may change to a preempted vcore and
    /// return only once it runs again. That change, made outside the queue,
    /// is how MCS-PDRN gets rid of a preempted vcore without the storm.
    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID) {
        let mine = qnode(vcore)
        if let successor = QueueNode(raw: mine).storage.pointee.next.load(ordering: .acquiring) {
            // Advertise the successor on its behalf; the releasing store below
            // orders it before the hand-off.
            header.pointee.lockHolder.store(self.vcore(of: successor), ordering: .relaxed)
            QueueNode(raw: successor).storage.pointee.locked.store(0, ordering: .releasing)
        } else if header.pointee.tail.compareExchange(expected: mine, desired: nil,
                                                      successOrdering: .releasing,
                                                      failureOrdering: .relaxed).exchanged {
            // A new holder may have advertised itself between the CAS and
            // this store; waiters then fall back to their predecessor.
            header.pointee.lockHolder.store(Self.noLockHolder, ordering: .relaxed)
        } else {
            handOffToLinkingSuccessor(mine, vcore: vcore)
        }
        runtime.checkEvents(vcore)
    }

    /// The thesis' lines 54-61: a successor swapped in but has not linked
    /// yet; ensure the tail runs (by induction it makes our successor run).
    @inlinable @inline(never)
    func handOffToLinkingSuccessor(_ mine: UnsafeMutableRawPointer, vcore: VcoreID) {
        let tailVcore = header.pointee.tail.load(ordering: .relaxed).map { self.vcore(of: $0) } ?? vcore
        var successor = QueueNode(raw: mine).storage.pointee.next.load(ordering: .acquiring)
        while successor == nil {
            runtime.ensureVcoreRuns(tailVcore, from: vcore)
            kb_pause()
            successor = QueueNode(raw: mine).storage.pointee.next.load(ordering: .acquiring)
        }
        guard let next = successor else { return }
        header.pointee.lockHolder.store(self.vcore(of: next), ordering: .relaxed)
        QueueNode(raw: next).storage.pointee.locked.store(0, ordering: .releasing)
    }

    /// The advertised holder, or nil (a hint, as the waiters see it).
    public var lockHolder: VcoreID? {
        let value = header.pointee.lockHolder.load(ordering: .relaxed)
        return value == Self.noLockHolder ? nil : value
    }

    /// True while some vcore holds or waits for the lock (a snapshot).
    public var isLocked: Bool { header.pointee.tail.load(ordering: .relaxed) != nil }

    /// The vcore whose qnode is the queue's last (the latest waiter, or the
    /// holder with nobody behind it), or nil when the lock is free (a
    /// snapshot, for diagnostics and tests).
    public var queueTail: VcoreID? {
        header.pointee.tail.load(ordering: .acquiring).map { vcore(of: $0) }
    }

    public func deallocate() {
        header.deallocate()
        qnodes.deallocate()
    }
}
