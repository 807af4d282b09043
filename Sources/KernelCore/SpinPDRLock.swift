// SpinPDRLock: the thesis' Spin-PDR lock (§6.2), a spinlock that recovers
// from a preempted lock holder.

import Platform
import CPlatform
import Synchronization

/// A compare-and-swap spinlock whose locked value is the holder's vcore id,
/// so a waiter always knows whom to help: while the lock is held, waiters call
/// `ensureVcoreRuns(holder)`, which changes to the holder if it is preempted.
///
/// A swap would not do: a failed attempt would overwrite the holder's id. The
/// waiter reads the word (a plain load, as TTAS) and tries the CAS only once
/// it reads `unlocked`. `vcore` must be below `runtime.count`.
///
/// Generic over the vcore runtime and `@inlinable` throughout (the
/// out-of-line slow path too), so a caller specialized for one runtime
/// calls it directly: no witness table on any lock path.
@frozen
public struct SpinPDRLock<Runtime: VcoreRuntime>: KernelLock, @unchecked Sendable {
    @usableFromInline let word: CacheLineBox<Atomic<UInt32>>
    /// The vcore runtime the lock's waiters consult and change vcores through.
    public let runtime: Runtime

    /// The word's value when nobody holds the lock (vcore ids are smaller).
    public static var unlocked: UInt32 { UInt32.max }

    public static var name: String { "spin-pdr" }

    /// A new, unlocked lock on its own cache line, for the vcores of `runtime`.
    public init(runtime: Runtime) {
        word = CacheLineBox(Atomic<UInt32>(Self.unlocked))
        self.runtime = runtime
    }

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID) {
        // Fast path: the lock is free and our CAS takes it, advertising us as
        // holder in the same atomic step. Acquiring: the critical section
        // starts after it.
        if word.pointee.load(ordering: .relaxed) == Self.unlocked,
           word.pointee.compareExchange(expected: Self.unlocked, desired: vcore,
                                        successOrdering: .acquiring,
                                        failureOrdering: .relaxed).exchanged {
            return
        }
        lockContended(vcore: vcore)
    }

    /// The thesis' loop: while the lock is held, spend the spin making sure
    /// the holder runs (`ensure_vcore_runs`), then try the CAS again. Out of
    /// line, so the fast path keeps no registers alive across a call.
    @inlinable @inline(never)
    func lockContended(vcore: VcoreID) {
        while true {
            var holder = word.pointee.load(ordering: .relaxed)
            while holder != Self.unlocked {
                runtime.ensureVcoreRuns(holder, from: vcore)
                kb_pause()
                holder = word.pointee.load(ordering: .relaxed)
            }
            if word.pointee.compareExchange(expected: Self.unlocked, desired: vcore,
                                            successOrdering: .acquiring,
                                            failureOrdering: .relaxed).exchanged {
                return
            }
        }
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID) -> Bool {
        word.pointee.compareExchange(expected: Self.unlocked, desired: vcore,
                                     successOrdering: .acquiring,
                                     failureOrdering: .relaxed).exchanged
    }

    /// Releases the lock, then handles any preemption events the vcore
    /// received meanwhile (the emulated `uth_enable_notifs`; see
    /// `VcoreRuntime.checkEvents`): it may change to a preempted vcore and return
    /// only once the emulated kernel gives it a core again.
    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID) {
        word.pointee.store(Self.unlocked, ordering: .releasing)
        runtime.checkEvents(vcore)
    }

    /// The holder's vcore id, or nil when free (a snapshot).
    public var holder: VcoreID? {
        let value = word.pointee.load(ordering: .relaxed)
        return value == Self.unlocked ? nil : value
    }

    public func deallocate() { word.deallocate() }
}
