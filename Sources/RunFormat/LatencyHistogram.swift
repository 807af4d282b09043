/// One CPU's (or thread's) latency histogram as cyclictest and oslat print
/// it: a count per whole microsecond, plus samples beyond the last bucket.
/// `analysis import` turns it into a summary.csv row and trials.csv values.
public struct LatencyHistogram: Sendable, Equatable {
    /// "thread0" (cyclictest numbers its threads) or "cpu3" (oslat names cores).
    public var label: String
    /// (microseconds, count) in ascending microseconds, zero counts dropped.
    public var buckets: [(us: Int64, count: Int64)]
    /// Samples above the last bucket (their values are unknown: at least `overflowAtUs`).
    public var overflows: Int64
    /// Where overflows start (the histogram's limit).
    public var overflowAtUs: Int64
    /// The tool's own minimum and maximum, exact even for overflows, when it printed them.
    public var reportedMinUs: Double?
    public var reportedMaxUs: Double?

    public init(label: String, buckets: [(us: Int64, count: Int64)], overflows: Int64 = 0, overflowAtUs: Int64 = 0,
                reportedMinUs: Double? = nil, reportedMaxUs: Double? = nil) {
        self.label = label
        self.buckets = buckets
        self.overflows = overflows
        self.overflowAtUs = overflowAtUs
        self.reportedMinUs = reportedMinUs
        self.reportedMaxUs = reportedMaxUs
    }

    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        a.label == b.label && a.buckets.map(\.us) == b.buckets.map(\.us) && a.buckets.map(\.count) == b.buckets.map(\.count)
            && a.overflows == b.overflows && a.overflowAtUs == b.overflowAtUs
            && a.reportedMinUs == b.reportedMinUs && a.reportedMaxUs == b.reportedMaxUs
    }

    /// Column `column` of a table of rows (one count per thread or core),
    /// zero counts dropped; nil when the counts, with `extra` more, overflow 64 bits.
    public static func column(_ column: Int, of rows: [(us: Int64, counts: [Int64])], extra: Int64 = 0)
        -> [(us: Int64, count: Int64)]? {
        var total = extra
        var buckets: [(us: Int64, count: Int64)] = []
        for row in rows where row.counts[column] > 0 {
            let (sum, overflow) = total.addingReportingOverflow(row.counts[column])
            if overflow { return nil }
            total = sum
            buckets.append((row.us, row.counts[column]))
        }
        return buckets
    }

    /// Every sample, overflows included.
    public var count: Int64 { buckets.reduce(overflows) { $0 &+ $1.count } }

    /// The value of the sample at ascending position `index` (0-based);
    /// overflows sit at `overflowAtUs`, their lower bound.
    public func value(at index: Int64) -> Double {
        var seen: Int64 = 0
        for bucket in buckets {
            seen += bucket.count
            if index < seen { return Double(bucket.us) }
        }
        return Double(overflowAtUs)
    }

    /// The type-7 quantile (as `SampleStatistics`) of the samples.
    public func quantile(_ p: Double) -> Double {
        let n = count
        guard n > 0 else { return .nan }
        let h = Double(n - 1) * p
        let lower = Int64(h.rounded(.down))
        let low = value(at: lower), high = value(at: min(lower + 1, n - 1))
        return low + (h - Double(lower)) * (high - low)
    }

    /// summary.csv's statistics; min and max are the tool's own when it printed them.
    public var statistics: SampleStatistics? {
        let n = count
        guard n > 0 else { return nil }
        var sum = 0.0
        for bucket in buckets { sum += Double(bucket.us) * Double(bucket.count) }
        sum += Double(overflowAtUs) * Double(overflows)
        let mean = sum / Double(n)
        var squares = 0.0
        for bucket in buckets { squares += (Double(bucket.us) - mean) * (Double(bucket.us) - mean) * Double(bucket.count) }
        squares += (Double(overflowAtUs) - mean) * (Double(overflowAtUs) - mean) * Double(overflows)
        return SampleStatistics(
            count: Int(clamping: n), mean: mean, std: n > 1 ? (squares / Double(n - 1)).squareRoot() : 0,
            min: reportedMinUs ?? value(at: 0), p50: quantile(0.5), p75: quantile(0.75), p90: quantile(0.9),
            p99: quantile(0.99), p999: quantile(0.999), max: reportedMaxUs ?? value(at: n - 1))
    }

    /// Most values `trialValues` returns.
    public static let sketchSize = 10_000

    /// The distribution as trials for the gate: every sample when there are
    /// at most `sketchSize`, else `sketchSize` equally spaced quantiles (the
    /// samples at positions (k + 1/2) n / m). Bounded, so a run of 100 million
    /// samples is ten thousand trials, and the gate's significance reflects
    /// the shape of the distribution rather than its sheer size.
    public func trialValues() -> [Double] {
        let n = count
        guard n > 0 else { return [] }
        let m = min(n, Int64(Self.sketchSize))
        var values: [Double] = []
        values.reserveCapacity(Int(m))
        // Walk the buckets once: positions ascend.
        var bucketIndex = 0, seenBefore: Int64 = 0
        for k in 0..<m {
            let position = m == n ? k : Int64((Double(k) + 0.5) * Double(n) / Double(m))
            while bucketIndex < buckets.count, position >= seenBefore + buckets[bucketIndex].count {
                seenBefore += buckets[bucketIndex].count
                bucketIndex += 1
            }
            values.append(bucketIndex < buckets.count ? Double(buckets[bucketIndex].us) : Double(overflowAtUs))
        }
        return values
    }
}
