// DynamicLock: a lock that can be switched off and on at run time (Uhlig §4.3.2).

import Platform
import Synchronization

/// The four states of a dynamic lock, in two bits.
public enum DynamicLockState: UInt64, Sendable, CaseIterable {
    /// The lock is not taken: only the home vcore touches the data. Zero, so
    /// the fast path is one test for zero.
    case disabled = 0
    /// Every acquisition takes the wrapped lock.
    case enabled = 1
    /// Being enabled from another vcore: the home vcore already locks, the
    /// others wait for the epoch that proves the home vcore left any section
    /// it entered unlocked.
    case promoting = 2
    /// Being disabled: every acquisition still locks for one full epoch, so
    /// no attempt that read "enabled" is left unprotected.
    case demoting = 3
}

/// A lock with an enable state (Uhlig's dynamic lock) over a KernelCore lock:
/// disabled it costs one load and one test for zero; enabled it is the
/// wrapped lock plus that test and a second, not-taken test.
///
/// The contract that makes a disabled lock safe is the cluster mask's:
/// while the lock is not `enabled`, only its home vcore enters the section
/// (`admits(_:)` says who may). Transitions:
/// - demotion (enabled -> demoting -> disabled): the lock stays active for one
///   full epoch, so an acquisition in flight that read "enabled" keeps its
///   lock; then the first to see the epoch finishes it.
/// - promotion on the home vcore, by it (disabled -> enabled): immediate; the
///   caller is between operations, the only vcore that could be inside.
/// - promotion from another vcore (disabled -> promoting -> enabled): the home
///   vcore locks as soon as it sees the change; the others are admitted only
///   after an epoch, which includes a quiescent state of the home vcore.
///
/// `lock` returns whether it took the wrapped lock and `unlock` takes that
/// answer: the state read at `lock` decides, not a second read, because a
/// promotion from elsewhere may make the word non-zero while the home vcore
/// is inside unlocked. That is why this is not a `KernelLock`.
@frozen
public struct DynamicLock<Base: KernelLock>: BitwiseCopyable, @unchecked Sendable {
    /// The state word, on a line of its own that stays shared in every cache
    /// (written only at transitions).
    @usableFromInline let stateBox: CacheLineBox<Atomic<UInt64>>
    /// The wrapped lock.
    public let base: Base
    /// The ring whose epochs time the transitions.
    public let ring: EpochRing
    /// The vcore that may enter while the lock is disabled.
    public let home: VcoreID

    /// A dynamic lock over `base`, starting in `state` (stable: disabled or enabled).
    public init(base: Base, ring: EpochRing, home: VcoreID, state: DynamicLockState = .enabled) {
        precondition(state == .disabled || state == .enabled, "DynamicLock: start disabled or enabled")
        self.base = base
        self.ring = ring
        self.home = home
        stateBox = CacheLineBox(Atomic<UInt64>(state.rawValue))
    }

    @inlinable
    var word: TransitionWord { TransitionWord(stateBox.pointer) }

    /// The state now (a snapshot).
    public var state: DynamicLockState { DynamicLockState(rawValue: TransitionWord.state(word.raw))! }

    /// Whether `vcore` may enter now: the home vcore always; the others only
    /// while the lock is enabled (the caller then locks; an attempt admitted
    /// just before a demotion keeps its lock for the epoch the demotion waits).
    @inlinable
    public func admits(_ vcore: VcoreID) -> Bool {
        vcore == home || word.raw == DynamicLockState.enabled.rawValue
    }

    /// Enters the section; returns whether the wrapped lock was taken (pass
    /// it to `unlock`). Disabled: one load, one test for zero, nothing else.
    @inlinable
    @inline(__always)
    public func lock(_ node: Base.Node, vcore: VcoreID) -> Bool {
        let raw = word.raw
        if raw == 0 { return false }
        base.lock(node, vcore: vcore)
        if raw > 1 { word.settleHolding(ring: ring) }
        return true
    }

    /// Leaves the section entered by the `lock` that returned `held`.
    @inlinable
    @inline(__always)
    public func unlock(_ node: Base.Node, vcore: VcoreID, held: Bool) {
        if held { base.unlock(node, vcore: vcore) }
    }


    /// Begins demotion; false unless the lock was enabled.
    @discardableResult
    public func demote() -> Bool { word.begin(from: DynamicLockState.enabled.rawValue, ring: ring) }

    /// Promotes the lock, asked by `vcore`: at once on the home vcore (the
    /// caller, between operations), else through `promoting` and an epoch.
    /// Returns the state reached, nil unless the lock was disabled.
    @discardableResult
    public func promote(from vcore: VcoreID) -> DynamicLockState? {
        if vcore == home {
            return word.flip(from: DynamicLockState.disabled.rawValue) ? .enabled : nil
        }
        return word.begin(from: DynamicLockState.disabled.rawValue, ring: ring) ? .promoting : nil
    }

    /// Finishes a transition whose epoch has passed; returns the state after.
    @discardableResult
    public func settle() -> DynamicLockState {
        DynamicLockState(rawValue: TransitionWord.state(word.settle(ring: ring)))!
    }

    /// Waits for a transition under way to take effect (see `TransitionWord.waitUntilStable`).
    public func waitUntilSettled(as vcore: VcoreID?, timeoutNs: UInt64) -> Result<DynamicLockState, EpochStallError> {
        word.waitUntilStable(ring: ring, as: vcore, timeoutNs: timeoutNs)
            .map { DynamicLockState(rawValue: $0)! }
    }

    /// Frees the state word and the wrapped lock (not the ring).
    public func deallocate() {
        stateBox.deallocate()
        base.deallocate()
    }
}
