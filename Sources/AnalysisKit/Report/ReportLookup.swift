import RunFormat

/// Looking up one median among a run's rows.
enum ReportLookup {
    static func p50(_ rows: [Measurement], variant: String, metric: String, unit: String, threads: Int? = nil,
                    param: ((ReportParameters) -> Bool)? = nil) -> Double? {
        rows.first {
            $0.variant == variant && $0.metric == metric && $0.unit == unit && (threads == nil || $0.threads == threads)
                && (param == nil || param!(ReportParameters($0.param)))
        }?.statistics.p50
    }
}

extension Array where Element: Hashable {
    /// The elements in their first order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
