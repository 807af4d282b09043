import Histogram

/// A histogram for runs too long to keep every sample (hours of lock
/// acquisitions, minutes of IPIs): HdrHistogram with three significant digits,
/// so quantiles are within 0.1% of the exact ones at a fixed memory cost.
public struct LatencyHistogram: Sendable {
    public private(set) var histogram: Histogram<UInt64>

    public init() {
        histogram = Histogram(numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    /// Records one value (ticks or ns: the caller's unit). Not for hot loops
    /// that must not branch on resizing: record from a buffer after the loop.
    public mutating func record(_ value: UInt64) {
        _ = histogram.record(value)
    }

    public mutating func merge(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    public var count: Int { Int(histogram.totalCount) }

    /// The histogram's statistics in the same shape as exact ones; nil if empty.
    public var statistics: SampleStatistics? {
        guard histogram.totalCount > 0 else { return nil }
        func q(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p * 100)) }
        return SampleStatistics(count: count, mean: histogram.mean, std: histogram.stdDeviation,
                                min: Double(histogram.min), p50: q(0.5), p75: q(0.75), p90: q(0.9),
                                p99: q(0.99), p999: q(0.999), max: Double(histogram.max))
    }
}
