// Rows derived from measured rows: the same figure in ticks, and one figure
// as a multiple of another (ctxbench's targets and Uhlig's comparison are
// ratios measured in one run).

import BenchKit
import RunFormat

extension Measurement {
    /// The same measurement in TSC ticks (summary.csv carries both units).
    func inTicks(_ clock: TSCClock) -> Measurement {
        var ticks = self
        ticks.unit = "ticks"
        ticks.statistics = statistics.scaled(by: clock.ticksPerNs)
        ticks.trials = trials.map { $0 * clock.ticksPerNs }
        return ticks
    }

    /// `numerator / denominator` trial by trial (trial i over trial i, as
    /// many as both have), so the ratio keeps the spread of its trials: a row
    /// of `benchmark`, variant `ratio`, unit `ratio`. nil without a pair.
    static func ratio(_ numerator: Measurement, over denominator: Measurement, benchmark: String,
                      param: String, metric: String) -> Measurement? {
        let trials = zip(numerator.trials, denominator.trials).compactMap { $1 > 0 ? $0 / $1 : nil }
        guard let statistics = SampleStatistics(trials) else { return nil }
        return Measurement(benchmark: benchmark, variant: "ratio", threads: numerator.threads, param: param,
                           metric: metric, unit: "ratio", lowerIsBetter: true, statistics: statistics, trials: trials)
    }
}
