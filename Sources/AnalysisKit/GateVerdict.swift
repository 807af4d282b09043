import RunFormat

/// The gate's rule for one metric: a regression is a change of the median in
/// the worse direction beyond the threshold AND beyond the baseline's
/// run-to-run noise band, AND significant after the family-wise correction;
/// the same in the better direction is an improvement (reported, never failed).
public struct GatePolicy: Sendable, Equatable {
    /// Which significance test gives the p-values.
    public enum Test: String, Sendable, CaseIterable {
        /// Mann-Whitney U (`RankSumTest`): the default.
        case mannWhitney = "mann-whitney"
        /// Welch's t-test (`WelchTTest`): for comparison only.
        case welch
    }

    /// How the p-values of all metrics are corrected for their number.
    public enum Correction: String, Sendable, CaseIterable {
        /// Holm's step-down over Tarone's family (`HolmCorrection`): the default.
        case holm
        /// Each metric at alpha on its own (the old gate; benchstat's way).
        case none
    }

    /// Smallest change that counts, as a fraction of the baseline median (0.05 = 5%).
    public var threshold: Double
    /// Family-wise significance level: a difference is significant when its corrected p < alpha.
    public var alpha: Double
    public var test: Test
    public var correction: Correction
    /// Width of the noise band in standard deviations of a run's median (`NoiseBand`).
    public var noiseSigmas: Double

    public static let defaultThresholdPct = 5.0
    public static let defaultAlpha = 0.05
    public static let defaultNoiseSigmas = 4.0

    public init(threshold: Double = defaultThresholdPct / 100, alpha: Double = defaultAlpha,
                test: Test = .mannWhitney, correction: Correction = .holm, noiseSigmas: Double = defaultNoiseSigmas) {
        self.threshold = threshold
        self.alpha = alpha
        self.test = test
        self.correction = correction
        self.noiseSigmas = noiseSigmas
    }
}

/// What the gate says about one metric.
public struct GateVerdict: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Worse beyond the threshold and the noise band, and significant: fails the gate.
        case regression
        /// Better beyond the threshold and the noise band, and significant.
        case improvement
        /// Significant, but within the threshold.
        case withinThreshold = "within-threshold"
        /// Beyond the threshold, but within the baseline's run-to-run noise band.
        case withinNoise = "within-noise"
        /// Beyond the threshold and the band, but not significant.
        case notSignificant = "not-significant"
        /// No difference worth a word: neither significant nor beyond the threshold.
        case unchanged
        /// The baseline's runs scatter so much that even a doubling (or a
        /// halving) could not be significant: named, never gated.
        case tooNoisy = "too-noisy"
        /// Too few trials on a side for any difference to be significant at
        /// the (corrected) level.
        case tooFewTrials = "too-few-trials"
        /// Only in the baseline (a benchmark removed, or a run that failed).
        case onlyInBaseline = "only-in-baseline"
        /// Only in the current run (a new benchmark).
        case onlyInCurrent = "only-in-current"
    }

    public var key: MetricKey
    public var status: Status
    public var lowerIsBetter: Bool
    /// The median of the baseline's run medians (of its trials with one run).
    public var baselineMedian: Double?
    /// The same for the current side.
    public var currentMedian: Double?
    /// (current - baseline) / |baseline|; nil when the baseline median is 0 or unknown.
    public var change: Double?
    /// With two or more current runs, the change the gate decides on: that of
    /// the current run nearest the baseline when every run moved the same way,
    /// else 0. A regression must reproduce in every current run (`replicated`).
    public var replicatedChange: Double?
    /// The p-value the correction uses, uncorrected: the rank test's over all
    /// trials of each side, or with a noise band the larger of that and the
    /// band's (`runP`), so both must agree (an intersection-union test).
    public var p: Double?
    /// The noise band's p: the change read against the baseline's run-to-run spread.
    public var runP: Double?
    /// p after the family-wise correction (equal to `p` with `--correction none`).
    public var adjustedP: Double?
    /// The baseline's run-to-run noise band (nil with fewer than 3 baseline runs).
    public var noise: NoiseBand?
    public var baselineTrials: Int
    public var currentTrials: Int
    public var baselineRuns: Int
    public var currentRuns: Int
    /// Half the interquartile range of the current trials (for dashboards).
    public var currentHalfIQR: Double?
    /// The least p the test could give with these trial counts (Tarone's family).
    public var smallestPossibleP: Double = 1

    /// Measures one metric from both sides' per-trial values, one array per
    /// run. The status is left for `decide` once every metric's p is known
    /// (the correction needs them all); only metrics that cannot be tested
    /// get their final status here.
    public static func judge(key: MetricKey, lowerIsBetter: Bool, baseline: [[Double]]?, current: [[Double]]?,
                             policy: GatePolicy) -> GateVerdict {
        let bRuns = (baseline ?? []).map { $0.filter(\.isFinite) }.filter { !$0.isEmpty }
        let cRuns = (current ?? []).map { $0.filter(\.isFinite) }.filter { !$0.isEmpty }
        let b = bRuns.flatMap { $0 }, c = cRuns.flatMap { $0 }
        var verdict = GateVerdict(key: key, status: .unchanged, lowerIsBetter: lowerIsBetter,
                                  baselineMedian: centre(bRuns), currentMedian: centre(cRuns), change: nil, p: nil,
                                  runP: nil, adjustedP: nil, noise: nil, baselineTrials: b.count, currentTrials: c.count,
                                  baselineRuns: bRuns.count, currentRuns: cRuns.count, currentHalfIQR: halfIQR(c))
        guard baseline != nil else { verdict.status = .onlyInCurrent; return verdict }
        guard current != nil else { verdict.status = .onlyInBaseline; return verdict }
        if let bm = verdict.baselineMedian, let cm = verdict.currentMedian {
            verdict.change = bm != 0 ? (cm - bm) / abs(bm) : (cm == 0 ? 0 : nil)
            if bm != 0 { verdict.replicatedChange = replicated(cRuns.compactMap { median($0) }, baseline: bm) }
        }
        if !cRuns.isEmpty {
            // Replicated, each current run is read against the band of one run.
            let judgedRuns = verdict.replicatedChange == nil ? cRuns.count : 1
            verdict.noise = NoiseBand.derive(baselineRuns: bRuns, currentRuns: judgedRuns,
                                             currentTrialsPerRun: c.count / cRuns.count, sigmas: policy.noiseSigmas)
        }
        verdict.smallestPossibleP = switch policy.test {
        case .mannWhitney: b.count >= 2 && c.count >= 2 ? RankSumTest.smallestP(m: b.count, n: c.count) : 1
        case .welch: b.count >= 2 && c.count >= 2 ? 0 : 1
        }
        guard verdict.smallestPossibleP < policy.alpha else { verdict.status = .tooFewTrials; return verdict }
        verdict.p = switch policy.test {
        case .mannWhitney: RankSumTest.test(b, c)?.p
        case .welch: WelchTTest.p(b, c)
        }
        if let noise = verdict.noise, let rank = verdict.p {
            let runP = verdict.decidingChange.map { noise.p(change: $0) } ?? 0
            verdict.runP = runP
            verdict.p = max(rank, runP)
        }
        verdict.adjustedP = verdict.p
        return verdict
    }

    /// The final status of a tested metric, from its corrected p, the
    /// threshold and the noise band. `level` is the p a lone regression must
    /// reach (alpha over the family with Holm): a metric whose band cannot
    /// give that for a doubling is too noisy to gate.
    public mutating func decide(policy: GatePolicy, level: Double) {
        guard p != nil else { return }
        if let noise, noise.p(change: 1) >= level {
            status = .tooNoisy
            return
        }
        let significant = (adjustedP ?? 1) < policy.alpha
        let limit = max(policy.threshold, noise?.width ?? 0)
        // A zero baseline median: any significant move is beyond any limit.
        let worse: Bool, beyondThreshold: Bool, beyondLimit: Bool
        if let change = decidingChange {
            worse = lowerIsBetter ? change > 0 : change < 0
            beyondThreshold = abs(change) > policy.threshold
            beyondLimit = abs(change) > limit
        } else {
            let cm = currentMedian ?? 0
            worse = lowerIsBetter ? cm > 0 : cm < 0
            beyondThreshold = true
            beyondLimit = true
        }
        status = if !beyondThreshold {
            significant ? .withinThreshold : .unchanged
        } else if !beyondLimit {
            .withinNoise
        } else if significant {
            worse ? .regression : .improvement
        } else {
            .notSignificant
        }
    }

    /// The change the status is decided on: the replicated one with several current runs.
    public var decidingChange: Double? { replicatedChange ?? change }

    /// The replication rule over the current runs' medians: the change of the
    /// run nearest `baseline` when all moved the same way, 0 when they
    /// disagree; nil with fewer than two runs. Why: on a VM one disturbed run
    /// (the host's noise, a vCPU moved) shifts many metrics at once, by up to
    /// 5x, far beyond any band fitted to ten quiet runs; a code regression
    /// shows in every run, so asking a second run costs a real regression
    /// nothing. As an intersection-union test (each run must pass the band's
    /// test on its own) it keeps the level without any assumption linking the runs.
    static func replicated(_ medians: [Double], baseline: Double) -> Double? {
        guard medians.count >= 2, baseline != 0 else { return nil }
        let changes = medians.map { ($0 - baseline) / abs(baseline) }
        guard changes.allSatisfy({ $0 > 0 }) || changes.allSatisfy({ $0 < 0 }) else { return 0 }
        return changes.min { abs($0) < abs($1) }
    }

    /// Marks a tested metric untestable at the corrected level (left out of Tarone's family).
    mutating func leaveOutOfFamily() {
        p = nil
        adjustedP = nil
        status = .tooFewTrials
    }

    /// The median of the run medians: one odd run moves it less than the pooled mean would.
    static func centre(_ runs: [[Double]]) -> Double? {
        guard !runs.isEmpty else { return nil }
        if runs.count == 1 { return median(runs[0]) }
        return median(runs.compactMap { median($0) })
    }

    static func median(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : SampleStatistics.quantile(values.sorted(), 0.5)
    }

    static func halfIQR(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return (SampleStatistics.quantile(sorted, 0.75) - SampleStatistics.quantile(sorted, 0.25)) / 2
    }
}
