/// Summary statistics of raw samples with exact quantiles.
///
/// Quantiles interpolate linearly between order statistics (Hyndman & Fan
/// type 7, the default of numpy, R and Excel): q(p) = x[h] + (h - floor h)(x[h+1] - x[h])
/// with h = (n - 1) p over the sorted samples. With n = 1 every quantile is the
/// sample; ties need no special case.
public struct SampleStatistics: Codable, Equatable, Sendable {
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (n - 1 in the denominator); 0 when n = 1.
    public let std: Double
    public let min: Double
    public let p50: Double
    public let p75: Double
    public let p90: Double
    public let p99: Double
    public let p999: Double
    public let max: Double

    /// The quantile levels reported everywhere (summary.csv, Tables 6.1/6.2).
    public static let levels: [Double] = [0.5, 0.75, 0.9, 0.99, 0.999]

    /// Statistics of `samples`; nil for no samples.
    public init?(_ samples: some Collection<Double>) {
        var sorted = Array(samples)
        guard !sorted.isEmpty else { return nil }
        sorted.sort()
        self.init(sorted: sorted)
    }

    /// Statistics of samples already in ascending order (no copy, no sort).
    public init(sorted: some RandomAccessCollection<Double>) {
        precondition(!sorted.isEmpty, "statistics of no samples")
        let n = sorted.count
        // Welford: one pass, no catastrophic cancellation for large means with
        // small spreads (TSC values, work counts).
        var mean = 0.0, m2 = 0.0, k = 0.0
        for x in sorted {
            k += 1
            let delta = x - mean
            mean += delta / k
            m2 += delta * (x - mean)
        }
        self.count = n
        self.mean = mean
        self.std = n > 1 ? (m2 / Double(n - 1)).squareRoot() : 0
        self.min = sorted.first!
        self.max = sorted.last!
        self.p50 = Self.quantile(sorted, 0.5)
        self.p75 = Self.quantile(sorted, 0.75)
        self.p90 = Self.quantile(sorted, 0.9)
        self.p99 = Self.quantile(sorted, 0.99)
        self.p999 = Self.quantile(sorted, 0.999)
    }

    /// Assembles statistics computed elsewhere (e.g. from a histogram).
    public init(count: Int, mean: Double, std: Double, min: Double, p50: Double, p75: Double,
                p90: Double, p99: Double, p999: Double, max: Double) {
        self.count = count; self.mean = mean; self.std = std; self.min = min
        self.p50 = p50; self.p75 = p75; self.p90 = p90; self.p99 = p99; self.p999 = p999
        self.max = max
    }

    /// The type-7 quantile `p` (0...1) of ascending `sorted`.
    public static func quantile(_ sorted: some RandomAccessCollection<Double>, _ p: Double) -> Double {
        precondition(!sorted.isEmpty && (0...1).contains(p))
        let h = Double(sorted.count - 1) * p
        let lower = Int(h.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let lowValue = sorted[sorted.index(sorted.startIndex, offsetBy: lower)]
        let highValue = sorted[sorted.index(sorted.startIndex, offsetBy: upper)]
        return lowValue + (h - Double(lower)) * (highValue - lowValue)
    }

    /// Coefficient of variation (std / mean); 0 when the mean is 0.
    public var coefficientOfVariation: Double { mean == 0 ? 0 : std / mean }

    /// The same statistics with every value multiplied by `factor` (ticks to ns).
    public func scaled(by factor: Double) -> SampleStatistics {
        SampleStatistics(count: count, mean: mean * factor, std: std * factor, min: min * factor,
                         p50: p50 * factor, p75: p75 * factor, p90: p90 * factor,
                         p99: p99 * factor, p999: p999 * factor, max: max * factor)
    }
}
