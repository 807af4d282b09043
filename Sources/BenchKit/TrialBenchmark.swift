import Platform
import RunFormat

/// A benchmark that measures the cost of one operation by timing a batch of
/// them: it only says what it measures and runs a batch; `TrialRunner` owns the
/// warm-up, the trials, the statistics and the output row.
///
/// Implementations are structs and the runner is generic over them, so each
/// batch loop is specialized: no existential or dynamic dispatch is timed.
public protocol TrialBenchmark {
    var benchmark: String { get }
    var variant: String { get }
    var metric: String { get }
    /// Runs `iterations` operations and returns the elapsed TSC ticks
    /// (bracketed with `kb_rdtsc_begin`/`kb_rdtsc_end`).
    mutating func runBatch(iterations: Int) -> UInt64
}

/// Runs a `TrialBenchmark`: warm-up batches, then timed trials, each reported
/// as ns per operation with the timer read overhead removed.
public struct TrialRunner: Sendable {
    public var trials: Int
    public var iterations: Int
    public var warmupBatches: Int
    public var clock: TSCClock
    /// Ticks subtracted from each batch: the cost of the two timer reads.
    public var overheadTicks: UInt64

    public init(clock: TSCClock, overheadTicks: UInt64, trials: Int = 31, iterations: Int = 100_000,
                warmupBatches: Int = 3) {
        self.clock = clock
        self.overheadTicks = overheadTicks
        self.trials = trials
        self.iterations = iterations
        self.warmupBatches = warmupBatches
    }

    /// Measures `benchmark`; nil when a stop was requested before any trial.
    public func measure<B: TrialBenchmark>(_ benchmark: inout B, threads: Int = 1, param: String = "") -> Measurement? {
        for _ in 0..<warmupBatches { _ = benchmark.runBatch(iterations: iterations) }
        var perOperationNs: [Double] = []
        perOperationNs.reserveCapacity(trials)
        for _ in 0..<trials where !StopRequest.isRequested {
            perOperationNs.append(timeTrial(&benchmark))
        }
        return measurement(of: benchmark, trials: perOperationNs, threads: threads, param: param)
    }

    /// One timed batch of `benchmark`, in ns per operation, timer overhead removed.
    @inline(__always)
    func timeTrial<B: TrialBenchmark>(_ benchmark: inout B) -> Double {
        let ticks = benchmark.runBatch(iterations: iterations)
        let net = ticks > overheadTicks ? ticks - overheadTicks : 0
        return clock.nanoseconds(net) / Double(iterations)
    }

    /// The row for `benchmark` from its per-operation trials; nil without trials.
    public func measurement<B: TrialBenchmark>(of benchmark: B, trials perOperationNs: [Double], threads: Int,
                                        param: String) -> Measurement? {
        guard let statistics = SampleStatistics(perOperationNs) else { return nil }
        return Measurement(benchmark: benchmark.benchmark, variant: benchmark.variant, threads: threads,
                           param: param.isEmpty ? "iterations=\(iterations)" : param,
                           metric: benchmark.metric, unit: "ns", lowerIsBetter: true,
                           statistics: statistics, trials: perOperationNs)
    }
}
