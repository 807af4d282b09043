import RunFormat

/// How far one run's median may move from the baseline's by run-to-run noise
/// alone, as a fraction of the baseline median.
///
/// Why this exists: on a VM the host places the vCPUs anew for every run, so a
/// metric's median moves between runs by more than its trials scatter within
/// one (the core-to-core round trip moved 67-349 ns between runs on the
/// development VM). A rank test over one run's trials cannot see that; a
/// baseline of K >= 3 runs measures it.
///
/// The band is `sigmas x sd x sqrt(1/K + 1/Kc)`: `sd` is the standard
/// deviation of one run's median, the larger of
/// - the spread of the K baseline run medians (between runs), and
/// - the standard error of a median of the current run's trial count, from
///   the baseline's within-run spread (IQR / 1.349 as a robust sigma, times
///   1.2533 / sqrt(n)): a floor for K runs that happened to agree;
/// and `sqrt(1/K + 1/Kc)` turns it into the spread of the difference between
/// the two sides' centres (Kc current runs, usually 1).
///
/// The band also gives a p-value (`p(change:)`): the change over that spread
/// read as Student's t with K - 1 degrees of freedom, the prediction test of
/// a new run against K runs. It enters the gate's family-wise correction, so
/// the more baseline runs, the narrower the change that can be told from noise.
public struct NoiseBand: Sendable, Equatable {
    /// Fewest baseline runs a band is derived from: two medians give a spread
    /// estimate that is wrong by a factor of several too often.
    public static let minimumRuns = 3

    /// Standard deviation of the baseline run medians, relative to their median.
    public var betweenRuns: Double
    /// Standard error of one current run's median from within-run spread, relative.
    public var withinRun: Double
    /// The band: a change of the median within it is run-to-run noise.
    public var width: Double
    /// The spread of the difference of the two sides' centres, relative: `width / sigmas`.
    public var scale: Double
    /// How many baseline runs it was derived from (K).
    public var runs: Int

    /// Two-sided p of a relative change being run-to-run noise: |change| / scale
    /// as Student's t with K - 1 degrees of freedom. A zero scale: 1 for no change, else 0.
    public func p(change: Double) -> Double {
        guard change.isFinite else { return 0 }
        guard scale > 0 else { return change == 0 ? 1 : 0 }
        let t = change / scale, df = Double(runs - 1)
        return min(1, max(0, IncompleteBeta.regularized(df / (df + t * t), a: df / 2, b: 0.5)))
    }

    /// nil with fewer than `minimumRuns` baseline runs, or a zero or
    /// non-finite baseline median (no relative band exists).
    public static func derive(baselineRuns: [[Double]], currentRuns: Int, currentTrialsPerRun: Int,
                              sigmas: Double) -> NoiseBand? {
        let runs = baselineRuns.map { $0.filter(\.isFinite).sorted() }.filter { !$0.isEmpty }
        guard runs.count >= minimumRuns, currentRuns >= 1, sigmas.isFinite, sigmas >= 0 else { return nil }
        let medians = runs.map { SampleStatistics.quantile($0, 0.5) }
        let centre = SampleStatistics.quantile(medians.sorted(), 0.5)
        guard centre.isFinite, centre != 0 else { return nil }
        let mean = medians.reduce(0, +) / Double(medians.count)
        let variance = medians.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(medians.count - 1)
        let between = variance.squareRoot() / abs(centre)
        let robustSigmas = runs.filter { $0.count >= 2 }.map {
            (SampleStatistics.quantile($0, 0.75) - SampleStatistics.quantile($0, 0.25)) / 1.349
        }
        var within = 0.0
        if !robustSigmas.isEmpty {
            let sigma = SampleStatistics.quantile(robustSigmas.sorted(), 0.5)
            within = 1.2533 * sigma / Double(max(1, currentTrialsPerRun)).squareRoot() / abs(centre)
        }
        let spread = max(between, within)
        let scale = spread * (1 / Double(runs.count) + 1 / Double(currentRuns)).squareRoot()
        guard scale.isFinite, (sigmas * scale).isFinite else { return nil }
        return NoiseBand(betweenRuns: between, withinRun: within, width: sigmas * scale, scale: scale, runs: runs.count)
    }
}
