import SystemPackage

/// throughput.csv: the timeline of a lockbench run (thesis Figs 6.4-6.6):
/// acquisitions per ms in each window, in total and per thread, and whether a
/// preemption round overlapped the window:
/// `time_ms,total_per_ms,thread0_per_ms,…,threadN_per_ms,preempted`.
public enum ThroughputFile {
    public static let name = "throughput.csv"

    public struct Row: Sendable, Equatable {
        /// Window start, ms from the run's start.
        public var timeMs: Double
        public var totalPerMs: Double
        /// One value per thread, thread 0 first.
        public var perThreadPerMs: [Double]
        public var preempted: Bool

        public init(timeMs: Double, totalPerMs: Double, perThreadPerMs: [Double], preempted: Bool) {
            self.timeMs = timeMs
            self.totalPerMs = totalPerMs
            self.perThreadPerMs = perThreadPerMs
            self.preempted = preempted
        }
    }

    /// The columns for `threads` threads.
    public static func header(threads: Int) -> [String] {
        ["time_ms", "total_per_ms"] + (0..<threads).map { "thread\($0)_per_ms" } + ["preempted"]
    }

    public static func cells(_ row: Row) -> [String] {
        [CSVFormat.number(row.timeMs), CSVFormat.number(row.totalPerMs)]
            + row.perThreadPerMs.map(CSVFormat.number) + [row.preempted ? "1" : "0"]
    }

    public static func table(_ rows: [Row], threads: Int) -> CSVTable {
        CSVTable(header: header(threads: threads), rows: rows.map(cells))
    }

    public static func write(_ rows: [Row], threads: Int, to path: FilePath) throws {
        try table(rows, threads: threads).write(to: path)
    }

    /// The windows; the thread count is the number of `threadN_per_ms` columns.
    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        let (columns, records) = try CSVRecord.read(path: path, required: ["time_ms", "total_per_ms", "preempted"],
                                                    allowEmpty: true)
        var threads = 0
        while columns.position(of: "thread\(threads)_per_ms") != nil { threads += 1 }
        return try records.map { r in
            Row(timeMs: try r.double(0), totalPerMs: try r.double(1),
                perThreadPerMs: try (0..<threads).map { try r.double(named: "thread\($0)_per_ms") },
                preempted: try r.bool(2))
        }
    }
}
