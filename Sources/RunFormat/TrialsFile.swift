import SystemPackage

/// trials.csv: every trial's value of every measurement, so the gate can test
/// significance instead of comparing two summaries:
/// `benchmark,variant,threads,param,metric,unit,trial,value`.
public enum TrialsFile {
    public static let name = "trials.csv"

    public static let header = ["benchmark", "variant", "threads", "param", "metric", "unit", "trial", "value"]

    /// One row: which measurement, which trial (0-based), its value.
    public struct Row: Sendable, Equatable {
        public var benchmark: String
        public var variant: String
        public var threads: Int
        public var param: String
        public var metric: String
        public var unit: String
        public var trial: Int
        public var value: Double

        public init(benchmark: String, variant: String, threads: Int, param: String, metric: String,
                    unit: String, trial: Int, value: Double) {
            self.benchmark = benchmark
            self.variant = variant
            self.threads = threads
            self.param = param
            self.metric = metric
            self.unit = unit
            self.trial = trial
            self.value = value
        }
    }

    public static func rows(_ m: Measurement) -> [Row] {
        m.trials.enumerated().map { index, value in
            Row(benchmark: m.benchmark, variant: m.variant, threads: m.threads, param: m.param, metric: m.metric,
                unit: m.unit, trial: index, value: value)
        }
    }

    public static func cells(_ r: Row) -> [String] {
        [r.benchmark, r.variant, String(r.threads), r.param, r.metric, r.unit, String(r.trial), CSVFormat.number(r.value)]
    }

    public static func table(_ measurements: [Measurement]) -> CSVTable {
        CSVTable(header: header, rows: measurements.flatMap(rows).map(cells))
    }

    public static func write(_ measurements: [Measurement], to path: FilePath) throws {
        try table(measurements).write(to: path)
    }

    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        try CSVRecord.read(path: path, required: header, allowEmpty: true).records.map { r in
            Row(benchmark: r.text(0), variant: r.text(1), threads: try r.count(2), param: r.text(3), metric: r.text(4),
                unit: r.text(5), trial: try r.count(6), value: try r.double(7))
        }
    }
}
