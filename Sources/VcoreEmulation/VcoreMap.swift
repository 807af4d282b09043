// The vcore map: what Akaros' procinfo/procdata tell a process about its
// vcores, emulated in shared memory on Linux. This file: the handle, its
// memory, and what userspace reads. The kernel's operations on it are in
// the VcoreMap+*.swift files.

import Platform
import KernelCore
import Synchronization

/// The vcore map of an emulated process: per-vcore run state, a preemption
/// sequence counter and a preemption message counter, in cache-line aligned
/// memory shared by every vcore thread and the preemption controller.
///
/// The emulation of Akaros on Linux:
/// - a vcore is a kernel thread pinned to a CPU (`VcoreGroup`);
/// - the kernel's preemption is `preempt(_:)`: mark the vcore preempted under
///   the sequence counter, then signal its thread, whose handler parks it on a
///   futex until `restore(_:)` (the kernel giving a core back);
/// - `changeToVcore(_:from:)` is `sys_change_vcore`: the caller gives its core
///   to a preempted vcore and is itself preempted;
/// - `ensureVcoreRuns(_:from:)` is parlib's `ensure_vcore_runs`, what PDR
///   waiters call while they spin;
/// - preemption events go to per-vcore mailboxes; `checkEvents(_:)` (every
///   PDR unlock) and `handleEvents(_:)` are `uth_enable_notifs` and
///   `handle_vc_preempt`: a vcore outside every lock changes, one way, to a
///   vcore still preempted.
///
/// The PDR locks of KernelCore run on it as their `VcoreRuntime`.
///
/// A trivial struct: copies share the same map; free it with `deallocate()`
/// once no vcore thread runs.
@frozen
public struct VcoreMap: VcoreRuntime, @unchecked Sendable {
    /// The preemption sequence counter (Akaros' coremap_seqctr), alone on its
    /// line: every MCS-PDRN waiter reads it. Odd while the emulated kernel
    /// changes a vcore's run state, the next even value once done; unchanged
    /// by kernel calls that change nothing.
    @usableFromInline let sequenceCounter: CacheLineBox<SequenceCounter>
    /// The kernel's lock and message counters.
    @usableFromInline let kernel: CacheLineBox<VcoreKernelState>
    /// One slot per vcore, each on its own line.
    @usableFromInline let slots: CacheLineArray<VcoreSlot>
    /// One event mailbox per vcore.
    @usableFromInline let mailboxes: VcoreMailboxes
    /// `2 * count` vcore ids the kernel operations list victims (the first
    /// `count`) and vcores given a core (the rest) in, under the kernel
    /// lock: preempting, restoring and scheduling allocate nothing.
    let scratch: UnsafeMutablePointer<VcoreID>
    /// The emulated pcores (`scheduleCores`), at most `count`; read and
    /// written under the kernel lock only.
    let cores: UnsafeMutablePointer<Pcore>

    /// A map of `count` vcores, all running.
    public init(count: Int) {
        precondition(count > 0 && count < Int(UInt32.max), "VcoreMap: bad vcore count \(count)")
        sequenceCounter = CacheLineBox(SequenceCounter())
        kernel = CacheLineBox(VcoreKernelState())
        slots = CacheLineArray(count: count) { _ in VcoreSlot() }
        mailboxes = VcoreMailboxes(count: count)
        scratch = .allocate(capacity: 2 * count)
        scratch.initialize(repeating: 0, count: 2 * count)
        cores = .allocate(capacity: count)
        cores.initialize(repeating: Pcore(), count: count)
    }

    /// Frees the map. No vcore thread may run, and none may be parked.
    public func deallocate() {
        sequenceCounter.deallocate()
        kernel.deallocate()
        slots.deallocate()
        mailboxes.deallocate()
        scratch.deallocate()
        cores.deallocate()
    }

    /// Number of vcores.
    @inlinable
    public var count: Int { slots.count }

    /// `vcore`'s slot; unchecked (lock paths keep `vcore` below `count`).
    @inlinable
    func slot(_ vcore: VcoreID) -> UnsafeMutablePointer<VcoreSlot> {
        slots.pointer(at: Int(vcore))
    }

    /// `slot`, for the public queries and thread life cycle (off the lock
    /// paths): a bad id traps instead of reading past the map.
    func checkedSlot(_ vcore: VcoreID) -> UnsafeMutablePointer<VcoreSlot> {
        precondition(Int(vcore) < count, "VcoreMap: no vcore \(vcore) (count \(count))")
        return slot(vcore)
    }

    // MARK: What userspace reads

    /// Whether `vcore` is marked preempted (VC_PREEMPTED). A relaxed read: a
    /// hint for spinning waiters; the kernel operations re-check under the kernel lock.
    @inlinable
    public func isPreempted(_ vcore: VcoreID) -> Bool {
        Int(vcore) < count
            && slot(vcore).pointee.state.value.load(ordering: .relaxed) == VcoreState.preempted.rawValue
    }

    /// The run state of `vcore`.
    public func state(_ vcore: VcoreID) -> VcoreState {
        VcoreState(rawValue: checkedSlot(vcore).pointee.state.value.load(ordering: .acquiring)) ?? .running
    }

    /// Whether `vcore`'s thread is actually asleep because of a preemption.
    public func isParked(_ vcore: VcoreID) -> Bool {
        checkedSlot(vcore).pointee.parked.load(ordering: .acquiring) != 0
    }

    /// The preemption sequence counter: odd while a change is in flight, and
    /// different from an earlier read if any vcore was preempted or changed since.
    @inlinable
    public var sequence: UInt32 { sequenceCounter.pointee.value }

    /// Preemption messages sent: every original preemption and every change
    /// (Akaros' EV_VCORE_PREEMPT count in the thesis' Figures 6.5/6.6).
    public var preemptionMessages: UInt64 { kernel.pointee.messages.load(ordering: .relaxed) }

    /// Original preemptions by the controller.
    public var preemptionCount: UInt64 { kernel.pointee.preemptions.load(ordering: .relaxed) }

    /// Successful `changeToVcore` calls (in-chain: the caller expects to resume).
    public var changeCount: UInt64 { kernel.pointee.changes.load(ordering: .relaxed) }

    /// One-way changes made by vcores handling preemption events (Akaros'
    /// EV_CHECK_MSGS; not counted in `preemptionMessages`, as in the thesis).
    public var oneWayChangeCount: UInt64 { kernel.pointee.oneWayChanges.load(ordering: .relaxed) }

    /// Preemption events vcores have taken out of their mailboxes and handled
    /// (stale ones included: the target was running again by then).
    public var eventsHandled: UInt64 { kernel.pointee.eventsHandled.load(ordering: .relaxed) }

    /// Whether `vcore` has preemption events waiting (its `notif_pending`).
    public func hasPendingEvents(_ vcore: VcoreID) -> Bool {
        checkedSlot(vcore).pointee.notifPending.load(ordering: .acquiring) != 0
    }

    /// How often `vcore` was stopped (preempted or changed away from).
    public func stops(_ vcore: VcoreID) -> UInt64 { checkedSlot(vcore).pointee.stops.load(ordering: .relaxed) }

    /// The CPU `vcore`'s thread is pinned to now (-1: not pinned).
    public func cpu(_ vcore: VcoreID) -> Int32 { checkedSlot(vcore).pointee.cpu.load(ordering: .relaxed) }

    /// The vcores marked preempted now.
    public var preemptedVcores: [VcoreID] {
        (0..<UInt32(count)).filter { isPreempted($0) }
    }
}
