import Platform
import BenchKit
import CCluster
import CPlatform
import RunFormat

/// The steps one rank of `ftq --mode bsp` took: per step the TSC ticks at its
/// begin, at the end of its work and at the barrier's exit.
public final class BSPRecord: @unchecked Sendable {
    public let cpu: Int
    public let begins: SampleBuffer<UInt64>
    public let computed: SampleBuffer<UInt64>
    public let released: SampleBuffer<UInt64>
    public internal(set) var count = 0
    /// The barrier's negative errno when it failed mid-run, else 0.
    public internal(set) var barrierError: Int32 = 0

    init(cpu: Int, capacity: Int) {
        self.cpu = cpu
        begins = SampleBuffer(capacity: capacity)
        computed = SampleBuffer(capacity: capacity)
        released = SampleBuffer(capacity: capacity)
    }

    /// The steps as bsp.csv rows, in ns from `firstStart`.
    public func rows(firstStart: UInt64, clock: TSCClock) -> [BSPStepsFile.Row] {
        (0..<count).map { i in
            BSPStepsFile.Row(step: i,
                             startNs: Int64(clock.nanoseconds(Double(Int64(bitPattern: begins.base[i] &- firstStart))).rounded()),
                             computeNs: Int64(clock.nanoseconds(computed.base[i] &- begins.base[i]).rounded()),
                             stepNs: Int64(clock.nanoseconds(released.base[i] &- begins.base[i]).rounded()))
        }
    }
}

/// What a bulk-synchronous session measured on this rank.
public struct BSPSessionResult: @unchecked Sendable {
    public let record: BSPRecord
    public let firstStart: UInt64
    public let scheduling: MemberScheduling
    public let abandoned: Bool
    public let anchor: RealtimeAnchor
}

/// A bulk-synchronous job in miniature, to check the noise model against: each
/// step computes a fixed amount of work (FWQ's unit, sized by rank 0 to the
/// quantum on its CPU and passed to all), then meets every rank at a barrier.
/// One pinned thread per rank runs the C loop (`kb_bsp_run`), which calls the
/// barrier directly: MPI or shared memory, never a Swift closure.
public enum BSPSession {
    /// Fixed work units that take about `quantumNs` here: the fastest of
    /// several timed runs of the loop's own work sets the rate.
    public static func unitsPerStep(quantumNs: Double, clock: TSCClock) -> UInt64 {
        let trialUnits: UInt64 = 100_000
        let best = (0..<5).map { _ in kb_bsp_work_ticks(trialUnits) }.min() ?? 1
        let ticks = Double(max(1, clock.ticks(nanoseconds: quantumNs)))
        return max(1, UInt64(ticks / (Double(max(1, best)) / Double(trialUnits))))
    }

    public static func run(cpu: Int, steps: Int, unitsPerStep: UInt64, barrier: RankBarrier, clock: TSCClock,
                           fifoPriority: Int?, startAtRealtimeNs: Int64?, expectedSeconds: Double,
                           whileRunning: (Double) -> Void = { _ in }) throws -> BSPSessionResult {
        let team = ThreadTeam(cpus: [cpu],
                              scheduling: fifoPriority.map { .fifo(priority: $0, required: false) } ?? .inherit) { _, cpu in
            BSPRecord(cpu: cpu, capacity: steps)
        }
        let coordinator = try CoordinatorAffinity(avoiding: [cpu])

        try team.launch { member, record in
            var error: Int32 = 0
            record.count = kb_bsp_run(record.begins.base, record.computed.base, record.released.base, steps,
                                      member.startTick, unitsPerStep, barrier.raw, &error)
            record.barrierError = error
        }
        let (firstStart, anchor) = FTQSession.release(team, at: startAtRealtimeNs, clock: clock)
        let begun = monotonicNanos()
        while team.finishedCount < 1 {
            let elapsed = Double(monotonicNanos() &- begun) / 1e9
            whileRunning(min(1, elapsed / max(expectedSeconds, 1e-3)))
            sleepNanoseconds(50_000_000)
        }
        // The loop returns by itself: its steps done, a stop every rank agreed
        // on, or a barrier that timed out.
        let joined = team.join(timeout: .seconds(10))
        _ = consume coordinator
        return BSPSessionResult(record: team.workspaces[0], firstStart: firstStart,
                                scheduling: team.memberScheduling[0], abandoned: !joined.abandoned.isEmpty,
                                anchor: anchor)
    }
}
