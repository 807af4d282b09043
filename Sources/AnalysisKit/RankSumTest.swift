import Foundation

/// The Mann-Whitney U (Wilcoxon rank-sum) test, two-sided: is one sample's
/// distribution shifted against the other's? The gate's significance test.
///
/// Why this test: it assumes no distribution (benchmark trials are skewed, with
/// a tail of interrupted trials a t-test's mean and variance follow), it is
/// deterministic (the same trials give the same verdict, unlike a bootstrap),
/// and it is what `benchstat` uses, so its p-values read the same.
///
/// The p-value is exact (the distribution of U counted over every arrangement
/// of the ranks) when there are no ties and both samples have at most
/// `exactLimit` values; otherwise it is the normal approximation with the tie
/// correction of the variance and a continuity correction of 0.5. These are
/// scipy.stats.mannwhitneyu's `method='exact'` and `method='asymptotic'`.
public enum RankSumTest {
    /// Largest sample (each side) for the exact distribution: its table is
    /// `m * n * (m * n / 2)` additions, 3 million at 50 and 50.
    public static let exactLimit = 50

    /// A test's outcome.
    public struct Result: Sendable, Equatable {
        /// U of the first sample: pairs (x, y) with x > y, ties counting one half.
        public var u: Double
        /// Two-sided p-value.
        public var p: Double
        /// Whether `p` comes from the exact distribution.
        public var exact: Bool
    }

    /// Tests `x` against `y`; nil when either is empty or holds a value that
    /// is not finite.
    public static func test(_ x: [Double], _ y: [Double]) -> Result? {
        let m = x.count, n = y.count
        guard m > 0, n > 0, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return nil }
        // Ranks of the pooled sample, ties sharing the mean of their ranks.
        let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSumX = 0.0, tieTerm = 0.0, hasTies = false
        var start = 0
        while start < pooled.count {
            var end = start + 1
            while end < pooled.count, pooled[end].0 == pooled[start].0 { end += 1 }
            let tied = Double(end - start)
            let meanRank = Double(start + end + 1) / 2  // ranks start+1 ... end
            for i in start..<end where pooled[i].1 { rankSumX += meanRank }
            if tied > 1 { hasTies = true; tieTerm += tied * tied * tied - tied }
            start = end
        }
        let mm = Double(m), nn = Double(n)
        let u = rankSumX - mm * (mm + 1) / 2
        if !hasTies, m <= exactLimit, n <= exactLimit {
            let lower = min(u, mm * nn - u)
            let p = min(1, 2 * exactCumulative(Int(lower.rounded()), m: m, n: n))
            return Result(u: u, p: p, exact: true)
        }
        let total = mm + nn
        let variance = mm * nn / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        guard variance > 0 else { return Result(u: u, p: 1, exact: false) }  // every value equal
        let z = max(0, abs(u - mm * nn / 2) - 0.5) / variance.squareRoot()
        return Result(u: u, p: min(1, erfc(z / 2.0.squareRoot())), exact: false)
    }

    /// The smallest two-sided p-value samples of `m` and `n` values can
    /// reach (complete separation, no ties): 2 / C(m + n, m). When it is not
    /// below the significance level, no difference can be significant.
    public static func smallestP(m: Int, n: Int) -> Double {
        guard m > 0, n > 0 else { return 1 }
        // C(m+n, m) as a product, in doubles (exact enough; it is compared to alpha).
        var combinations = 1.0
        for i in 0..<min(m, n) { combinations = combinations * Double(m + n - i) / Double(i + 1) }
        return min(1, 2 / combinations)
    }

    /// P(U <= u) under the null hypothesis for samples of `m` and `n` without
    /// ties: the number of rank arrangements with U <= u over C(m+n, m).
    ///
    /// Counts by the recurrence f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u)
    /// (the largest value is an x, adding j to U, or a y), one row of i at a time.
    static func exactCumulative(_ u: Int, m: Int, n: Int) -> Double {
        if u < 0 { return 0 }
        if u >= m * n { return 1 }
        // previous[j][k]: arrangements of (i-1) x's and j y's with U = k.
        var previous = (0...n).map { _ in [1.0] }  // i = 0: U is 0, one arrangement
        for i in 1...m {
            var current: [[Double]] = []
            current.reserveCapacity(n + 1)
            current.append([1.0])  // j = 0: U is 0
            for j in 1...n {
                var row = [Double](repeating: 0, count: i * j + 1)
                let withY = current[j - 1]
                for k in 0..<withY.count { row[k] += withY[k] }
                let withX = previous[j]
                for k in 0..<withX.count { row[k + j] += withX[k] }
                current.append(row)
            }
            previous = current
        }
        let counts = previous[n]
        let total = counts.reduce(0, +)
        return counts[0...u].reduce(0, +) / total
    }
}
