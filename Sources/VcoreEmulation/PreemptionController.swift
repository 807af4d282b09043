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
///
/// On a scheduled map (`VcoreMap.scheduleCores`, more vcores than CPUs) the
/// same thread is the emulated kernel's scheduler too: every `rotation`
/// period it calls `VcoreMap.rotate`, and a round takes pcores away
/// (`revokeCores`: the vcores on them are the victims) and gives them back
/// (`returnCores`), layered on the rotation. Stop it only once the vcores
/// have left (they need the rotation to get a core and see the stop).
public final class PreemptionController: @unchecked Sendable {
    /// The map whose vcores are preempted.
    public let map: VcoreMap
    /// The rounds, if any.
    public let schedule: PreemptionSchedule?
    /// The scheduler's period on a scheduled map (nil: no rotation).
    public let rotation: Duration?
    private let stopFlag = Atomic<Bool>(false)
    private let realtime = Atomic<Bool>(false)
    /// Set once the thread has its scheduling policy (`start` waits for it).
    private let scheduled = Atomic<Bool>(false)
    private var thread: PinnedThread?
    /// Rounds are recorded into memory allocated before the first one: the
    /// controller allocates nothing while it runs, as vcores are parked in
    /// signal handlers at any moment (always, with a rotation) and one may
    /// hold the malloc lock.
    private let record: RoundRecord

    /// SCHED_FIFO priority the controller asks for; above any vcore's.
    public let priority: Int32

    /// A controller for `map`. It asks for SCHED_FIFO `priority` (keep it
    /// above the vcores' if they run SCHED_FIFO, or it cannot preempt them on
    /// time); without the privilege it runs SCHED_OTHER (see `isRealtime`).
    public convenience init(map: VcoreMap, schedule: PreemptionSchedule, priority: Int32 = 2) {
        self.init(map: map, schedule: schedule, rotation: nil, priority: priority)
    }

    /// A controller running `schedule`'s rounds (if any) and, on a scheduled
    /// map, the scheduler's `rotation` (if any). `roundCapacity` rounds are
    /// recorded (`rounds`); later ones still run and are counted in
    /// `unrecordedRounds`.
    public init(map: VcoreMap, schedule: PreemptionSchedule?, rotation: Duration?, priority: Int32 = 2,
                roundCapacity: Int = 1 << 16) {
        precondition(rotation.map { $0 > .zero } ?? true, "PreemptionController: rotation period must be positive")
        self.map = map
        self.schedule = schedule
        self.rotation = rotation
        self.priority = priority
        let perRound: Int
        switch schedule?.victims {
        case .fixed(let ids): perRound = min(ids.count, map.count)
        case .rotating(let count): perRound = min(count, map.count)
        case nil: perRound = 0
        }
        record = RoundRecord(capacity: schedule == nil ? 0 : max(1, roundCapacity), victimsPerRound: max(1, perRound))
    }

    deinit { record.deallocate() }

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

    /// Ends the schedule, joins its thread and restores every preempted vcore
    /// (on a scheduled map this ends the scheduling: see `VcoreMap.restoreAll`).
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

    /// The rounds recorded so far.
    public var rounds: [PreemptionRound] { record.rounds }

    /// Rounds that ran beyond `roundCapacity` and were not recorded.
    public var unrecordedRounds: Int { record.dropped }

    /// Writes round `round`'s victims into `buffer` (at least `map.count`
    /// long); returns how many. Allocates nothing.
    private func victims(round: Int, into buffer: UnsafeMutablePointer<VcoreID>) -> Int {
        switch schedule?.victims {
        case .fixed(let ids):
            let n = min(ids.count, map.count)
            for index in 0..<n { buffer[index] = ids[index] }
            return n
        case .rotating(let count):
            let n = map.count
            let chosen = min(count, n)
            for index in 0..<chosen { buffer[index] = VcoreID((round * count + index) % n) }
            return chosen
        case nil:
            return 0
        }
    }

    /// Begins round `round`: preempts its victims (a scheduled map: revokes
    /// as many pcores), listing the vcores preempted in `buffer`.
    private func beginRound(_ round: Int, into buffer: UnsafeMutablePointer<VcoreID>) -> Int {
        let chosen = victims(round: round, into: buffer)
        if map.isScheduled { return map.revokeCores(chosen, round: round, victims: buffer) }
        return map.preempt(UnsafeBufferPointer(start: buffer, count: chosen))
    }

    /// The schedule and the rotation, on one thread, in time order. Between
    /// a preemption and the end of the next restore victims may be parked
    /// inside a signal handler, where one may hold the malloc lock: nothing
    /// here allocates (the victim list and the round record are made before
    /// the first round). Sleeps at most 10 ms at a time, so `stop` is seen.
    private func run() {
        realtime.store(kb_set_scheduler(0, SCHED_FIFO, priority) == 0, ordering: .relaxed)
        scheduled.store(true, ordering: .releasing)
        let buffer = UnsafeMutablePointer<VcoreID>.allocate(capacity: max(map.count, 1))
        defer { buffer.deallocate() }
        let begin = monotonicNanos()
        let period = schedule?.period.nanoseconds ?? 0
        let duration = schedule?.duration.nanoseconds ?? 0
        var nextRound = schedule.map { begin + $0.initialDelay.nanoseconds } ?? .max
        let tickPeriod = rotation?.nanoseconds ?? 0
        var nextTick = tickPeriod > 0 ? begin + tickPeriod : .max
        var round = 0, chosen = 0
        var preemptedAt: UInt64 = 0, roundEnd = UInt64.max
        while !stopFlag.load(ordering: .relaxed) {
            let next = min(roundEnd != .max ? roundEnd : nextRound, nextTick)
            sleep(untilNanos: min(next, monotonicNanos() + 10_000_000))
            if stopFlag.load(ordering: .relaxed) { break }
            var now = monotonicNanos()
            if roundEnd != .max, now >= roundEnd {
                if map.isScheduled { map.returnCores() } else { map.restoreAll() }
                record.append(victims: buffer, count: chosen, preempted: preemptedAt, restored: monotonicNanos())
                roundEnd = .max
                round += 1
                nextRound += period
            }
            if roundEnd == .max, now >= nextRound {
                preemptedAt = monotonicNanos()
                chosen = beginRound(round, into: buffer)
                roundEnd = preemptedAt + duration
            }
            if now >= nextTick {
                map.rotate()
                now = monotonicNanos()
                nextTick += tickPeriod
                // Late (a busy machine): the next tick a whole period on.
                if nextTick <= now { nextTick = now + tickPeriod }
            }
        }
        // Stopped in the middle of a round: its victims were preempted, so the
        // round is restored and recorded here, cut short, rather than left out
        // of `rounds` while the map counts its preemptions.
        if roundEnd != .max {
            if map.isScheduled { map.returnCores() } else { map.restoreAll() }
            record.append(victims: buffer, count: chosen, preempted: preemptedAt, restored: monotonicNanos())
        }
    }
}

/// The controller's rounds, in memory allocated up front: appended by the
/// controller's thread without allocating, read by anyone.
final class RoundRecord: @unchecked Sendable {
    let capacity: Int
    let victimsPerRound: Int
    private let times: UnsafeMutablePointer<UInt64>
    private let victims: UnsafeMutablePointer<VcoreID>
    private let victimCounts: UnsafeMutablePointer<Int>
    /// Rounds written; releasing after each, so readers see whole rounds.
    private let written = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)

    init(capacity: Int, victimsPerRound: Int) {
        self.capacity = capacity
        self.victimsPerRound = victimsPerRound
        times = .allocate(capacity: max(1, 2 * capacity))
        victims = .allocate(capacity: max(1, capacity * victimsPerRound))
        victimCounts = .allocate(capacity: max(1, capacity))
        // Pre-faulted: the first rounds do not take page faults while vcores are parked.
        times.initialize(repeating: 0, count: max(1, 2 * capacity))
        victims.initialize(repeating: 0, count: max(1, capacity * victimsPerRound))
        victimCounts.initialize(repeating: 0, count: max(1, capacity))
    }

    func deallocate() {
        times.deallocate()
        victims.deallocate()
        victimCounts.deallocate()
    }

    /// Records one round (the controller's thread only). Allocates nothing.
    func append(victims list: UnsafeMutablePointer<VcoreID>, count: Int, preempted: UInt64, restored: UInt64) {
        let index = written.load(ordering: .relaxed)
        guard index < capacity else {
            droppedCount.wrappingAdd(1, ordering: .relaxed)
            return
        }
        let n = min(count, victimsPerRound)
        for i in 0..<n { victims[index * victimsPerRound + i] = list[i] }
        victimCounts[index] = n
        times[2 * index] = preempted
        times[2 * index + 1] = restored
        written.store(index + 1, ordering: .releasing)
    }

    var rounds: [PreemptionRound] {
        let n = written.load(ordering: .acquiring)
        return (0..<n).map { index in
            PreemptionRound(victims: Array(UnsafeBufferPointer(start: victims + index * victimsPerRound,
                                                               count: victimCounts[index])),
                            preemptedNanos: times[2 * index], restoredNanos: times[2 * index + 1])
        }
    }

    var dropped: Int { droppedCount.load(ordering: .relaxed) }
}
