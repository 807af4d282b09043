// VcoreRuntime: what a PDR lock needs to know about vcores, and to ask of them.

/// The vcore runtime a PDR lock recovers through: Akaros' procinfo (which
/// vcores are preempted, the preemption sequence counter) and the parlib
/// calls a waiter makes (`ensure_vcore_runs`, `uth_enable_notifs`).
///
/// The PDR locks are generic over it and every verb is `@inlinable`, so a
/// lock specialized for one runtime calls it directly, with no witness
/// table. Conforming types are trivial structs (`@frozen`, pointers and
/// counts only) whose lock-path requirements are `@inlinable`: the emulated
/// `VcoreMap` (VcoreEmulation) today; uthreads on real vcores later.
public protocol VcoreRuntime: BitwiseCopyable, Sendable {
    /// Number of vcores; ids are `0..<count`.
    var count: Int { get }

    /// Whether `vcore` is preempted (VC_PREEMPTED): a hint for spinning
    /// waiters, read with no ordering; false for ids out of range.
    func isPreempted(_ vcore: VcoreID) -> Bool

    /// The preemption sequence counter: changes whenever any vcore is
    /// preempted, restored or changed to (`SequenceCounter.value`).
    var sequence: UInt32 { get }

    /// Makes sure `target` runs, from the vcore `caller` (parlib's
    /// `ensure_vcore_runs`): if it is preempted, the caller gives it its
    /// core. `target == caller` means "make every other vcore run". Ids out
    /// of range must be ignored (a waiter may read a stale id).
    func ensureVcoreRuns(_ target: VcoreID, from caller: VcoreID)

    /// Handles the preemption events `vcore` has received, as leaving vcore
    /// context does (`uth_enable_notifs`); the end of every PDR unlock.
    /// Should cost one load when there are none. `vcore < count`.
    func checkEvents(_ vcore: VcoreID)
}
