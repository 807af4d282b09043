import Platform
import BenchKit
import CPlatform
import CReference

/// The samples one sampler thread recorded: quantum starts (ticks) and work
/// counts (FTQ) or durations in ticks (FWQ). Allocated and pre-faulted before
/// the run for every sample it may take, so memory does not grow while it runs.
public final class SamplerRecord: @unchecked Sendable {
    public let thread: Int
    public let cpu: Int
    public let starts: SampleBuffer<UInt64>
    /// Work units per quantum (FTQ) or ticks per sample (FWQ).
    public let values: SampleBuffer<UInt64>
    /// Samples actually recorded (set by the sampler thread before it exits).
    public internal(set) var count = 0

    init(thread: Int, cpu: Int, capacity: Int) {
        self.thread = thread
        self.cpu = cpu
        starts = SampleBuffer(capacity: capacity)
        values = SampleBuffer(capacity: capacity)
    }
}

/// What a session measured: each sampler's record, the TSC instant the first
/// quantum began, and what each sampler thread got from the scheduler.
public struct FTQSessionResult: @unchecked Sendable {
    public let records: [SamplerRecord]
    public let firstStart: UInt64
    /// Per sampler, in `records` order.
    public let scheduling: [MemberScheduling]
    /// Samplers that never returned (their records are incomplete).
    public let abandoned: [Int]
    /// The TSC tied to CLOCK_REALTIME just before the release: names
    /// `firstStart` on the wall clock ranks share.
    public let anchor: RealtimeAnchor
}

/// Runs one sampler per CPU, a thread team started together on a shared TSC
/// start tick.
public enum FTQSession {
    /// How far ahead of the release the first quantum starts: the members
    /// wake, reach their CPUs and line up on the TSC within it (see
    /// `StartLine`: a member nobody woke finds the start within 1 ms).
    public static let startLeadNs = 3e6

    /// Measures `configuration`. With `fifoPriority` every sampler asks for
    /// SCHED_FIFO on its own thread (refusal is reported, not fatal);
    /// `whileRunning` is called on the coordinating thread about five times a
    /// second with the fraction done.
    public static func run(_ configuration: FTQConfiguration, clock: TSCClock, fifoPriority: Int? = nil,
                           startAtRealtimeNs: Int64? = nil, joinTimeout: Duration = .seconds(10),
                           whileRunning: (Double) -> Void = { _ in }) throws -> FTQSessionResult {
        let quantumTicks = max(1, clock.ticks(nanoseconds: configuration.quantumNs))
        let unitsPerSample = configuration.mode == .fwq ? fwqUnits(forTicks: quantumTicks) : 0
        let team = ThreadTeam(cpus: configuration.cpus,
                              scheduling: fifoPriority.map { .fifo(priority: $0, required: false) } ?? .inherit) {
            SamplerRecord(thread: $0, cpu: $1, capacity: configuration.samples)
        }
        let coordinator = try CoordinatorAffinity(avoiding: configuration.cpus)
        let mode = configuration.mode, engine = configuration.engine
        try team.launch { member, record in
            // The loops wait for the start tick themselves, on their CPU.
            let firstStart = member.startTick
            switch mode {
            case .ftq where engine == .c:
                record.count = kb_reference_ftq(
                    record.starts.base, record.values.base, record.values.capacity,
                    firstStart, quantumTicks)
            case .ftq:
                record.count = runFixedTimeQuanta(
                    starts: record.starts.base, work: record.values.base, capacity: record.values.capacity,
                    firstStart: firstStart, quantumTicks: quantumTicks)
            case .fwq:
                record.count = runFixedWorkQuanta(
                    starts: record.starts.base, durations: record.values.base, capacity: record.values.capacity,
                    firstStart: firstStart, unitsPerSample: unitsPerSample)
            }
        }
        let (firstStart, anchor) = release(team, at: startAtRealtimeNs, clock: clock)

        let totalTicks = Double(quantumTicks) * Double(configuration.samples)
        while !StopRequest.isRequested {
            let elapsed = Double(kb_rdtsc() &- firstStart)
            if elapsed >= totalTicks { break }
            whileRunning(elapsed / totalTicks)
            sleepNanoseconds(min(200_000_000, Int64(clock.nanoseconds(max(0, totalTicks - elapsed))) + 1_000_000))
        }
        // Samplers end by themselves (their samples taken, or Ctrl-C seen
        // within a quantum); the bound only keeps a starved one from hanging us.
        let joined = team.join(timeout: joinTimeout)
        _ = consume coordinator
        return FTQSessionResult(records: team.workspaces, firstStart: firstStart,
                                scheduling: team.memberScheduling, abandoned: joined.abandoned, anchor: anchor)
    }

    /// Releases a launched team: at once (`startLeadNs` ahead), or on the
    /// wall-clock instant `startAtRealtimeNs`, slept towards on the
    /// coordinator (the members sleep too) and converted to a TSC tick only
    /// `startLeadNs` before it, so the conversion does not drift. An instant
    /// already past starts at once. Returns the start tick and the anchor.
    public static func release<Workspace>(_ team: ThreadTeam<Workspace>, at startAtRealtimeNs: Int64?,
                                          clock: TSCClock) -> (UInt64, RealtimeAnchor) {
        if let target = startAtRealtimeNs {
            while !StopRequest.isRequested {
                let remaining = target - RealtimeAnchor.nowNs() - Int64(startLeadNs)
                if remaining <= 0 { break }
                sleepNanoseconds(min(remaining, 200_000_000))
            }
            let anchor = RealtimeAnchor(clock: clock)
            let tick = anchor.tick(atRealtimeNs: target)
            let now = kb_rdtsc()
            let lead = tick > now ? tick - now : clock.ticks(nanoseconds: startLeadNs)
            return (team.release(leadTicks: lead), anchor)
        }
        let anchor = RealtimeAnchor(clock: clock)
        return (team.release(leadTicks: clock.ticks(nanoseconds: startLeadNs)), anchor)
    }

    /// The number of FWQ work units that take about `ticks` on this CPU: the
    /// fastest of several timed trial runs sets the rate.
    static func fwqUnits(forTicks ticks: UInt64) -> UInt64 {
        let trialUnits: UInt64 = 100_000
        var best = UInt64.max
        let starts = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        let durations = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        defer { starts.deallocate(); durations.deallocate() }
        for _ in 0..<5 {
            _ = runFixedWorkQuanta(starts: starts, durations: durations, capacity: 1, firstStart: 0,
                                   unitsPerSample: trialUnits)
            best = min(best, durations.pointee)
        }
        return max(1, UInt64(Double(ticks) / (Double(best) / Double(trialUnits))))
    }
}
