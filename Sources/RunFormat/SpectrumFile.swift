import SystemPackage

/// spectrum.csv and spectrum_<Z>hz.csv of `analysis spectrum`: a power
/// spectral density, `freq_hz,power` (work²/Hz), or `thread,freq_hz,power`
/// when the trace had several sampler threads (all in one file).
///
/// A 2^24-sample trace has an 8-million-row spectrum: rows are streamed, each
/// number formatted straight into the write buffer.
public enum SpectrumFile {
    public static let name = "spectrum.csv"

    /// The file of the spectrum zoomed to 0...`hz`: `spectrum_3000hz.csv`.
    public static func zoomName(hz: Double) -> String { "spectrum_\(CSVFormat.number(hz))hz.csv" }

    /// The columns; `thread` leads when the file holds several threads.
    public static func header(threaded: Bool) -> [String] {
        threaded ? ["thread", "freq_hz", "power"] : ["freq_hz", "power"]
    }

    public struct Row: Sendable, Equatable {
        /// The sampler thread, when the file has a `thread` column.
        public var thread: Int?
        public var frequencyHz: Double
        public var power: Double

        public init(thread: Int?, frequencyHz: Double, power: Double) {
            self.thread = thread
            self.frequencyHz = frequencyHz
            self.power = power
        }
    }

    public static func cells(_ row: Row) -> [String] {
        (row.thread.map { [String($0)] } ?? []) + [CSVFormat.number(row.frequencyHz), CSVFormat.number(row.power)]
    }

    /// Streams bins into the file; `commit()` gives it its final name.
    public final class Writer {
        private let csv: CSVWriter
        public let threaded: Bool

        public init(path: FilePath, threaded: Bool) throws {
            self.threaded = threaded
            csv = try CSVWriter(path: path, header: SpectrumFile.header(threaded: threaded))
        }

        /// One bin; `thread` must be given exactly when the file is `threaded`.
        @inline(__always)
        public func append(thread: Int?, frequencyHz: Double, power: Double) throws {
            if threaded { try csv.cell(thread ?? 0) }
            try csv.cell(frequencyHz)
            try csv.cell(power)
            try csv.endRow()
        }

        public func commit() throws { try csv.commit() }
    }

    /// Calls `body(row, line)` for each bin; `thread` is read when the header has it.
    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func forEachRow(path: String, _ body: (Row, Int) throws -> Void) throws {
        var columns: CSVColumns?
        let names = ["freq_hz", "power", "thread"]
        try withUnsafeTemporaryAllocation(of: UnsafeBufferPointer<UInt8>.self, capacity: names.count) { slots in
            slots.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0))
            try ByteLineReader(path: path).forEachLine { line, lineNumber in
                if line.isEmpty { return }
                guard let map = columns else {
                    columns = try CSVColumns(header: line, required: ["freq_hz", "power"], optional: ["thread"],
                                             path: path, line: lineNumber)
                    return
                }
                try map.split(line, into: slots, path: path, line: lineNumber)
                var thread: Int?
                if map.positions[2] >= 0 {
                    guard let value = ByteNumbers.int64(slots[2]), let narrow = Int(exactly: value) else {
                        throw notANumber(slots[2], "thread", path, lineNumber)
                    }
                    thread = narrow
                }
                guard let frequency = ByteNumbers.writtenDouble(slots[0]) else {
                    throw notANumber(slots[0], "freq_hz", path, lineNumber)
                }
                guard let power = ByteNumbers.writtenDouble(slots[1]) else {
                    throw notANumber(slots[1], "power", path, lineNumber)
                }
                try body(Row(thread: thread, frequencyHz: frequency, power: power), lineNumber)
            }
            guard columns != nil else { throw InputFileError(path: path, problem: .empty) }
        }
    }

    /// Every bin (zooms, tests; a full spectrum is better streamed).
    public static func read(path: String) throws -> [Row] {
        var rows: [Row] = []
        try forEachRow(path: path) { row, _ in rows.append(row) }
        return rows
    }
}
