// The targets' verdicts: the median's order-statistic interval has the
// coverage it claims, and a verdict says met, missed or undecided as the
// interval lies against the bound.

import Glibc
import RunFormat
import Testing
@testable import LockBenchKit

extension LockBenchSuite {
    @Suite("Target verdicts")
    struct TargetVerdictTests {
        @Test("the sign-test interval's ranks match the binomial table")
        func ranks() {
            #expect(MedianInterval.indices(count: 5) == nil, "5 samples cannot give 95%")
            #expect(MedianInterval.indices(count: 6)! == (0, 5))
            #expect(MedianInterval.indices(count: 21)! == (5, 15))    // ranks 6 and 16
            #expect(MedianInterval.indices(count: 101)! == (40, 60))  // ranks 41 and 61
            #expect(MedianInterval.indices(count: 0) == nil)
            #expect(MedianInterval.indices(count: 21, level: .nan) == nil)
        }

        @Test("the interval covers the true median at least 95% of the time, and not always")
        func coverage() {
            // Skewed samples (exponential, median ln 2), 21 at a time, seeded.
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            func uniform() -> Double {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Double(state >> 11) + 0.5) / Double(1 << 53)
            }
            let truth = 0.6931471805599453
            var covered = 0
            let runs = 4000
            for _ in 0..<runs {
                let samples = (0..<21).map { _ in -log(uniform()) }
                let interval = MedianInterval.of(samples)!
                if interval.low <= truth && truth <= interval.high { covered += 1 }
            }
            let rate = Double(covered) / Double(runs)
            // Exact coverage at n = 21 is 1 - 2 P(X <= 5) = 0.9734.
            #expect(rate > 0.96 && rate < 0.985, "coverage \(rate)")
        }

        @Test("met, missed and undecided")
        func outcomes() {
            let tight = (0..<21).map { 1.0 + Double($0) * 0.001 }          // 1.000-1.020
            #expect(TargetVerdict(name: "x", param: "", bound: 1.03, ratios: tight)?.outcome == .met)
            #expect(TargetVerdict(name: "x", param: "", bound: 0.99, ratios: tight)?.outcome == .missed)
            #expect(TargetVerdict(name: "x", param: "", bound: 1.01, ratios: tight)?.outcome == .undecided)
            let verdict = TargetVerdict(name: "x", param: "", bound: 1.03, ratios: tight)!
            #expect(verdict.median == 1.010 && verdict.low == 1.005 && verdict.high == 1.015)
            #expect(TargetVerdict(name: "x", param: "", bound: 1.03, ratios: [1, 1, 1])?.outcome == .tooFew, "no 95% interval from 3")
            #expect(TargetVerdict(name: "x", param: "", bound: 1.03, ratios: [.nan]) == nil)
            #expect(TargetVerdict(name: "x", param: "", bound: 1.03, ratios: tight + [.nan, .infinity])?.count == 21,
                    "non-finite ratios (a zero-time trial) are left out")
        }

        @Test("judge finds the issue's targets among a run's rows")
        func judge() throws {
            let trials = (0..<21).map { 1.0 + Double($0) * 0.001 }
            let statistics = try #require(SampleStatistics(trials))
            func row(_ benchmark: String, _ variant: String, _ metric: String) -> Measurement {
                Measurement(benchmark: benchmark, variant: variant, threads: 1, param: "p", metric: metric, unit: "ratio",
                            lowerIsBetter: true, statistics: statistics, trials: trials)
            }
            let rows = [row("dynamic_overhead", "dynamic-disabled", "ratio_to_none"), row("dynamic_overhead", "spin", "ratio_to_none"),
                        row("eventlog_overhead", "b", "ratio_to_a"), row("eventlog_overhead", "c", "ratio_to_a")]
            let verdicts = TargetVerdict.judge(rows)
            #expect(verdicts.map(\.name) == ["dynamic_overhead dynamic-disabled/none", "eventlog_overhead b/a"])
            #expect(verdicts.allSatisfy { $0.outcome == .met && $0.bound == 1.03 })
        }
    }
}
