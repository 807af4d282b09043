import Platform
import Synchronization

/// Ends a run that has stopped making progress, so a deadlocked lock or a lost
/// wake-up fails loudly with a diagnostic instead of hanging a terminal or CI.
///
/// The measuring threads bump a progress counter they already keep (attempts,
/// messages); a monitor thread samples it ten times a second and, when it has
/// not moved for `timeoutSeconds`, calls `onStall` once. The callback prints
/// its diagnostic and decides what happens next (typically: request a stop,
/// write what was collected, exit non-zero).
public final class Watchdog: Sendable {
    private final class Flags: Sendable {
        let done = Atomic<Bool>(false)
        let fired = Atomic<Bool>(false)
    }
    private let flags = Flags()
    private let monitor: Mutex<PinnedThread?> = Mutex(nil)

    /// Starts watching. `progress` must be cheap and thread-safe (an atomic
    /// load); `onStall` runs on the monitor thread. `cpu` keeps the monitor off
    /// the measured CPUs when given.
    public init(timeoutSeconds: Double, cpu: Int? = nil,
                progress: @escaping @Sendable () -> UInt64,
                onStall: @escaping @Sendable (_ stalledSeconds: Double) -> Void) throws {
        let timeoutNs = Int64(timeoutSeconds * 1e9)
        let thread = try PinnedThread.start(cpu: cpu) { [flags] in
            var last = progress()
            var lastChange = monotonicRawNanoseconds()
            while !flags.done.load(ordering: .acquiring) {
                sleepNanoseconds(100_000_000)
                let now = monotonicRawNanoseconds()
                let current = progress()
                if current != last {
                    last = current
                    lastChange = now
                } else if now - lastChange >= timeoutNs {
                    flags.fired.store(true, ordering: .releasing)
                    onStall(Double(now - lastChange) / 1e9)
                    return
                }
            }
        }
        monitor.withLock { $0 = thread }
    }

    /// True once `onStall` has been called.
    public var hasFired: Bool { flags.fired.load(ordering: .acquiring) }

    /// Stops watching and joins the monitor (it wakes within 100 ms).
    public func stop() {
        flags.done.store(true, ordering: .releasing)
        let thread = monitor.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }

    deinit { stop() }
}
