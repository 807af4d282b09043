import Platform
import BenchKit
import CPlatform
import CReference
import Synchronization

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

/// Runs one sampler per CPU, started together on a shared TSC instant.
public enum FTQSession {
    /// Measures `configuration` and returns each sampler's record plus the
    /// TSC instant the first quantum began. `onThreadReady` runs on each pinned
    /// sampler thread before it starts (to raise it to SCHED_FIFO and record
    /// what it got); `whileRunning` is called on the coordinating thread about
    /// five times a second with the fraction done.
    public static func run(_ configuration: FTQConfiguration, clock: TSCClock,
                           onThreadReady: @escaping @Sendable (_ thread: Int, _ cpu: Int) -> Void = { _, _ in },
                           whileRunning: (Double) -> Void = { _ in }) throws -> (records: [SamplerRecord], firstStart: UInt64) {
        let quantumTicks = max(1, clock.ticks(nanoseconds: configuration.quantumNs))
        let unitsPerSample = configuration.mode == .fwq ? fwqUnits(forTicks: quantumTicks) : 0
        let records = configuration.cpus.enumerated().map {
            SamplerRecord(thread: $0.offset, cpu: $0.element, capacity: configuration.samples)
        }

        // Keep the coordinator off the measured CPUs when there is anywhere else to go.
        let allowed = try Affinity.allowedCPUs()
        let elsewhere = CPUSet(allowed.cpus.filter { !configuration.cpus.contains($0) })
        if !elsewhere.isEmpty { try Affinity.set(elsewhere) }
        defer { if !elsewhere.isEmpty { try? Affinity.set(allowed) } }

        let ready = Atomic<Int>(0)
        let go = Atomic<UInt64>(0)
        let mode = configuration.mode, engine = configuration.engine
        let threads = try records.map { record in
            try PinnedThread.start(cpu: record.cpu) { [unowned(unsafe) record] in
                onThreadReady(record.thread, record.cpu)
                ready.add(1, ordering: .releasing)
                var firstStart = go.load(ordering: .acquiring)
                while firstStart == 0 { kb_pause(); firstStart = go.load(ordering: .acquiring) }
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
        }
        while ready.load(ordering: .acquiring) < threads.count { sleepNanoseconds(100_000) }
        // Start a millisecond from now so every sampler is spinning at the line.
        let firstStart = kb_rdtsc() &+ clock.ticks(nanoseconds: 1e6)
        go.store(firstStart, ordering: .releasing)

        let totalTicks = Double(quantumTicks) * Double(configuration.samples)
        while !StopRequest.isRequested {
            let elapsed = Double(kb_rdtsc() &- firstStart)
            if elapsed >= totalTicks { break }
            whileRunning(elapsed / totalTicks)
            sleepNanoseconds(min(200_000_000, Int64(clock.nanoseconds(max(0, totalTicks - elapsed))) + 1_000_000))
        }
        for thread in threads { thread.join() }
        return (records, firstStart)
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
