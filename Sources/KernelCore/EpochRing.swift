// EpochRing: an RCU-style epoch kept by a token that circulates among vcores
// (Uhlig §4.3.2, after McKenney's read-copy update).

import Platform
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The shared words of a ring: one line, read by every vcore at each of its
/// quiescent states and written only by the token's holder.
@usableFromInline
struct EpochRingStorage: ~Copyable {
    /// Completed rounds of the token (the global epoch).
    @usableFromInline let epoch = Atomic<UInt64>(0)
    /// The vcore that holds the token: the next to pass a quiescent state.
    @usableFromInline let token = Atomic<UInt32>(0)
    /// Total token passes (for the watchdog: does the ring move at all?).
    @usableFromInline let passes = Atomic<UInt64>(0)
    /// The highest epoch somebody waits for (a transition under way, a
    /// `wait`): while `epoch` is below it, a vcore of an oversubscribed ring
    /// that passes a quiescent state without the token yields its CPU.
    @usableFromInline let wanted = Atomic<UInt64>(0)

    @usableFromInline init() {}
}

/// An epoch counter advanced by a token passed from vcore to vcore: vcore v
/// hands it to v + 1 when it reaches a quiescent state, and the last one
/// increments the epoch as it hands it back to vcore 0. A full round of the
/// token therefore proves that every vcore passed a quiescent state.
///
/// What counts as quiescent is explicit: the vcore calls `quiescent(_:)`
/// between operations, at a point where it holds no dynamic lock, is in no
/// lock attempt and keeps no reference into anything an epoch protects. The
/// call costs one load when the vcore does not hold the token.
///
/// Something stamped with the epoch `e` it read *after* publishing a change
/// is safe once the epoch reaches `e + 2` (Uhlig's `LockEpoch + 1 <
/// GlobalEpoch`): the round that was under way when the change was made may
/// have passed some vcores before it, so only the round after it is a full
/// round that started later. `fullEpochTarget` gives that number.
///
/// A trivial value over one cache line; copies share the ring, which lives
/// until `deallocate()`.
@frozen
public struct EpochRing: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let storage: CacheLineBox<EpochRingStorage>
    /// The vcore count in the low 31 bits, `oversubscribed` in the top one:
    /// one word, so a ring (and a dynamic lock holding one) stays small
    /// enough to travel in registers.
    @usableFromInline let shape: UInt32

    /// The vcores in the ring: ids `0..<count`.
    @inlinable
    public var count: UInt32 { shape & 0x7FFF_FFFF }

    /// More vcores than CPUs: the token's holder may be waiting for a time
    /// slice on a CPU another vcore is spinning on. Then a vcore that passes
    /// a quiescent state without the token while an epoch is wanted yields
    /// its CPU (`sched_yield`), so the holder runs and the token moves
    /// (without it, 4 vcores on 2 CPUs took ~190 ms per transition: every
    /// pass waited for a time slice). Kept in the value, not in shared
    /// memory, so a ring with a CPU per vcore pays nothing for it.
    @inlinable
    public var oversubscribed: Bool { shape >> 31 != 0 }

    /// A ring of `vcores` vcores (at least one), at epoch 0 with the token at
    /// vcore 0; `oversubscribed` when they share CPUs (see the property).
    public init(vcores: Int, oversubscribed: Bool = false) {
        precondition(vcores > 0 && vcores < 1 << 31, "EpochRing: vcores must be positive, below 2^31")
        storage = CacheLineBox(EpochRingStorage())
        shape = UInt32(vcores) | (oversubscribed ? 1 << 31 : 0)
    }

    /// The current epoch: completed rounds of the token. Acquiring: what the
    /// vcores did before their passes in those rounds is visible to the reader.
    @inlinable
    public var epoch: UInt64 { storage.pointee.epoch.load(ordering: .acquiring) }

    /// The vcore holding the token: when an epoch does not end, the vcore it waits for.
    public var tokenHolder: VcoreID { storage.pointee.token.load(ordering: .relaxed) }

    /// Token passes since the ring began.
    public var passes: UInt64 { storage.pointee.passes.load(ordering: .relaxed) }

    /// The epoch at which a change published before this call is seen by
    /// every vcore: one full round after the round now under way.
    @inlinable
    public var fullEpochTarget: UInt64 { epoch &+ 2 }

    /// Declares that `vcore` is in a quiescent state. Returns true when this
    /// call ended an epoch (the caller may then run callbacks that fell due).
    /// One load when the token is elsewhere (an oversubscribed ring then
    /// also yields while an epoch is wanted).
    @inlinable
    @discardableResult
    public func quiescent(_ vcore: VcoreID) -> Bool {
        // Acquiring: the holder before us released the token after its own
        // quiescent state; the chain of passes orders every vcore's work
        // before the epoch increment that ends the round.
        guard storage.pointee.token.load(ordering: .acquiring) == vcore else {
            if oversubscribed { yieldIfWanted() }
            return false
        }
        return passToken(from: vcore)
    }

    /// Asks for epoch `target`: an oversubscribed ring's vcores yield to the
    /// token's holder until it comes. Transitions and waits call it.
    public func want(epoch target: UInt64) {
        // Relaxed: a hint for yielding, never a condition of correctness.
        var current = storage.pointee.wanted.load(ordering: .relaxed)
        while current < target {
            let (exchanged, original) = storage.pointee.wanted.compareExchange(expected: current, desired: target,
                                                                                ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Someone waits for an epoch not yet reached and the token is
    /// elsewhere: give the CPU to whoever else is runnable on it (perhaps
    /// the token's holder). Out of line: the common path stays one load.
    @inline(never)
    @usableFromInline
    func yieldIfWanted() {
        if epochWanted { sched_yield() }
    }

    /// Whether somebody waits for an epoch not yet reached. Relaxed: a stale
    /// value costs at most one yield too many or too few.
    public var epochWanted: Bool {
        storage.pointee.epoch.load(ordering: .relaxed) < storage.pointee.wanted.load(ordering: .relaxed)
    }

    /// Hands the token on; the last vcore ends the epoch.
    @inline(never)
    @usableFromInline
    func passToken(from vcore: VcoreID) -> Bool {
        storage.pointee.passes.wrappingAdd(1, ordering: .relaxed)
        let next = vcore &+ 1
        if next >= count {
            // Sequentially consistent: a transition that read the old epoch as
            // its stamp is ordered before this increment, so every vcore that
            // passes in the next round sees the transition (a locked add on x86).
            storage.pointee.epoch.wrappingAdd(1, ordering: .sequentiallyConsistent)
            // Releasing: vcore 0 sees the new epoch and everything before it.
            storage.pointee.token.store(0, ordering: .releasing)
            return true
        }
        // Releasing: our work before the quiescent state happens before the next pass.
        storage.pointee.token.store(next, ordering: .releasing)
        return false
    }

    /// Waits until the epoch reaches `target`, for at most `timeoutNs`. A
    /// waiter that is itself a vcore of the ring names itself in `vcore`: it
    /// passes its own quiescent states while it waits (it holds nothing), or
    /// the epoch could never end. Spins briefly, then sleeps 20 µs at a time:
    /// waiting is a control operation, never on a lock path.
    public func wait(untilEpoch target: UInt64, as vcore: VcoreID? = nil, timeoutNs: UInt64) -> EpochWait {
        want(epoch: target)
        let start = monotonicNanos()
        var spins = 0
        while true {
            if let vcore { quiescent(vcore) }
            let now = epoch
            if now >= target { return .reached(now) }
            let elapsed = monotonicNanos() &- start
            if elapsed >= timeoutNs {
                return .stalled(EpochStall(epoch: now, target: target, holder: tokenHolder,
                                           waitedNs: elapsed))
            }
            spins += 1
            if spins < 1_000 { kb_pause() } else { sleepNanoseconds(20_000) }
        }
    }

    /// A one-line report of the ring for a watchdog that saw no progress:
    /// the epoch and the vcore holding the token (the one every waiter waits for).
    public func stallReport(waitedSeconds: Double) -> String {
        EpochStall(epoch: epoch, target: epoch &+ 1, holder: tokenHolder,
                   waitedNs: UInt64(max(0, waitedSeconds) * 1e9)).description
    }

    public func deallocate() { storage.deallocate() }
}

/// How a wait for an epoch ended.
public enum EpochWait: Sendable, Equatable {
    /// The epoch reached the target; the value seen.
    case reached(UInt64)
    /// The time ran out; who held the token.
    case stalled(EpochStall)
}

/// An epoch that did not end in time, naming the vcore it waits for.
public struct EpochStall: Sendable, Equatable, CustomStringConvertible {
    /// The epoch when the wait gave up, and the one waited for.
    public var epoch: UInt64, target: UInt64
    /// The vcore holding the token: it has not passed a quiescent state since it got it.
    public var holder: VcoreID
    /// How long the waiter waited.
    public var waitedNs: UInt64

    public var description: String {
        let milliseconds = waitedNs / 1_000_000
        return "epoch \(epoch) (waiting for \(target)) stalled for \(milliseconds) ms: "
            + "vcore \(holder) holds the token and has passed no quiescent state"
    }
}
