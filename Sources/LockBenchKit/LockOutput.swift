// A run's files: attempts.csv (every recorded attempt), throughput.csv (the
// timeline of Figs 6.4-6.6), preemptions.csv (the rounds), the summary rows,
// and the Table 6.1/6.2 row of a sweep.

import BenchKit
import RunFormat


public enum LockOutput {
    /// Acquisition latency of every recorded attempt, acquired − pre − the
    /// timer overhead (clamped at 0), sorted, in ticks.
    public static func acquireLatencyTicks(_ result: LockRunResult, overheadTicks: UInt64) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(result.threads.reduce(0) { $0 + $1.count })
        for thread in result.threads {
            for i in 0..<thread.count {
                let raw = thread.acquired(i) &- thread.pre(i)
                values.append(Double(raw > overheadTicks ? raw - overheadTicks : 0))
            }
        }
        values.sort()
        return values
    }

    /// Hold time (released − acquired: critical section plus unlock), sorted, in ticks.
    static func holdTicks(_ result: LockRunResult) -> [Double] {
        var values: [Double] = []
        for thread in result.threads {
            for i in 0..<thread.count { values.append(Double(thread.released(i) &- thread.acquired(i))) }
        }
        values.sort()
        return values
    }

    /// The summary rows of one run: acquisition latency in ticks and ns (every
    /// quantile of Tables 6.1/6.2), hold time, throughput per ms window, and
    /// the preemption message count. Trials are per-thread medians (latency)
    /// or per-window values (throughput).
    public static func measurements(_ result: LockRunResult, clock: TSCClock, overheadTicks: UInt64) -> [Measurement] {
        let config = result.configuration
        let variant = config.lock.rawValue, threads = config.threads, param = config.paramDescription
        func row(_ metric: String, _ unit: String, lower: Bool, _ stats: SampleStatistics, _ trials: [Double]) -> Measurement {
            Measurement(benchmark: "lockbench", variant: variant, threads: threads, param: param, metric: metric,
                        unit: unit, lowerIsBetter: lower, statistics: stats, trials: trials)
        }
        var rows: [Measurement] = []
        let latency = acquireLatencyTicks(result, overheadTicks: overheadTicks)
        if !latency.isEmpty {
            let stats = SampleStatistics(sorted: latency)
            let perThread = result.threads.compactMap { thread -> Double? in
                guard thread.count > 0 else { return nil }
                let sorted = (0..<thread.count).map { Double(thread.acquired($0) &- thread.pre($0)) }.sorted()
                return max(0, SampleStatistics.quantile(sorted, 0.5) - Double(overheadTicks))
            }
            rows.append(row("acquire_latency", "ticks", lower: true, stats, perThread))
            rows.append(row("acquire_latency", "ns", lower: true, stats.scaled(by: 1 / clock.ticksPerNs),
                            perThread.map { $0 / clock.ticksPerNs }))
            rows.append(row("hold_time", "ticks", lower: true, SampleStatistics(sorted: holdTicks(result)), []))
        }
        let throughput = result.throughputPerMs
        if let stats = SampleStatistics(throughput) {
            rows.append(row("throughput", "acquisitions_per_ms", lower: false, stats, throughput))
        }
        if config.isEmulated || config.nativePreempt != nil {
            let messages = Double(result.preemptionMessages)
            rows.append(row("preemption_messages", "count", lower: true,
                            SampleStatistics([messages])!, [messages]))
            // The storm table's columns (thesis §6.2: 20,893 PDRO vs 420 PDRN
            // messages): messages per second of the measured span, and what
            // they are made of (kernel preemptions, the scheduler's share of
            // them, changes of vcore made inside the lock paths).
            let seconds = result.measuredNs / 1e9
            if seconds > 0 {
                let rate = messages / seconds
                rows.append(row("preemption_message_rate", "per_s", lower: true, SampleStatistics([rate])!, [rate]))
            }
            for (metric, value) in [("kernel_preemptions", result.preemptionCount),
                                    ("vcore_changes", result.changeCount),
                                    ("one_way_changes", result.oneWayChangeCount),
                                    ("rotation_preemptions", result.rotationPreemptionCount)]
            where metric != "rotation_preemptions" || config.isScheduled {
                let count = Double(value)
                rows.append(row(metric, "count", lower: true, SampleStatistics([count])!, [count]))
            }
            let zero = Double(result.stalledWindows.count)
            rows.append(row("windows_without_acquisition", "count", lower: true, SampleStatistics([zero])!, [zero]))
        }
        if !result.rounds.isEmpty {
            // Inside the rounds is the lock's recovery; outside them the host's.
            let recovery = PreemptionRecovery(result, ticksPerNs: clock.ticksPerNs)
            // How much the host let every vcore run at once where nothing
            // was preempted: a low share means the machine, not the lock,
            // decided the run.
            for (metric, value, lower) in [
                ("windows_without_acquisition_in_rounds", recovery.stalledWindowsInRounds, true),
                ("windows_without_acquisition_outside_rounds", recovery.stalledWindowsOutsideRounds, true),
                ("rounds_with_stalled_window", recovery.stalledRounds, true),
                ("preemption_rounds", recovery.rounds, false),
                ("windows_outside_rounds", recovery.windowsOutsideRounds, false),
                ("windows_every_thread_acquired_outside_rounds", recovery.concurrentWindowsOutsideRounds, false),
            ] {
                let count = Double(value)
                rows.append(row(metric, "count", lower: lower, SampleStatistics([count])!, [count]))
            }
            if let stats = SampleStatistics(recovery.recoveryNs) {
                rows.append(row("recovery_time", "ns", lower: true, stats, recovery.recoveryNs))
            }
        }
        return rows
    }

    /// Writes attempts.csv (ticks since the run's common start),
    /// throughput.csv and, when preempted, preemptions.csv.
    public static func write(_ result: LockRunResult, to directory: RunDirectory) throws {
        let attempts = try AttemptsFile.Writer(path: directory.file(AttemptsFile.name))
        let origin = result.originTicks
        for thread in result.threads {
            for i in 0..<thread.count {
                try attempts.append(thread: thread.thread, attempt: i, preTicks: thread.pre(i) &- origin,
                                    acquiredTicks: thread.acquired(i) &- origin,
                                    releasedTicks: thread.released(i) &- origin)
            }
        }
        try attempts.commit()
        try ThroughputFile.write(throughputRows(result), threads: result.windows.count,
                                 to: directory.file(ThroughputFile.name))
        if !result.rounds.isEmpty {
            let rounds = result.rounds.enumerated().map { index, round in
                PreemptionsFile.Row(round: index, startMs: round.startMs, endMs: round.endMs, victims: round.victims)
            }
            try PreemptionsFile.write(rounds, to: directory.file(PreemptionsFile.name))
        }
    }

    /// Acquisitions per ms in each window (window start in ms from the run's
    /// start); `preempted` when a preemption round overlaps the window.
    public static func throughputRows(_ result: LockRunResult) -> [ThroughputFile.Row] {
        let scale = 1e6 / result.windowNs
        let widthMs = result.windowNs / 1e6
        return result.totalPerWindow.enumerated().map { w, total in
            let start = Double(w) * widthMs
            return ThroughputFile.Row(
                timeMs: (start * 1e6).rounded() / 1e6, totalPerMs: Double(total) * scale,
                perThreadPerMs: result.windows.map { Double($0[w]) * scale },
                preempted: result.rounds.contains { $0.startMs < start + widthMs && $0.endMs > start })
        }
    }

    /// throughput.csv as a table (`ThroughputFile`).
    public static func throughputTable(_ result: LockRunResult) -> CSVTable {
        ThroughputFile.table(throughputRows(result), threads: result.windows.count)
    }

    /// Table 6.1/6.2's columns: acquisition latency in ticks (`LockTableFile`).
    public static var tableHeader: [String] { LockTableFile.header }

    public static func tableRow(lock: String, threads: Int, _ s: SampleStatistics) -> [String] {
        LockTableFile.cells(LockTableFile.Row(lock: lock, threads: threads, statistics: s))
    }
}
