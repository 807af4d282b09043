// Waiting for something that may never finish, without hanging the run.

import Platform
import Synchronization

/// Runs work that could block for ever (taking a lock a stalled thread holds,
/// stopping a helper thread) on a thread of its own, and waits a bounded time.
public enum BoundedWait {
    /// Runs `body` on a new thread and waits up to `timeout` for it: true when
    /// it returned in time, false when it did not (the thread is abandoned).
    public static func run(_ timeout: Duration, _ body: @escaping @Sendable () -> Void) throws -> Bool {
        let done = DoneFlag()
        let thread = try PinnedThread.start(cpu: nil) {
            body()
            done.set()
        }
        let deadline = monotonicNanos() + timeout.nanoseconds
        while !done.isSet {
            if monotonicNanos() > deadline { return false }
            sleepNanoseconds(1_000_000)
        }
        thread.join()
        return true
    }

    private final class DoneFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        func set() { flag.store(true, ordering: .releasing) }
        var isSet: Bool { flag.load(ordering: .acquiring) }
    }
}
