import SystemPackage

/// summary.csv, the long format every kbench tool writes and the gate reads:
/// one `Measurement` a row,
/// `benchmark,variant,threads,param,metric,unit,lower_is_better,n,mean,std,min,p50,p75,p90,p99,p999,max`.
public enum SummaryFile {
    public static let name = "summary.csv"

    public static let header = [
        "benchmark", "variant", "threads", "param", "metric", "unit", "lower_is_better",
        "n", "mean", "std", "min", "p50", "p75", "p90", "p99", "p999", "max",
    ]

    public static func cells(_ m: Measurement) -> [String] {
        let s = m.statistics
        return [m.benchmark, m.variant, String(m.threads), m.param, m.metric, m.unit, m.lowerIsBetter ? "true" : "false",
                String(s.count)] + [s.mean, s.std, s.min, s.p50, s.p75, s.p90, s.p99, s.p999, s.max].map(CSVFormat.number)
    }

    public static func table(_ measurements: [Measurement]) -> CSVTable {
        CSVTable(header: header, rows: measurements.map(cells))
    }

    public static func write(_ measurements: [Measurement], to path: FilePath) throws {
        try table(measurements).write(to: path)
    }

    /// The measurements of a summary.csv, without their trials (those are in
    /// trials.csv: `TrialsFile`).
    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Measurement] {
        try CSVRecord.read(path: path, required: header, allowEmpty: true).records.map { r in
            let statistics = SampleStatistics(
                count: try r.count(7), mean: try r.double(8), std: try r.double(9), min: try r.double(10),
                p50: try r.double(11), p75: try r.double(12), p90: try r.double(13), p99: try r.double(14),
                p999: try r.double(15), max: try r.double(16))
            return Measurement(benchmark: r.text(0), variant: r.text(1), threads: try r.count(2), param: r.text(3),
                               metric: r.text(4), unit: r.text(5), lowerIsBetter: try r.bool(6),
                               statistics: statistics)
        }
    }
}
