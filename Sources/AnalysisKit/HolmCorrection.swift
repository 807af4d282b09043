/// Family-wise error control for the gate: a gate fails when ANY of its
/// hundreds of metrics regresses, so the quantity to bound is the chance of
/// even one false regression (the family-wise error rate), not the share of
/// false ones among those flagged (Benjamini-Hochberg's false discovery rate,
/// which when every metric is unchanged only equals it, and which buys power
/// only when many metrics regress at once, when the gate fails anyway).
/// Holm's step-down bounds it at alpha under any dependence between metrics
/// (they share runs, so they are dependent), and rejects everything
/// Bonferroni does and more.
///
/// The family is Tarone's: a metric whose test cannot give a p below alpha/m
/// whatever its data (too few trials for the rank test) can never be
/// rejected, so it is left out of the count m rather than diluting everyone
/// else's level. Such metrics are reported as too-few-trials.
public enum HolmCorrection {
    /// Tarone's family size: the smallest m for which at most m hypotheses
    /// can reach alpha/m. `smallestPossibleP[i]` is the least p test i can give.
    public static func familySize(smallestPossibleP: [Double], alpha: Double) -> Int {
        let sorted = smallestPossibleP.sorted()
        guard !sorted.isEmpty else { return 0 }
        for m in 1...sorted.count {
            // How many can reach alpha/m: sorted, so count the prefix.
            var reachable = 0
            while reachable < sorted.count, sorted[reachable] <= alpha / Double(m) { reachable += 1 }
            if reachable <= m { return m }
        }
        return sorted.count
    }

    /// Holm-adjusted p-values in the input order: sorted ascending, the j-th
    /// (from 0) is multiplied by (m - j), made monotone, and capped at 1.
    /// `family` (>= p.count) counts hypotheses that were left out of `p`.
    public static func adjusted(_ p: [Double], family: Int? = nil) -> [Double] {
        let m = max(family ?? p.count, p.count)
        let order = p.indices.sorted { (p[$0].isNaN ? 1 : p[$0]) < (p[$1].isNaN ? 1 : p[$1]) }
        var result = [Double](repeating: 1, count: p.count)
        var running = 0.0
        for (j, index) in order.enumerated() {
            let value = p[index].isNaN ? 1 : p[index]
            running = max(running, min(1, Double(m - j) * value))
            result[index] = running
        }
        return result
    }
}
