import SystemPackage

/// table.csv of a lockbench sweep: the thesis' Tables 6.1/6.2, acquisition
/// latency in ticks per lock and thread count:
/// `lock,threads,n,mean_ticks,std_ticks,min_ticks,max_ticks,p50_ticks,p75_ticks,p90_ticks,p99_ticks,p999_ticks`.
public enum LockTableFile {
    public static let name = "table.csv"

    public static let header = ["lock", "threads", "n", "mean_ticks", "std_ticks", "min_ticks", "max_ticks",
                                "p50_ticks", "p75_ticks", "p90_ticks", "p99_ticks", "p999_ticks"]

    public struct Row: Sendable, Equatable {
        public var lock: String
        public var threads: Int
        public var statistics: SampleStatistics

        public init(lock: String, threads: Int, statistics: SampleStatistics) {
            self.lock = lock
            self.threads = threads
            self.statistics = statistics
        }
    }

    public static func cells(_ row: Row) -> [String] {
        let s = row.statistics
        return [row.lock, String(row.threads), String(s.count)]
            + [s.mean, s.std, s.min, s.max, s.p50, s.p75, s.p90, s.p99, s.p999].map(CSVFormat.number)
    }

    public static func table(_ rows: [Row]) -> CSVTable { CSVTable(header: header, rows: rows.map(cells)) }

    public static func write(_ rows: [Row], to path: FilePath) throws { try table(rows).write(to: path) }

    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        try CSVRecord.read(path: path, required: header, allowEmpty: true).records.map { r in
            Row(lock: r.text(0), threads: try r.count(1), statistics: SampleStatistics(
                count: try r.count(2), mean: try r.double(3), std: try r.double(4), min: try r.double(5),
                p50: try r.double(7), p75: try r.double(8), p90: try r.double(9), p99: try r.double(10),
                p999: try r.double(11), max: try r.double(6)))
        }
    }
}
