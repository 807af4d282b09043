import SystemPackage

/// peaks.csv of `analysis spectrum`: the spectrum's peaks with their harmonic
/// family and likely source,
/// `freq_hz,power,prominence_db,harmonic_of_hz,label`, with a leading
/// `thread` column when the trace had several sampler threads.
public enum PeaksFile {
    public static let name = "peaks.csv"

    public static let columns = ["freq_hz", "power", "prominence_db", "harmonic_of_hz", "label"]

    public static func header(threaded: Bool) -> [String] { threaded ? ["thread"] + columns : columns }

    public struct Row: Sendable, Equatable {
        public var thread: Int?
        public var frequencyHz: Double
        public var power: Double
        /// dB over the local noise floor (inf over a zero floor).
        public var prominenceDb: Double
        /// The family's fundamental (the peak's own frequency for a fundamental).
        public var harmonicOfHz: Double
        /// The likely source (`timer tick (CONFIG_HZ=250)`, `unknown`, ...).
        public var label: String

        public init(thread: Int?, frequencyHz: Double, power: Double, prominenceDb: Double,
                    harmonicOfHz: Double, label: String) {
            self.thread = thread
            self.frequencyHz = frequencyHz
            self.power = power
            self.prominenceDb = prominenceDb
            self.harmonicOfHz = harmonicOfHz
            self.label = label
        }
    }

    public static func cells(_ row: Row) -> [String] {
        (row.thread.map { [String($0)] } ?? [])
            + [row.frequencyHz, row.power, row.prominenceDb, row.harmonicOfHz].map(CSVFormat.number) + [row.label]
    }

    /// The table of `rows`; threaded when the rows carry threads.
    public static func table(_ rows: [Row], threaded: Bool) -> CSVTable {
        CSVTable(header: header(threaded: threaded), rows: rows.map(cells))
    }

    public static func write(_ rows: [Row], threaded: Bool, to path: FilePath) throws {
        try table(rows, threaded: threaded).write(to: path)
    }

    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        try CSVRecord.read(path: path, required: columns, optional: ["thread"], allowEmpty: true).records.map { r in
            Row(thread: r.has(5) ? try r.count(5) : nil, frequencyHz: try r.double(0), power: try r.double(1),
                prominenceDb: try r.double(2), harmonicOfHz: try r.double(3), label: r.text(4))
        }
    }
}
