// TransitionWord: two bits of state and an epoch stamp in one word, the
// machinery a dynamic lock and a lock cascade share (Uhlig §4.3.2-4.3.3).

import Platform
import Synchronization

/// A two-state switch whose changes take effect one full epoch after they
/// are asked for. Bits 0-1 hold the state, the rest the epoch stamp of a
/// transition under way:
///
///     0  stable state A         (word == 0 exactly: the fast path tests for zero)
///     1  stable state B         (word == 1 exactly)
///     2  moving to B, stamp e   (word == e << 2 | 2)
///     3  moving to A, stamp e   (word == e << 2 | 3)
///
/// For a dynamic lock A is disabled and B enabled (2 promoting, 3 demoting);
/// for a cascade A is coarse and B fine (2 to fine, 3 to coarse).
///
/// A transition is begun from a stable state by one compare-and-swap (so two
/// requesters cannot both begin one), stamped with the epoch read *after*
/// the state is published, and finished by whoever first sees the epoch at
/// stamp + 2 (`EpochRing.fullEpochTarget`): a holder of the lock, the
/// requester waiting, or anyone calling `settle`. Stable states carry no
/// stamp, so the disabled state is the word 0.
@frozen
public struct TransitionWord: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let word: UnsafeMutablePointer<Atomic<UInt64>>

    /// The stamp of a transition whose epoch is still being read: never due.
    @usableFromInline static var pendingStamp: UInt64 { UInt64.max >> 2 }

    @inlinable
    init(_ word: UnsafeMutablePointer<Atomic<UInt64>>) { self.word = word }

    /// The raw word, relaxed: the fast paths' one load. A stale value is
    /// harmless: a change takes effect only after every vcore passed a
    /// quiescent state, and the token passes order it (see `EpochRing`).
    @inlinable
    var raw: UInt64 { word.pointee.load(ordering: .relaxed) }

    /// The two-bit state of a raw word.
    @inlinable
    static func state(_ raw: UInt64) -> UInt64 { raw & 3 }

    /// Begins the transition from stable `from` (0 or 1) to the other state;
    /// false when the word is not `from` (a transition under way, or already there).
    func begin(from stable: UInt64, ring: EpochRing) -> Bool {
        let moving: UInt64 = stable == 0 ? 2 : 3
        // Sequentially consistent (a locked cmpxchg): the new state is
        // published before we read the epoch we stamp it with.
        guard word.pointee.compareExchange(expected: stable, desired: Self.pendingStamp << 2 | moving,
                                           ordering: .sequentiallyConsistent).exchanged
        else { return false }
        let stamp = ring.epoch
        // Releasing: only the requester writes a word with a pending stamp.
        word.pointee.store(stamp << 2 | moving, ordering: .releasing)
        ring.want(epoch: stamp &+ 2)
        return true
    }

    /// Switches stable `from` to the other stable state at once; only safe
    /// when nobody can be inside the section under the old state (a dynamic
    /// lock promoted on its home vcore by that vcore).
    func flip(from stable: UInt64) -> Bool {
        word.pointee.compareExchange(expected: stable, desired: stable ^ 1,
                                     ordering: .sequentiallyConsistent).exchanged
    }

    /// The epoch at which the transition in `raw` is due; nil for a stable
    /// state or a stamp still being written.
    @inlinable
    static func dueEpoch(_ raw: UInt64) -> UInt64? {
        guard raw & 2 != 0 else { return nil }
        let stamp = raw >> 2
        return stamp == pendingStamp ? nil : stamp &+ 2
    }

    #if DEBUG
    /// A mutation for the tests only (debug builds; release builds have no
    /// such switch): transitions finish without waiting for their epoch, so
    /// a dynamic lock or cascade can let two vcores in at once. The
    /// exclusion tests turn it on to prove they can see that happen.
    nonisolated(unsafe) static var mutationSkipsEpochWait = false
    #endif

    /// Whether the epoch a transition is due at has come.
    @inline(__always)
    static func isDue(_ due: UInt64, ring: EpochRing) -> Bool {
        #if DEBUG
        if mutationSkipsEpochWait { return true }
        #endif
        return ring.epoch >= due
    }

    /// A transition is under way and the caller holds the lock: finish it if
    /// its epoch has passed (Uhlig finalizes the switch inside the lock
    /// code). Out of line, on this one-word type and not on the generic lock:
    /// a method of the lock took the whole lock by address, and the compiler
    /// then spilled the lock to the stack on every pass of a caller's loop,
    /// disabled or not, and looked up the lock's type metadata.
    @inline(never)
    @usableFromInline
    func settleHolding(ring: EpochRing) { settle(ring: ring) }

    /// Finishes a transition whose epoch has passed; returns the word after.
    @discardableResult
    func settle(ring: EpochRing) -> UInt64 {
        let current = raw
        guard let due = Self.dueEpoch(current), Self.isDue(due, ring: ring) else { return current }
        let target: UInt64 = current & 3 == 2 ? 1 : 0
        // Acquiring and releasing: one settler wins; the others see its result.
        let (exchanged, original) = word.pointee.compareExchange(expected: current, desired: target,
                                                                  ordering: .acquiringAndReleasing)
        return exchanged ? target : original
    }

    /// Waits until no transition is under way (settling it when due);
    /// returns the stable state, or the stall when the epoch did not come.
    /// A waiter that is a vcore of the ring names itself: it passes its own
    /// quiescent states while it waits, so it must hold nothing.
    func waitUntilStable(ring: EpochRing, as vcore: VcoreID?, timeoutNs: UInt64) -> Result<UInt64, EpochStallError> {
        let start = monotonicNanos()
        while true {
            let current = settle(ring: ring)
            if current & 2 == 0 { return .success(current) }
            let spent = monotonicNanos() &- start
            guard spent < timeoutNs else {
                return .failure(EpochStallError(stall: EpochStall(epoch: ring.epoch, target: Self.dueEpoch(current) ?? 0,
                                                                  holder: ring.tokenHolder, waitedNs: spent)))
            }
            let target = Self.dueEpoch(current) ?? ring.fullEpochTarget
            if case .stalled(let stall) = ring.wait(untilEpoch: target, as: vcore, timeoutNs: timeoutNs - spent) {
                return .failure(EpochStallError(stall: stall))
            }
        }
    }
}

/// A transition that did not complete because its epoch did not end.
public struct EpochStallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var stall: EpochStall
    public var description: String { stall.description }
}
