// The start of a thread team: members check in and sleep; the coordinator
// publishes one TSC start tick and wakes them.

import Platform
import Synchronization

/// Where the members of a team wait to start together.
///
/// Members never spin here, and the coordinator has nothing left to do once it
/// has released them. That is what keeps a run from hanging at its start: a
/// member raised to SCHED_FIFO that spun on a start flag would keep the
/// coordinator (SCHED_OTHER, possibly on the same CPU) from ever running to
/// set it; with RT throttling off (`sched_rt_runtime_us` = -1), for ever. So:
/// - members sleep on a futex until the start is published (a FIFO thread
///   asleep takes no CPU from the coordinator);
/// - the coordinator computes the start tick *before* it wakes anyone and
///   stores it first, so nothing after the wake-ups depends on it running
///   again. Waking a FIFO member on the coordinator's own CPU preempts it,
///   possibly before it has woken the rest: each member's sleep is bounded
///   (`pollNs`) and re-checks, so a member nobody woke finds the published
///   start by itself, well inside a start lead of a few milliseconds.
///
/// Members that need their starts lined up (FTQ samplers) spin on the TSC from
/// the wake-up to the start tick, on their own CPU (`TeamMember.waitForStartTick`).
public final class StartLine: @unchecked Sendable {
    /// Members checked in (futex word: the coordinator sleeps on it).
    private let arrived = CacheLineBox(FutexWord())
    /// 0 until the coordinator decides; then `started` or `cancelled` (futex
    /// word: the members sleep on it).
    private let state = CacheLineBox(FutexWord())
    /// The start tick, stored before `state` says `started`.
    private let tick = CacheLineBox(Atomic<UInt64>(0)).pointer

    private static let started: UInt32 = 1, cancelled: UInt32 = 2

    /// The longest a member sleeps before it looks at the line again.
    public static let pollNs: Int64 = 1_000_000

    public init() {}

    deinit {
        arrived.deallocate()
        state.deallocate()
        CacheLineBox(boxAt: tick).deallocate()
    }

    // MARK: Members

    /// Counts the calling member in and wakes the coordinator.
    public func checkIn() {
        arrived.pointee.value.wrappingAdd(1, ordering: .releasing)
        arrived.pointee.wakeAll()
    }

    /// Sleeps until the start is published: the start tick, or nil if the
    /// start was cancelled.
    public func waitForStart() -> UInt64? {
        while true {
            switch state.pointee.value.load(ordering: .acquiring) {
            case Self.started: return tick.pointee.load(ordering: .relaxed)
            case Self.cancelled: return nil
            // Bounded (`pollNs` > 0): a member nobody woke still finds the start.
            default: state.pointee.wait(whileEqualTo: 0, timeoutNs: Self.pollNs)
            }
        }
    }

    // MARK: Coordinator

    /// Members checked in so far.
    public var checkedIn: Int { Int(arrived.pointee.value.load(ordering: .acquiring)) }

    /// Sleeps until `count` members have checked in; false if `timeoutNs`
    /// passed first. Always bounded: a timeout of 0 or less looks once and
    /// does not sleep (unlike `FutexWord.wait`, where a negative timeout
    /// means no limit). Everything a member wrote before checking in is
    /// visible to the caller after a true return.
    public func waitForCheckIns(_ count: Int, timeoutNs: Int64) -> Bool {
        let deadline = monotonicNanos() &+ UInt64(max(0, timeoutNs))
        while true {
            let now = arrived.pointee.value.load(ordering: .acquiring)
            if Int(now) >= count { return true }
            let clock = monotonicNanos()
            guard clock < deadline else { return false }
            // Positive (clock < deadline) and at most 10 ms: a bounded sleep,
            // never the futex's "no limit".
            arrived.pointee.wait(whileEqualTo: now, timeoutNs: Int64(min(deadline - clock, 10_000_000)))
        }
    }

    /// Publishes `startTick` and wakes every member. Call once; no effect
    /// after `cancel` (members may already have left).
    public func release(at startTick: UInt64) {
        tick.pointee.store(startTick, ordering: .relaxed)
        // Releasing: a member that sees `started` sees the tick.
        _ = state.pointee.value.compareExchange(expected: 0, desired: Self.started, ordering: .releasing)
        state.pointee.wakeAll()
    }

    /// Tells every member there will be no start (a failed launch, a stop
    /// before the start). No effect after `release`.
    public func cancel() {
        _ = state.pointee.value.compareExchange(expected: 0, desired: Self.cancelled, ordering: .releasing)
        state.pointee.wakeAll()
    }
}
