// FIFOHog: a noise injector: a real-time CPU hog that takes one CPU away.

import Platform
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Injects noise by really preempting whatever runs on one CPU: a SCHED_FIFO
/// thread pinned there that spins for a duration. Stock Linux gives the
/// victim no notice and its peers no way to help it. lockbench's native mode
/// uses it to show what plain MCS does when a waiter or holder loses its CPU
/// (no recovery is possible; PDR locks see no preempted flag either); any
/// benchmark can use it to take a CPU away for a known time.
///
/// Linux' real-time throttling (`/proc/sys/kernel/sched_rt_runtime_us`,
/// 950 ms of every second by default) bounds how long one hog can hold a CPU.
public final class FIFOHog: @unchecked Sendable {
    /// The CPU hogged.
    public let cpu: Int32
    /// CLOCK_MONOTONIC ns when the hog started and stopped spinning.
    public private(set) var startNanos: UInt64 = 0
    public private(set) var endNanos: UInt64 = 0
    private let thread: PinnedThread
    private var joined = false
    private let result: CacheLineBox<HogResult>

    private struct HogResult: ~Copyable {
        /// 0 while setting up, 1 when spinning, -errno on failure.
        let status = Atomic<Int32>(0)
        let start = Atomic<UInt64>(0)
        let end = Atomic<UInt64>(0)
        /// 1: sched_setaffinity failed, 2: sched_setscheduler failed.
        let failedCall = Atomic<UInt32>(0)
    }

    /// Starts a hog on `cpu` at SCHED_FIFO `priority` that spins for
    /// `duration`, and returns once it runs. Throws if the thread cannot be
    /// pinned or SCHED_FIFO is not permitted (EPERM without CAP_SYS_NICE or an
    /// RT budget): it never pretends. Call it from a thread that cannot run
    /// on `cpu`, or it waits (starved) until the hog is done.
    public init(cpu: Int32, duration: Duration, priority: Int32 = 50) throws {
        self.cpu = cpu
        let result = CacheLineBox(HogResult())
        self.result = result
        let spin = duration.nanoseconds
        thread = try PinnedThread.start(cpu: nil) {
            let pinned = kb_set_affinity(0, [cpu], 1)
            guard pinned == 0 else {
                result.pointee.failedCall.store(1, ordering: .relaxed)
                result.pointee.status.store(pinned, ordering: .releasing)
                return
            }
            let rc = kb_set_scheduler(0, SCHED_FIFO, priority)
            guard rc == 0 else {
                result.pointee.failedCall.store(2, ordering: .relaxed)
                result.pointee.status.store(rc, ordering: .releasing)
                return
            }
            let start = monotonicNanos()
            result.pointee.start.store(start, ordering: .relaxed)
            result.pointee.status.store(1, ordering: .releasing)
            var now = start
            while now < start + spin {
                kb_pause()
                now = monotonicNanos()
            }
            result.pointee.end.store(now, ordering: .releasing)
        }
        var status: Int32 = 0
        repeat {
            sched_yield()
            status = result.pointee.status.load(ordering: .acquiring)
        } while status == 0
        guard status == 1 else {
            // Fully initialized: deinit runs after the throw and frees `result`.
            thread.join()
            joined = true
            let pinning = result.pointee.failedCall.load(ordering: .relaxed) == 1
            throw pinning
                ? SystemCallError("sched_setaffinity(\(cpu))", errno: -status)
                : SystemCallError("sched_setscheduler(SCHED_FIFO, \(priority))", errno: -status)
        }
        startNanos = result.pointee.start.load(ordering: .relaxed)
    }

    /// Waits for the hog to finish spinning.
    public func join() {
        guard !joined else { return }
        thread.join()
        joined = true
        endNanos = result.pointee.end.load(ordering: .acquiring)
    }

    deinit {
        join()
        result.deallocate()
    }
}
