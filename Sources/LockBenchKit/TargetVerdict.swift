// The speed targets decided from paired same-run ratios: met,
// missed, or undecided at this run's noise.

import RunFormat
import Foundation

/// A distribution-free confidence interval for the median of `n` samples:
/// the order statistics x(k) and x(n+1-k) (1-based), with k the largest
/// index for which P(Binomial(n, 1/2) < k) is at most (1 - level) / 2. The
/// median's true value lies between them with probability at least `level`,
/// whatever the distribution (the sign-test interval). Needs n >= 6 at 95%.
public enum MedianInterval {
    /// The 0-based indices (low, high) into the sorted samples; nil when n is
    /// too small for `level`.
    public static func indices(count n: Int, level: Double = 0.95) -> (low: Int, high: Int)? {
        guard n > 0, level > 0, level < 1 else { return nil }
        let tail = (1 - level) / 2
        // P(X <= j) for X ~ Binomial(n, 1/2), summed in log space (n may be large).
        func logChoose(_ n: Int, _ j: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1)) }
        var cumulative = 0.0, k = 0
        for j in 0..<n {
            cumulative += exp(logChoose(n, j) - Double(n) * log(2.0))
            if cumulative > tail { break }
            k = j + 1   // P(X <= j) <= tail, so P(X < j + 1) <= tail
        }
        guard k >= 1 else { return nil }
        return (k - 1, n - k)
    }

    /// (low, median, high) of `samples`; nil when there are too few.
    public static func of(_ samples: [Double], level: Double = 0.95) -> (low: Double, median: Double, high: Double)? {
        let sorted = samples.filter(\.isFinite).sorted()
        guard let (low, high) = indices(count: sorted.count, level: level) else { return nil }
        let n = sorted.count
        let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        return (sorted[low], median, sorted[high])
    }
}

/// One target of the form "this ratio is at most `bound`", judged on the
/// median of the paired per-trial ratios and its 95% interval: met when the
/// whole interval is at or below the bound, missed when it is wholly above,
/// undecided when the bound lies inside (more trials or a quieter machine
/// would decide it). One number alone cannot say which.
public struct TargetVerdict: Sendable, Equatable, CustomStringConvertible {
    public enum Outcome: String, Sendable {
        case met, missed
        case undecided = "undecided at this noise"
        /// Fewer than 6 paired trials: no 95% interval exists.
        case tooFew = "too few trials to judge"
    }

    /// What the target is about, e.g. "dynamic_overhead dynamic-disabled/none".
    public var name: String
    public var param: String
    public var bound: Double
    public var median: Double, low: Double, high: Double
    public var count: Int
    public var outcome: Outcome

    /// nil without a finite ratio; `tooFew` (NaN bounds) below 6 of them.
    public init?(name: String, param: String, bound: Double, ratios: [Double]) {
        let finite = ratios.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { return nil }
        self.name = name
        self.param = param
        self.bound = bound
        count = finite.count
        guard let (low, median, high) = MedianInterval.of(finite) else {
            let n = finite.count
            median = n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2
            low = .nan
            high = .nan
            outcome = .tooFew
            return
        }
        self.median = median
        self.low = low
        self.high = high
        outcome = high <= bound ? .met : low > bound ? .missed : .undecided
    }

    public var description: String {
        String(format: "%@ [%@] <= %.2f: %@ (median of %d paired ratios %.4f, 95%% CI %.4f-%.4f)",
               name, param, bound, outcome.rawValue, count, median, low, high)
    }

    /// The targets among `rows`: a disabled dynamic lock within 3% of
    /// no lock, an enabled one within 10% of the lock it wraps (on the copy
    /// and on the IPC path), event-logging (b) within 3% of (a).
    public static func judge(_ rows: [RunFormat.Measurement]) -> [TargetVerdict] {
        let targets: [(benchmark: String, variant: String, metric: String, bound: Double)] = [
            ("dynamic_overhead", "dynamic-disabled", "ratio_to_none", 1.03),
            ("dynamic_overhead", "dynamic-spin", "ratio_to_spin", 1.10),
            ("dynamic_overhead", "dynamic-mcs", "ratio_to_mcs", 1.10),
            ("dynamic_ipc", "dynamic-disabled", "ratio_to_none", 1.03),
            ("dynamic_ipc", "dynamic-spin", "ratio_to_spin", 1.10),
            ("dynamic_ipc", "dynamic-mcs", "ratio_to_mcs", 1.10),
            ("eventlog_overhead", "b", "ratio_to_a", 1.03),
            ("eventlog_scaling", "b", "ratio_to_a", 1.03),
        ]
        return rows.compactMap { row in
            guard let target = targets.first(where: { $0.benchmark == row.benchmark && $0.variant == row.variant && $0.metric == row.metric })
            else { return nil }
            let base = row.metric.replacingOccurrences(of: "ratio_to_", with: "")
            let param = row.benchmark == "eventlog_scaling" ? "\(row.param);cpus=\(row.threads)" : row.param
            return TargetVerdict(name: "\(row.benchmark) \(row.variant)/\(base)", param: param, bound: target.bound, ratios: row.trials)
        }
    }
}
