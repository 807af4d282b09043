import SystemPackage

/// preemptions.csv: the preemption rounds of a lockbench run under
/// `--preempt`: `round,start_ms,end_ms,victims` (victims: vcore numbers
/// separated by spaces).
public enum PreemptionsFile {
    public static let name = "preemptions.csv"

    public static let header = ["round", "start_ms", "end_ms", "victims"]

    public struct Row: Sendable, Equatable {
        public var round: Int
        public var startMs: Double
        public var endMs: Double
        public var victims: [Int]

        public init(round: Int, startMs: Double, endMs: Double, victims: [Int]) {
            self.round = round
            self.startMs = startMs
            self.endMs = endMs
            self.victims = victims
        }
    }

    public static func cells(_ row: Row) -> [String] {
        [String(row.round), CSVFormat.number(row.startMs), CSVFormat.number(row.endMs),
         row.victims.map(String.init).joined(separator: " ")]
    }

    public static func table(_ rows: [Row]) -> CSVTable { CSVTable(header: header, rows: rows.map(cells)) }

    public static func write(_ rows: [Row], to path: FilePath) throws { try table(rows).write(to: path) }

    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func read(path: String) throws -> [Row] {
        try CSVRecord.read(path: path, required: header, allowEmpty: true).records.map { r in
            let words = r.text(3).split(separator: " ")
            let victims = words.compactMap { Int($0) }
            guard victims.count == words.count else {
                throw r.error(.notANumber(column: "victims", cell: String(r.text(3).prefix(40))))
            }
            return Row(round: try r.count(0), startMs: try r.double(1), endMs: try r.double(2), victims: victims)
        }
    }
}
