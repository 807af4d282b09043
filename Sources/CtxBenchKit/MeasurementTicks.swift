import BenchKit
import RunFormat

extension Measurement {
    /// This measurement (in ns) and the same in TSC ticks: every ctxbench
    /// figure is reported in both units, so it can be read against cycle
    /// counts of the papers as well as against time.
    func withTicks(_ clock: TSCClock) -> [Measurement] {
        var ticks = self
        ticks.unit = "ticks"
        ticks.statistics = statistics.scaled(by: clock.ticksPerNs)
        ticks.trials = trials.map { $0 * clock.ticksPerNs }
        return [self, ticks]
    }
}
