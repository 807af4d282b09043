import SystemPackage

/// c2c.csv of `ctxbench c2c`: the core-to-core matrix, one row per ordered
/// CPU pair and metric,
/// `from_cpu,to_cpu,relation,metric,trials,min_ns,p50_ns,max_ns,p50_ticks,round_p50_min_ns,round_p50_max_ns`.
/// `from_cpu` measures, `to_cpu` holds the line; `relation` is the sysfs
/// topology label (`smt_sibling`, `same_die`, `same_socket`, `other_socket`,
/// `unknown`). The `round_p50` columns are the lowest and highest of the
/// pair's per-round medians: the spread when the matrix is repeated within
/// one run. The diagonal is not measured, so it has no rows.
public enum CoreToCoreFile {
    public static let name = "c2c.csv"

    public static let header = ["from_cpu", "to_cpu", "relation", "metric", "trials", "min_ns", "p50_ns", "max_ns",
                                "p50_ticks", "round_p50_min_ns", "round_p50_max_ns"]

    public struct Row: Sendable, Equatable {
        public var fromCPU: Int
        public var toCPU: Int
        public var relation: String
        /// `cas_round_trip`, `read_modified` or `write_modified`.
        public var metric: String
        public var trials: Int
        public var minNs: Double
        public var p50Ns: Double
        public var maxNs: Double
        public var p50Ticks: Double
        public var roundP50MinNs: Double
        public var roundP50MaxNs: Double

        public init(fromCPU: Int, toCPU: Int, relation: String, metric: String, trials: Int, minNs: Double,
                    p50Ns: Double, maxNs: Double, p50Ticks: Double, roundP50MinNs: Double, roundP50MaxNs: Double) {
            self.fromCPU = fromCPU
            self.toCPU = toCPU
            self.relation = relation
            self.metric = metric
            self.trials = trials
            self.minNs = minNs
            self.p50Ns = p50Ns
            self.maxNs = maxNs
            self.p50Ticks = p50Ticks
            self.roundP50MinNs = roundP50MinNs
            self.roundP50MaxNs = roundP50MaxNs
        }
    }

    public static func cells(_ r: Row) -> [String] {
        [String(r.fromCPU), String(r.toCPU), r.relation, r.metric, String(r.trials)]
            + [r.minNs, r.p50Ns, r.maxNs, r.p50Ticks, r.roundP50MinNs, r.roundP50MaxNs].map(CSVFormat.number)
    }

    public static func table(_ rows: [Row]) -> CSVTable { CSVTable(header: header, rows: rows.map(cells)) }

    public static func write(_ rows: [Row], to path: FilePath) throws { try table(rows).write(to: path) }

    /// - Throws: `InputFileError` naming the file and line of the first bad
    ///   row: a missing column, a CPU or count that is not a whole number, a
    ///   time that is not a number, a pair from a CPU to itself.
    public static func read(path: String) throws -> [Row] {
        try rows(CSVRecord.read(path: path, required: header).records)
    }

    /// `read` on the text of a c2c.csv; `path` is only used in errors.
    public static func parse(_ text: String, path: String) throws -> [Row] {
        try rows(CSVRecord.parse(text, path: path, required: header).records)
    }

    private static func rows(_ records: [CSVRecord]) throws -> [Row] {
        try records.map { r in
            let from = try r.count(0), to = try r.count(1)
            guard from != to else {
                throw r.error(.outOfRange(column: "to_cpu", cell: r.text(1), allowed: "a CPU other than from_cpu"))
            }
            return Row(fromCPU: from, toCPU: to, relation: r.text(2), metric: r.text(3), trials: try r.count(4),
                       minNs: try r.double(5), p50Ns: try r.double(6), maxNs: try r.double(7),
                       p50Ticks: try r.double(8), roundP50MinNs: try r.double(9), roundP50MaxNs: try r.double(10))
        }
    }
}
