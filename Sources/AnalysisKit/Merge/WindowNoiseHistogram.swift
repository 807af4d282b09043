#if canImport(Glibc)
import Glibc
#endif

/// The distribution of the noise one rank sees in one window (time lost, ns), pooled
/// over every window of every rank: what the unaligned extrapolation draws from.
///
/// Streaming: a fixed set of bins, so memory does not grow with ranks or windows.
/// Bins are log-spaced, 64 per decade from 1 ns to 10 s (a bin spans 3.7%), plus a
/// bin for windows with under 1 ns of noise; each bin keeps its count and the sum of
/// its values, so a bin stands for its own mean and the mean of the distribution is
/// exact. The expected maximum is then within a bin's width (±1.8%) of the empirical
/// distribution's.
public struct WindowNoiseHistogram: Sendable, Equatable {
    static let binsPerDecade = 64.0
    static let decades = 10.0
    static let binCount = Int(binsPerDecade * decades) + 2

    private(set) var counts = [UInt64](repeating: 0, count: binCount)
    private(set) var sums = [Double](repeating: 0, count: binCount)
    /// Windows added.
    public private(set) var total: UInt64 = 0

    public init() {}

    @inline(__always)
    static func bin(_ ns: Double) -> Int {
        guard ns >= 1 else { return 0 }
        guard ns < 1e10 else { return binCount - 1 }  // also +infinity: the top bin, never a trap
        let b = 1 + Int(log10(ns) * binsPerDecade)
        return min(binCount - 1, b)
    }

    public mutating func add(_ ns: Double) {
        let b = Self.bin(ns)
        counts[b] += 1
        sums[b] += ns
        total += 1
    }

    /// Adds another histogram's windows.
    public mutating func merge(_ other: WindowNoiseHistogram) {
        for b in counts.indices {
            counts[b] += other.counts[b]
            sums[b] += other.sums[b]
        }
        total += other.total
    }

    /// Mean noise per window, ns.
    public var mean: Double {
        total > 0 ? sums.reduce(0, +) / Double(total) : .nan
    }

    /// E[max of `n` independent draws], ns: Σ_b mean_b · (F_b^n − F_{b−1}^n) over the
    /// bins in increasing order, F_b the fraction of windows in bins ≤ b.
    public func expectedMaximum(of n: Double) -> Double {
        guard total > 0, n >= 1 else { return .nan }
        var below = 0.0, previous = 0.0, expected = 0.0
        let all = Double(total)
        for b in counts.indices where counts[b] > 0 {
            below += Double(counts[b])
            let f = min(1, below / all)
            let now = f >= 1 ? 1 : exp(n * log(f))
            expected += sums[b] / Double(counts[b]) * (now - previous)
            previous = now
        }
        return expected
    }
}
