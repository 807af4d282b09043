import SystemPackage

/// noise.csv of `analysis spectrum`: each sampler thread's noise summary as
/// named metrics, `thread,cpu,metric,unit,value` (noise floor, work per
/// quantum, deviating quanta, fraction of time lost, ...). A value that could
/// not be computed is `nan`.
public enum NoiseFile {
    public static let name = "noise.csv"

    public static let header = ["thread", "cpu", "metric", "unit", "value"]

    public struct Row: Sendable, Equatable {
        public var thread: Int
        public var cpu: Int
        public var metric: String
        public var unit: String
        public var value: Double

        public init(thread: Int, cpu: Int, metric: String, unit: String, value: Double) {
            self.thread = thread
            self.cpu = cpu
            self.metric = metric
            self.unit = unit
            self.value = value
        }

        /// NaN equals NaN here: a row read back is the row written.
        public static func == (a: Row, b: Row) -> Bool {
            a.thread == b.thread && a.cpu == b.cpu && a.metric == b.metric && a.unit == b.unit
                && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
        }
    }

    public static func cells(_ row: Row) -> [String] {
        [String(row.thread), String(row.cpu), row.metric, row.unit, CSVFormat.number(row.value)]
    }

    public static func table(_ rows: [Row]) -> CSVTable { CSVTable(header: header, rows: rows.map(cells)) }

    public static func write(_ rows: [Row], to path: FilePath) throws { try table(rows).write(to: path) }

    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        try CSVRecord.read(path: path, required: header, allowEmpty: true).records.map { r in
            Row(thread: try r.count(0), cpu: try r.count(1), metric: r.text(2), unit: r.text(3), value: try r.double(4))
        }
    }
}
