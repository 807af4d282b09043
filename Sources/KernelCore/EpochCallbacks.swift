// EpochCallbacks: work deferred until a full epoch has passed (RCU's call_rcu).

import Synchronization

/// Callbacks that run once a full epoch of an `EpochRing` has passed after
/// they were registered: every vcore has since passed a quiescent state, so
/// none still holds what the callback frees or changes.
///
/// Off every lock path: registering takes a mutex and may allocate. Due
/// callbacks run in `runDue()`, on whichever thread calls it (typically the
/// vcore whose `quiescent` call returned true, or a control thread); never
/// with the mutex held, so a callback may register another.
public final class EpochCallbacks: Sendable {
    public let ring: EpochRing
    private let pending = Mutex<[(target: UInt64, body: @Sendable () -> Void)]>([])

    public init(ring: EpochRing) { self.ring = ring }

    /// Registers `body` to run after the next full epoch; returns the epoch
    /// it waits for.
    @discardableResult
    public func afterNextEpoch(_ body: @escaping @Sendable () -> Void) -> UInt64 {
        pending.withLock { list in
            // Read under the lock, after the caller's changes: a full round after now.
            let target = ring.fullEpochTarget
            list.append((target, body))
            return target
        }
    }

    /// Callbacks registered and not yet run.
    public var pendingCount: Int { pending.withLock { $0.count } }

    /// Runs every callback whose epoch has been reached; returns how many ran.
    @discardableResult
    public func runDue() -> Int {
        let now = ring.epoch
        let due = pending.withLock { list -> [@Sendable () -> Void] in
            let ready = list.filter { $0.target <= now }.map(\.body)
            list.removeAll { $0.target <= now }
            return ready
        }
        for body in due { body() }
        return due.count
    }
}
