// InterleavedTrials: several trial benchmarks measured round by round, so
// their trials can be divided pairwise.

import RunFormat

/// Runs `batches` in rounds, one trial of each per round, so that the drift
/// of a busy VM hits every variant alike and trial i of one variant can be
/// divided by trial i of another. Round r starts at variant r mod k (a b c,
/// b c a, c a b, ...): no variant always runs first, or always right after
/// the same neighbour. Every batch has the same iterations and the same timer
/// reads (the runner's), so a ratio compares like with like.
public enum InterleavedTrials {
    /// Warm-up batches of each, then `runner.trials` rounds; one row per
    /// batch that measured at least one trial, in the order of `batches`.
    public static func run<B: TrialBenchmark>(_ batches: inout [B], runner: TrialRunner, param: String) -> [Measurement] {
        let trials = trials(&batches, runner: runner)
        return batches.indices.compactMap { index in
            runner.measurement(of: batches[index], trials: trials[index], threads: 1, param: param)
        }
    }

    /// Warm-up batches of each, then `runner.trials` rounds: each batch's
    /// trials (ns per operation), in the order of `batches`, for callers
    /// whose rows differ in threads or param (`TrialRunner.measurement`).
    public static func trials<B: TrialBenchmark>(_ batches: inout [B], runner: TrialRunner) -> [[Double]] {
        for index in batches.indices {
            for _ in 0..<runner.warmupBatches { _ = batches[index].runBatch(iterations: runner.iterations) }
        }
        var trials = Array(repeating: [Double](), count: batches.count)
        for round in 0..<runner.trials where !StopRequest.isRequested {
            for offset in batches.indices {
                let index = (round + offset) % batches.count
                trials[index].append(runner.timeTrial(&batches[index]))
            }
        }
        return trials
    }

    /// `row` divided trial by trial by `base` (same run, paired trials): a ratio row.
    public static func ratio(_ row: Measurement, to base: Measurement, name: String) -> Measurement? {
        let pairs = min(row.trials.count, base.trials.count)
        let ratios = (0..<pairs).compactMap { base.trials[$0] > 0 ? row.trials[$0] / base.trials[$0] : nil }
        guard let statistics = SampleStatistics(ratios) else { return nil }
        var result = row
        result.metric = "ratio_to_\(name)"
        result.unit = "ratio"
        result.statistics = statistics
        result.trials = ratios
        return result
    }
}
