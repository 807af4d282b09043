// PreemptionController: the emulated kernel taking cores away on a schedule.

import Platform
import KernelCore
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// When and whom the controller preempts.
public struct PreemptionSchedule: Sendable {
    /// How the victims of each round are chosen.
    public enum Victims: Sendable {
        /// The same vcores every round.
        case fixed([VcoreID])
        /// `count` vcores per round, moving round robin over the map.
        case rotating(count: Int)
    }

    /// Whom to preempt each round.
    public var victims: Victims
    /// Time from one round's start to the next.
    public var period: Duration
    /// How long the victims stay preempted (the thesis: 10 ms).
    public var duration: Duration
    /// Delay before the first round.
    public var initialDelay: Duration

    public init(victims: Victims, period: Duration, duration: Duration, initialDelay: Duration = .zero) {
        precondition(duration < period, "PreemptionSchedule: duration must be shorter than period")
        self.victims = victims
        self.period = period
        self.duration = duration
        self.initialDelay = initialDelay
    }
}

/// One round as it happened: CLOCK_MONOTONIC ns when the victims were
/// preempted and when every preempted vcore was restored.
public struct PreemptionRound: Sendable, Equatable {
    public let victims: [VcoreID]
    public let preemptedNanos: UInt64
    public let restoredNanos: UInt64
}

/// Runs a `PreemptionSchedule` on its own thread: each round preempts the
/// chosen vcores (`VcoreMap.preempt`), waits `duration`, then gives every core
/// back (`VcoreMap.restoreAll`: changes of vcore may have moved the preemption
/// to other vcores). `stop()` ends the schedule and restores everything.
public final class PreemptionController: @unchecked Sendable {
    /// The map whose vcores are preempted.
    public let map: VcoreMap
    /// The schedule.
    public let schedule: PreemptionSchedule
    private let stopFlag = Atomic<Bool>(false)
    private let realtime = Atomic<Bool>(false)
    /// Set once the thread has its scheduling policy (`start` waits for it).
    private let scheduled = Atomic<Bool>(false)
    private var thread: PinnedThread?
    private let roundsLock = PthreadMutexLock()
    private var recorded: [PreemptionRound] = []

    /// SCHED_FIFO priority the controller asks for; above any vcore's.
    public let priority: Int32

    /// A controller for `map`. It asks for SCHED_FIFO `priority` (keep it
    /// above the vcores' if they run SCHED_FIFO, or it cannot preempt them on
    /// time); without the privilege it runs SCHED_OTHER (see `isRealtime`).
    public init(map: VcoreMap, schedule: PreemptionSchedule, priority: Int32 = 2) {
        self.map = map
        self.schedule = schedule
        self.priority = priority
    }

    deinit { roundsLock.deallocate() }

    /// Starts the schedule on a new (unpinned) thread, and returns once that
    /// thread has asked for SCHED_FIFO (up to 1 s). Started before the
    /// vcores are released, a controller still SCHED_OTHER when SCHED_FIFO
    /// vcores begin spinning on every CPU would not run until Linux lets
    /// ordinary tasks in (RT throttling, the fair server: up to a second),
    /// and its rounds would start that late.
    public func start() throws {
        precondition(thread == nil, "PreemptionController.start called twice")
        thread = try PinnedThread.start(cpu: nil) { [self] in run() }
        let deadline = monotonicNanos() + 1_000_000_000
        while !scheduled.load(ordering: .acquiring) && monotonicNanos() < deadline {
            sleep(untilNanos: monotonicNanos() + 20_000)
        }
    }

    /// Ends the schedule, joins its thread and restores every preempted vcore.
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
        map.restoreAll()
    }

    /// Whether the controller thread got SCHED_FIFO (it asks for it so that, like a kernel, it preempts on time even when every CPU is
    /// busy with spinning vcores; without the privilege it runs SCHED_OTHER
    /// and its rounds may start late, which `rounds` shows).
    public var isRealtime: Bool { realtime.load(ordering: .relaxed) }

    /// The rounds so far.
    public var rounds: [PreemptionRound] {
        roundsLock.lock()
        defer { roundsLock.unlock() }
        return recorded
    }

    /// Writes round `round`'s victims into `buffer` (at least `map.count`
    /// long); returns how many. Allocates nothing.
    private func victims(round: Int, into buffer: UnsafeMutablePointer<VcoreID>) -> Int {
        switch schedule.victims {
        case .fixed(let ids):
            let n = min(ids.count, map.count)
            for index in 0..<n { buffer[index] = ids[index] }
            return n
        case .rotating(let count):
            let n = map.count
            let chosen = min(count, n)
            for index in 0..<chosen { buffer[index] = VcoreID((round * count + index) % n) }
            return chosen
        }
    }

    /// The schedule. Between `preempt` and the end of `restoreAll` victims
    /// may be parked inside a signal handler, where one may hold the malloc
    /// lock: the controller allocates nothing there. The victim list is a
    /// buffer made before the first round, and a round is recorded (which
    /// may grow the list of rounds) only once every vcore runs again.
    private func run() {
        realtime.store(kb_set_scheduler(0, SCHED_FIFO, priority) == 0, ordering: .relaxed)
        scheduled.store(true, ordering: .releasing)
        let period = schedule.period.nanoseconds
        let duration = schedule.duration.nanoseconds
        let buffer = UnsafeMutablePointer<VcoreID>.allocate(capacity: max(map.count, 1))
        defer { buffer.deallocate() }
        var next = monotonicNanos() + schedule.initialDelay.nanoseconds
        var round = 0
        while !stopFlag.load(ordering: .relaxed) {
            sleep(untilNanos: next)
            if stopFlag.load(ordering: .relaxed) { break }
            let chosen = victims(round: round, into: buffer)
            let preemptedAt = monotonicNanos()
            map.preempt(UnsafeBufferPointer(start: buffer, count: chosen))
            sleep(untilNanos: preemptedAt + duration)
            map.restoreAll()
            let restoredAt = monotonicNanos()
            // Every vcore runs again: allocating is safe from here.
            let victims = Array(UnsafeBufferPointer(start: buffer, count: chosen))
            roundsLock.lock()
            recorded.append(PreemptionRound(victims: victims, preemptedNanos: preemptedAt,
                                            restoredNanos: restoredAt))
            roundsLock.unlock()
            round += 1
            next += period
        }
    }
}
