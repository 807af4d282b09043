// A run's files: attempts.csv (every recorded attempt), throughput.csv (the
// timeline of Figs 6.4-6.6), preemptions.csv (the rounds), the summary rows,
// and the Table 6.1/6.2 row of a sweep.

import BenchKit


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
        if config.preempt != nil || config.nativePreempt != nil {
            let messages = Double(result.preemptionMessages)
            rows.append(row("preemption_messages", "count", lower: true,
                            SampleStatistics([messages])!, [messages]))
            let zero = Double(result.stalledWindows.count)
            rows.append(row("windows_without_acquisition", "count", lower: true, SampleStatistics([zero])!, [zero]))
        }
        return rows
    }

    /// Writes attempts.csv (ticks since the run's common start),
    /// throughput.csv and, when preempted, preemptions.csv.
    public static func write(_ result: LockRunResult, to directory: RunDirectory) throws {
        let writer = try directory.streamingWriter(for: "attempts.csv")
        try writer.write("thread,attempt,pre_ticks,acq_ticks,rel_ticks\n")
        let origin = result.originTicks
        for thread in result.threads {
            for i in 0..<thread.count {
                try writer.write(thread.thread); try writer.write(byte: UInt8(ascii: ","))
                try writer.write(i); try writer.write(byte: UInt8(ascii: ","))
                try writer.write(thread.pre(i) &- origin); try writer.write(byte: UInt8(ascii: ","))
                try writer.write(thread.acquired(i) &- origin); try writer.write(byte: UInt8(ascii: ","))
                try writer.write(thread.released(i) &- origin); try writer.write(byte: UInt8(ascii: "\n"))
            }
        }
        try writer.commit()
        try directory.write(throughputTable(result), as: "throughput.csv")
        if !result.rounds.isEmpty {
            var table = CSVTable(header: ["round", "start_ms", "end_ms", "victims"])
            for (index, round) in result.rounds.enumerated() {
                table.append([String(index), CSVFormat.number(round.startMs), CSVFormat.number(round.endMs),
                              round.victims.map(String.init).joined(separator: " ")])
            }
            try directory.write(table, as: "preemptions.csv")
        }
    }

    /// `time_ms,total_per_ms,thread0_per_ms,…,preempted`: acquisitions per ms
    /// in each window (window start in ms from the run's start); `preempted`
    /// is 1 when a preemption round overlaps the window.
    public static func throughputTable(_ result: LockRunResult) -> CSVTable {
        let threads = result.windows.count
        var table = CSVTable(header: ["time_ms", "total_per_ms"] + (0..<threads).map { "thread\($0)_per_ms" } + ["preempted"])
        let scale = 1e6 / result.windowNs
        let widthMs = result.windowNs / 1e6
        for (w, total) in result.totalPerWindow.enumerated() {
            let start = Double(w) * widthMs
            let preempted = result.rounds.contains { $0.startMs < start + widthMs && $0.endMs > start }
            table.append([CSVFormat.number((start * 1e6).rounded() / 1e6), CSVFormat.number(Double(total) * scale)]
                         + result.windows.map { CSVFormat.number(Double($0[w]) * scale) }
                         + [preempted ? "1" : "0"])
        }
        return table
    }

    /// Table 6.1/6.2's columns: acquisition latency in ticks.
    public static let tableHeader = ["lock", "threads", "n", "mean_ticks", "std_ticks", "min_ticks", "max_ticks",
                                     "p50_ticks", "p75_ticks", "p90_ticks", "p99_ticks", "p999_ticks"]

    public static func tableRow(lock: String, threads: Int, _ s: SampleStatistics) -> [String] {
        [lock, String(threads), String(s.count)]
            + [s.mean, s.std, s.min, s.max, s.p50, s.p75, s.p90, s.p99, s.p999].map(CSVFormat.number)
    }
}
