#if canImport(Glibc)
import Glibc
#endif

/// For one step length Q: the delay every rank adds to a step starting at each window
/// of length Q in absolute time (`DetourWalk`), kept as much as the slowdown model
/// needs and no more. ("Noise" below is that delay.)
///
/// Kept per window (the windows of the shared time base, not per rank): the `keep`
/// largest noises over the ranks added so far, how many ranks covered the window,
/// and which rank had the largest. Kept over all windows of all ranks: the pooled
/// histogram of window noise. So memory is (windows of one run) × (`keep` + 2) words,
/// independent of the rank count; the per-rank window series is discarded after
/// `add`.
///
/// - The measured step delay of window w over the ranks added so far is its largest
///   noise (the barrier waits for the slowest rank); steps follow each other
///   (`chained`).
/// - Aligned extrapolation to N ranks: each of N ranks is drawn with replacement from
///   the measured ranks, *in the same window*, so noise that hits all nodes at once
///   stays simultaneous. E[max] = Σ_m y_m ((R−m+1)/R)^N − ((R−m)/R)^N over the window's
///   sorted noises y_1 ≥ y_2 ≥ ...; only the `keep` largest are stored, and the rest
///   can add at most y_keep · ((R−keep)/R)^N (reported as `alignedGap`).
/// - Unaligned extrapolation: each of N ranks draws an independent step from the
///   pooled histogram of the steps each rank would take running alone (noise not
///   synchronised across nodes).
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

    /// Adds one rank's delay per window (`DetourWalk.rankDelays`): the delay, ns, a step
    /// starting at window `first + j`'s start takes on this rank.
    public func add(rank: Int, delays: (first: Int, delays: [Double])) {
        let (first, noise) = delays
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
        // The pooled histogram holds the steps this rank would take on its own (see
        // `chained`), so one rank's unaligned estimate is its own job's slowdown.
        Self.chainSteps(count: noise.count, stepNs: step.ns, delay: { noise[$0] }) { histogram.add($0) }
        for (j, value) in noise.enumerated() {
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

    /// Measured slowdown over the ranks added so far: a job run step after step over the
    /// common windows (`chained`), each step delayed by the largest delay of any rank.
    public var measuredSlowdown: Double {
        chained { Double(self.top[$0 * self.keep]) }
    }

    /// The mean delay per step, over Q, of a job that runs step after step from the
    /// first common window: a step starting at time t (in windows) with delay d ends at
    /// t + 1 + d/Q, where the next one starts; each step takes the delay of the window
    /// whose start is nearest its own.
    ///
    /// Why not the mean over all windows: a step cannot start inside the detour that
    /// delayed the one before it, while a window can. A detour of length D > Q covers
    /// D/Q window starts, each delayed by what is left of it, and the mean over all
    /// windows would count it about D/(2Q) + 1 times instead of once. Why a continuous
    /// start rather than the next whole window: rounding every step to whole windows
    /// biases a run of long steps by up to half a window each.
    func chained(_ delay: (Int) -> Double) -> Double {
        let windows = commonWindows
        guard !windows.isEmpty else { return .nan }
        var sum = 0.0, steps = 0
        Self.chainSteps(count: windows.count, stepNs: step.ns, delay: { delay(windows.lowerBound + $0) }) {
            sum += $0
            steps += 1
        }
        return sum / Double(steps) / step.ns
    }

    /// Visits the delays of the steps a job takes over windows 0 ..< `count` (see
    /// `chained`), starting at window 0. A delay that is not finite ends the run.
    static func chainSteps(count: Int, stepNs: Double, delay: (Int) -> Double, visit: (Double) -> Void) {
        var t = 0.0
        while t < Double(count) - 0.5 {
            let d = delay(Int(t.rounded()))
            guard d.isFinite else { return }
            visit(d)
            t += 1 + d / stepNs
        }
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
        var gap = 0.0
        for w in windows { gap += Double(top[w * keep + kept - 1]) * tail }
        let slowdown = chained { w in
            let base = w * self.keep
            var sum = 0.0
            for m in 0..<kept { sum += Double(self.top[base + m]) * weights[m] }
            return sum
        }
        return (slowdown, gap / (Double(windows.count) * step.ns))
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
