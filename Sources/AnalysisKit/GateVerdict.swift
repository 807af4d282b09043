import RunFormat

/// The gate's rule for one metric: a regression is a change in the worse
/// direction beyond the threshold AND statistically significant; the same in
/// the better direction is an improvement (reported, never failed).
public struct GatePolicy: Sendable, Equatable {
    /// Which significance test decides.
    public enum Test: String, Sendable, CaseIterable {
        /// Mann-Whitney U (`RankSumTest`): the default.
        case mannWhitney = "mann-whitney"
        /// Welch's t-test (`WelchTTest`): for comparison only.
        case welch
    }

    /// Smallest change that counts, as a fraction of the baseline median (0.05 = 5%).
    public var threshold: Double
    /// Significance level: a difference is significant when p < alpha.
    public var alpha: Double
    public var test: Test

    public static let defaultThresholdPct = 5.0
    public static let defaultAlpha = 0.05

    public init(threshold: Double = defaultThresholdPct / 100, alpha: Double = defaultAlpha,
                test: Test = .mannWhitney) {
        self.threshold = threshold
        self.alpha = alpha
        self.test = test
    }
}

/// What the gate says about one metric.
public struct GateVerdict: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Worse beyond the threshold, and significant: fails the gate.
        case regression
        /// Better beyond the threshold, and significant.
        case improvement
        /// Significant, but within the threshold.
        case withinThreshold = "within-threshold"
        /// Beyond the threshold, but not significant (noise).
        case notSignificant = "not-significant"
        /// No difference worth a word: neither significant nor beyond the threshold.
        case unchanged
        /// Too few trials on a side for any difference to be significant.
        case tooFewTrials = "too-few-trials"
        /// Only in the baseline (a benchmark removed, or a run that failed).
        case onlyInBaseline = "only-in-baseline"
        /// Only in the current run (a new benchmark).
        case onlyInCurrent = "only-in-current"
    }

    public var key: MetricKey
    public var status: Status
    public var lowerIsBetter: Bool
    public var baselineMedian: Double?
    public var currentMedian: Double?
    /// (current - baseline) / |baseline|; nil when the baseline median is 0 or unknown.
    public var change: Double?
    public var p: Double?
    public var baselineTrials: Int
    public var currentTrials: Int
    /// Half the interquartile range of the current trials (for dashboards).
    public var currentHalfIQR: Double?

    /// Judges one metric from both sides' per-trial values.
    public static func judge(key: MetricKey, lowerIsBetter: Bool, baseline: [Double]?, current: [Double]?,
                             policy: GatePolicy) -> GateVerdict {
        let b = (baseline ?? []).filter(\.isFinite), c = (current ?? []).filter(\.isFinite)
        var verdict = GateVerdict(key: key, status: .unchanged, lowerIsBetter: lowerIsBetter,
                                  baselineMedian: median(b), currentMedian: median(c), change: nil, p: nil,
                                  baselineTrials: b.count, currentTrials: c.count, currentHalfIQR: halfIQR(c))
        guard baseline != nil else { verdict.status = .onlyInCurrent; return verdict }
        guard current != nil else { verdict.status = .onlyInBaseline; return verdict }
        if let bm = verdict.baselineMedian, let cm = verdict.currentMedian {
            verdict.change = bm != 0 ? (cm - bm) / abs(bm) : (cm == 0 ? 0 : nil)
        }
        let enough: Bool = switch policy.test {
        case .mannWhitney: b.count >= 2 && c.count >= 2 && RankSumTest.smallestP(m: b.count, n: c.count) < policy.alpha
        case .welch: b.count >= 2 && c.count >= 2
        }
        guard enough else { verdict.status = .tooFewTrials; return verdict }
        verdict.p = switch policy.test {
        case .mannWhitney: RankSumTest.test(b, c)?.p
        case .welch: WelchTTest.p(b, c)
        }
        let significant = (verdict.p ?? 1) < policy.alpha
        // A zero baseline median: any significant move is beyond any threshold.
        let worse: Bool, beyond: Bool
        if let change = verdict.change {
            worse = lowerIsBetter ? change > 0 : change < 0
            beyond = abs(change) > policy.threshold
        } else {
            let cm = verdict.currentMedian ?? 0
            worse = lowerIsBetter ? cm > 0 : cm < 0
            beyond = true
        }
        verdict.status = switch (significant, beyond) {
        case (true, true): worse ? .regression : .improvement
        case (true, false): .withinThreshold
        case (false, true): .notSignificant
        case (false, false): .unchanged
        }
        return verdict
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
