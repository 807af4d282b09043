#if canImport(Glibc)
import Glibc
#endif

/// For one step length Q: the noise every rank saw in every window of length Q in
/// absolute time, kept as much as the slowdown model needs and no more.
///
/// Kept per window (the windows of the shared time base, not per rank): the `keep`
/// largest noises over the ranks added so far, how many ranks covered the window,
/// and which rank had the largest. Kept over all windows of all ranks: the pooled
/// histogram of window noise. So memory is (windows of one run) × (`keep` + 2) words,
/// independent of the rank count; the per-rank window series is discarded after
/// `add`.
///
/// - The measured step delay of window w over the ranks added so far is its largest
///   noise (the barrier waits for the slowest rank).
/// - Aligned extrapolation to N ranks: each of N ranks is drawn with replacement from
///   the measured ranks, *in the same window*, so noise that hits all nodes at once
///   stays simultaneous. E[max] = Σ_m y_m ((R−m+1)/R)^N − ((R−m)/R)^N over the window's
///   sorted noises y_1 ≥ y_2 ≥ ...; only the `keep` largest are stored, and the rest
///   can add at most y_keep · ((R−keep)/R)^N (reported as `alignedGap`).
/// - Unaligned extrapolation: each of N ranks draws an independent window from the
///   pooled histogram (noise not synchronised across nodes).
public final class StepNoise {
    public let step: StepLength
    /// Largest noises kept per window.
    public let keep: Int
    public private(set) var histogram = WindowNoiseHistogram()
    private var top: [Float] = []
    private var covered: [UInt32] = []
    private var slowest: [Int32] = []
    /// Windows covered by every rank added so far (inclusive; empty when first > last).
    public private(set) var commonFirst = Int.min
    public private(set) var commonLast = Int.max
    public private(set) var ranks = 0

    public init(step: StepLength, keep: Int = 8) {
        precondition(step.isResolved && keep >= 1)
        self.step = step
        self.keep = keep
    }

    /// Windows kept in memory (for the memory account).
    public var windowCapacity: Int { covered.count }

    /// The whole windows rank `rank` covers and the noise it saw in each.
    /// - Parameters:
    ///   - lost: time lost in each quantum, ns, evenly spaced by the quantum.
    ///   - offsetNs: when the rank's first quantum started, ns after the merge's origin (≥ 0).
    /// - Returns: the first window index and the noise per window (empty if none is whole).
    public static func windows(lost: UnsafeBufferPointer<Double>, offsetNs: Double,
                               step: StepLength) -> (first: Int, noise: [Double]) {
        let q = step.quantumNs, w = step.ns
        let n = Double(lost.count)
        let first = Int(((offsetNs - q / 2) / w).rounded(.up))
        let last = Int(((offsetNs + n * q + q / 2) / w).rounded(.down)) - 1
        guard last >= first else { return (first, []) }
        var noise = [Double](repeating: 0, count: last - first + 1)
        for i in lost.indices {
            // The quantum belongs to the window holding its midpoint.
            let window = Int(((offsetNs + (Double(i) + 0.5) * q) / w).rounded(.down)) - first
            if window >= 0, window < noise.count { noise[window] += lost[i] }
        }
        return (first, noise)
    }

    /// Adds one rank's lost-time series (see `windows`).
    public func add(rank: Int, lost: UnsafeBufferPointer<Double>, offsetNs: Double) {
        let (first, noise) = Self.windows(lost: lost, offsetNs: offsetNs, step: step)
        ranks += 1
        guard !noise.isEmpty else { commonFirst = 1; commonLast = 0; return }
        let end = first + noise.count
        if end > covered.count {
            covered.append(contentsOf: repeatElement(0, count: end - covered.count))
            slowest.append(contentsOf: repeatElement(-1, count: end - slowest.count))
            top.append(contentsOf: repeatElement(0, count: end * keep - top.count))
        }
        commonFirst = max(commonFirst, first)
        commonLast = min(commonLast, end - 1)
        for (j, value) in noise.enumerated() {
            histogram.add(value)
            let window = first + j
            covered[window] += 1
            let base = window * keep
            let v = Float(value)
            guard v > top[base + keep - 1] || slowest[window] < 0 else { continue }
            // Insert into the descending list of the window's largest noises.
            var m = keep - 1
            while m > 0, top[base + m - 1] < v {
                top[base + m] = top[base + m - 1]
                m -= 1
            }
            top[base + m] = v
            if m == 0 { slowest[window] = Int32(truncatingIfNeeded: rank) }
        }
    }

    /// The windows every added rank covered.
    public var commonWindows: Range<Int> {
        commonFirst <= commonLast && commonFirst >= 0 ? commonFirst..<(commonLast + 1) : 0..<0
    }

    /// Measured slowdown over the ranks added so far: mean over the common windows of
    /// the largest noise, divided by Q.
    public var measuredSlowdown: Double {
        let windows = commonWindows
        guard !windows.isEmpty else { return .nan }
        var sum = 0.0
        for w in windows { sum += Double(top[w * keep]) }
        return sum / Double(windows.count) / step.ns
    }

    /// Aligned extrapolation to `n` ranks (see the type's comment): the slowdown and the
    /// most the unstored noises could add to it.
    public func alignedSlowdown(ranks n: Double) -> (slowdown: Double, gap: Double) {
        let windows = commonWindows
        guard !windows.isEmpty, ranks > 0, n >= 1 else { return (.nan, .nan) }
        let r = Double(ranks), kept = min(keep, ranks)
        let weights = (1...kept).map { m in
            pow((r - Double(m) + 1) / r, n) - pow((r - Double(m)) / r, n)
        }
        let tail = pow((r - Double(kept)) / r, n)
        var sum = 0.0, gap = 0.0
        for w in windows {
            let base = w * keep
            for m in 0..<kept { sum += Double(top[base + m]) * weights[m] }
            gap += Double(top[base + kept - 1]) * tail
        }
        let count = Double(windows.count) * step.ns
        return (sum / count, gap / count)
    }

    /// Unaligned extrapolation to `n` ranks: E[max of n independent windows] / Q.
    public func unalignedSlowdown(ranks n: Double) -> Double {
        histogram.expectedMaximum(of: n) / step.ns
    }

    /// For each rank index, the number of common windows in which it was the slowest.
    public func slowestCounts(rankCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: rankCount)
        for w in commonWindows {
            let r = Int(slowest[w])
            if r >= 0, r < rankCount, top[w * keep] > 0 { counts[r] += 1 }
        }
        return counts
    }
}
