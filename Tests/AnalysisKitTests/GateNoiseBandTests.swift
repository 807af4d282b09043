import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

/// The gate's decision over several baseline runs: the run-to-run noise band,
/// metrics too noisy to gate, the family-wise correction, and bad baselines.
struct GateNoiseBandTests {
    /// Writes one run per centre under `directory/run-NN`, each with 5 trials
    /// scattered ±0.5% around it (a tight run that sits wherever the host put it).
    static func writeRuns(_ directory: String, centres: [Double], variant: String = "op",
                          cpuModels: [String]? = nil) throws {
        for (index, centre) in centres.enumerated() {
            try GateTests.writeRun(String(format: "%@/run-%02d", directory, index + 1),
                                   metrics: [(variant, true, GateTests.trials(centre, count: 5, offset: index))],
                                   cpuModel: cpuModels?[index] ?? "AMD EPYC")
        }
    }

    @Test func betweenRunShiftsWithinTheBandPassWhereOneRunWouldFail() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            // Five baseline runs whose medians scatter by ~5.5% (sd), as thread placement does.
            try Self.writeRuns(base, centres: [100, 108, 94, 104, 97])
            try GateTests.writeRun(now, metrics: [("op", true, GateTests.trials(110, count: 5, offset: 7))])
            let result = try GateJob(baseline: base, current: now).run()
            let verdict = try #require(result.verdicts.first)
            #expect(result.baselineRuns == 5)
            #expect(verdict.status == .withinNoise)
            #expect(verdict.baselineRuns == 5 && verdict.baselineTrials == 25)
            let band = try #require(verdict.noise)
            #expect(band.betweenRuns > 0.05 && band.betweenRuns < 0.06)
            #expect(band.width > 0.10 && band.width < 0.30)
            #expect(result.exitCode == GateJob.Exit.pass)
            // The same current run against the first baseline run alone: a
            // "regression" that is only run-to-run noise, and the gate says so.
            let single = try GateJob(baseline: base + "/run-01", current: now).run()
            #expect(single.verdicts.map(\.status) == [.regression])
            #expect(single.singleRunFallback)
            #expect(GateReport.text(single).contains("run-to-run noise is not accounted for"))
            #expect(!GateReport.text(result).contains("not accounted for"))
        }
    }

    @Test func aTenPercentShiftWithATightBandFails() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRuns(base, centres: [100, 100.5, 99.6, 100.2, 99.8])
            try GateTests.writeRun(now, metrics: [("op", true, GateTests.trials(110, count: 5, offset: 7))])
            let result = try GateJob(baseline: base, current: now).run()
            let verdict = try #require(result.verdicts.first)
            #expect(verdict.status == .regression)
            #expect((verdict.noise?.width ?? 1) < 0.05)
            // Both the rank test and the band's own test agree; the gate takes the larger p.
            #expect((verdict.runP ?? 1) < 1e-4 && verdict.p == max(verdict.runP ?? 1, RankSumTest.test(
                (0..<5).flatMap { i in GateTests.trials([100, 100.5, 99.6, 100.2, 99.8][i], count: 5, offset: i) },
                GateTests.trials(110, count: 5, offset: 7))?.p ?? 1))
            #expect(result.exitCode == GateJob.Exit.regression)
            // A wider band (more sigmas) than the shift turns it into noise.
            let wide = try GateJob(baseline: base, current: now, policy: GatePolicy(noiseSigmas: 40)).run()
            #expect(wide.verdicts.map(\.status) == [.withinNoise])
        }
    }

    @Test func runsGivenOneByOneAreTheSameAsADirectoryOfRuns() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRuns(base, centres: [100, 101, 99, 100.4])
            try GateTests.writeRun(now, metrics: [("op", true, GateTests.trials(103, count: 5))])
            let directory = try GateJob(baseline: base, current: now).run()
            let listed = try GateJob(baseline: (1...4).map { base + "/run-0\($0)" }, current: [now]).run()
            #expect(directory.verdicts == listed.verdicts)
            #expect(listed.baselineRuns == 4)
        }
    }

    @Test func tooNoisyMetricsAreNamedAndNeverFail() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRuns(base, centres: [50, 150, 80, 200, 100], variant: "c2c")
            try GateTests.writeRun(now, metrics: [("c2c", true, GateTests.trials(190, count: 5))])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.verdicts.map(\.status) == [.tooNoisy])
            // Even a doubling would be p ~ 0.2 against this spread with 4 degrees of freedom.
            #expect((result.verdicts.first?.noise?.p(change: 1) ?? 0) >= 0.05)
            #expect(result.exitCode == GateJob.Exit.pass)
            let text = GateReport.text(result)
            #expect(text.contains("too noisy to gate"))
            #expect(text.contains("ctxbench floor/c2c"))
            #expect(GateReport.markdown(result).contains("too noisy to gate"))
            #expect(GateReport.summaryLine(result).contains("1 too-noisy"))
        }
    }

    @Test func holmKeepsOneMarginalMetricAmongManyFromFailingTheGate() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            // 60 unchanged metrics and one 8% shift whose trials overlap (p ~ 0.01).
            let quiet = (0..<60).map { ("m\($0)", true, GateTests.trials(100, count: 10, offset: $0)) }
            let spread: [Double] = [100, 92, 108, 96, 104, 90, 110, 98, 102, 94]
            try GateTests.writeRun(base, metrics: quiet + [("marginal", true, spread)])
            try GateTests.writeRun(now, metrics: quiet + [("marginal", true, spread.map { $0 * 1.08 + 3 })])
            let uncorrected = try GateJob(baseline: base, current: now, policy: GatePolicy(correction: .none)).run()
            let marginal = try #require(uncorrected.verdicts.first { $0.key.variant == "marginal" })
            #expect(marginal.status == .regression)
            let p = try #require(marginal.p)
            #expect(p < 0.05 && p > 0.05 / 61)
            let holm = try GateJob(baseline: base, current: now).run()
            #expect(holm.family == 61)
            let corrected = try #require(holm.verdicts.first { $0.key.variant == "marginal" })
            #expect(corrected.status == .notSignificant)
            #expect(abs((corrected.adjustedP ?? 0) - min(1, p * 61)) < 1e-12)
            #expect(holm.exitCode == GateJob.Exit.pass)
        }
    }

    @Test func holmAdjustedValuesAreStepDownMonotoneAndCapped() {
        // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> monotone 0.06.
        let adjusted = HolmCorrection.adjusted([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        #expect(zip(adjusted, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(HolmCorrection.adjusted([0.5, 0.9], family: 10) == [1, 1])
        #expect(HolmCorrection.adjusted([.nan, 0.001]) == [1, 0.002])
        #expect(HolmCorrection.adjusted([]).isEmpty)
    }

    @Test func taronesFamilyLeavesOutWhatCannotReachTheLevel() {
        // 3 tests that can reach 1e-6 and 10 that cannot go below 0.01:
        // at m = 6, only the 3 can reach 0.05/6, so the family is 6, not 13.
        let smallest = [Double](repeating: 1e-6, count: 3) + [Double](repeating: 0.01, count: 10)
        #expect(HolmCorrection.familySize(smallestPossibleP: smallest, alpha: 0.05) == 6)
        #expect(HolmCorrection.familySize(smallestPossibleP: [0, 0, 0], alpha: 0.05) == 3)
        #expect(HolmCorrection.familySize(smallestPossibleP: [], alpha: 0.05) == 0)
    }

    @Test func metricsThatCannotReachTheCorrectedLevelAreTooFewTrials() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            // Ten 10-trial metrics, and one with 4 trials a side (least p 2/70 = 0.029):
            // fine alone at 0.05, never at 0.05/10.
            let tested = (0..<10).map { ("m\($0)", true, GateTests.trials(100, count: 10, offset: $0)) }
            try GateTests.writeRun(base, metrics: tested + [("four", true, [100, 101, 102, 103])])
            try GateTests.writeRun(now, metrics: tested + [("four", true, [200, 201, 202, 203])])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.verdicts.first { $0.key.variant == "four" }?.status == .tooFewTrials)
            #expect(result.family == 10)
            let alone = try GateJob(baseline: base, current: now, policy: GatePolicy(correction: .none)).run()
            #expect(alone.verdicts.first { $0.key.variant == "four" }?.status == .regression)
        }
    }

    @Test func aBaselineWithoutRunsIsBadInput() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try GateTests.writeRun(now, metrics: [("op", true, GateTests.trials(100))])
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            try "recorded on ...".write(toFile: base + "/README", atomically: true, encoding: .utf8)
            #expect(throws: InputFileError.self) { try GateJob(baseline: base, current: now).run() }
            // run-* directories that hold no run: named, not skipped.
            try FileManager.default.createDirectory(atPath: base + "/run-01", withIntermediateDirectories: true)
            let error = #expect(throws: InputFileError.self) { try GateJob(baseline: base, current: now).run() }
            #expect(error?.description.contains("run-01") == true)
            #expect(throws: InputFileError.self) { try GateJob(baseline: [], current: [now]).run() }
        }
    }

    @Test func aBaselineOfRunsFromDifferentEnvironmentsIsRefused() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRuns(base, centres: [100, 100, 100], cpuModels: ["AMD EPYC", "AMD EPYC", "Intel Xeon"])
            try GateTests.writeRun(now, metrics: [("op", true, GateTests.trials(100, count: 5))])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.refused)
            #expect(result.exitCode == GateJob.Exit.environmentMismatch)
            let text = result.environmentDifferences.joined(separator: "\n")
            #expect(text.contains("run-03"))
            #expect(text.contains("Intel Xeon"))
            let allowed = try GateJob(baseline: base, current: now, allowEnvironmentMismatch: true).run()
            #expect(!allowed.refused && allowed.verdicts.count == 1)
        }
    }

    @Test func theBandsPIsStudentsTWithKMinusOneDegreesOfFreedom() {
        // t = 2.776 is the two-sided 5% point of t with 4 degrees of freedom, 2.262 with 9.
        let five = NoiseBand(betweenRuns: 0.01, withinRun: 0, width: 0.04, scale: 0.01, runs: 5)
        #expect(abs(five.p(change: 0.02776) - 0.05) < 1e-3)
        #expect(abs(five.p(change: -0.02776) - 0.05) < 1e-3)
        let ten = NoiseBand(betweenRuns: 0.01, withinRun: 0, width: 0.04, scale: 0.01, runs: 10)
        #expect(abs(ten.p(change: 0.02262) - 0.05) < 1e-3)
        // More runs, the same change: smaller p (the band narrows with K).
        #expect(ten.p(change: 0.05) < five.p(change: 0.05))
        #expect(five.p(change: 0) == 1)
        #expect(five.p(change: .nan) == 0)
        let flat = NoiseBand(betweenRuns: 0, withinRun: 0, width: 0, scale: 0, runs: 3)
        #expect(flat.p(change: 0) == 1 && flat.p(change: 0.01) == 0)
    }

    @Test func noBandFromTooFewRunsOrAZeroMedian() {
        #expect(NoiseBand.derive(baselineRuns: [[1, 2], [1, 2]], currentRuns: 1, currentTrialsPerRun: 2, sigmas: 4) == nil)
        #expect(NoiseBand.derive(baselineRuns: [[0], [0], [0]], currentRuns: 1, currentTrialsPerRun: 1, sigmas: 4) == nil)
        #expect(NoiseBand.derive(baselineRuns: [[.nan], [1], [1]], currentRuns: 1, currentTrialsPerRun: 1, sigmas: 4) == nil)
        let band = NoiseBand.derive(baselineRuns: [[10], [11], [9]], currentRuns: 1, currentTrialsPerRun: 1, sigmas: 2)
        // sd of 9, 10, 11 is 1: 10% of the median; times 2 sigmas times sqrt(1/3 + 1).
        #expect(abs((band?.width ?? 0) - 2 * 0.1 * (4.0 / 3).squareRoot()) < 1e-12)
    }
}
