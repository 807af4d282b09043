import SystemPackage

/// ftq.csv and fwq.csv: one row per sample of every sampler thread,
/// `thread,cpu,quantum,start_ns,work` (FTQ: work units done in each fixed
/// quantum) or `thread,cpu,index,start_ns,duration_ns` (FWQ: time each fixed
/// amount of work took). `start_ns` counts from the run's start.
///
/// Built for size: a 10-minute run at 10 kHz on several CPUs is tens of
/// millions of rows. The writer formats integers straight into its buffer; the
/// reader streams the file through a 1 MiB buffer and parses bytes, calling
/// back with each row, so memory is whatever the caller keeps.
public struct SamplerTraceFile: Sendable, Equatable {
    /// Which of the two files.
    public enum Kind: String, Sendable, CaseIterable {
        case ftq, fwq
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public static let ftq = SamplerTraceFile(.ftq)
    public static let fwq = SamplerTraceFile(.fwq)

    /// `ftq.csv` or `fwq.csv`.
    public var name: String { "\(kind.rawValue).csv" }

    /// The columns: thread, cpu, sample index, start, value.
    public var header: [String] {
        switch kind {
        case .ftq: ["thread", "cpu", "quantum", "start_ns", "work"]
        case .fwq: ["thread", "cpu", "index", "start_ns", "duration_ns"]
        }
    }

    /// One sample.
    public struct Row: Sendable, Equatable {
        public var thread: Int
        public var cpu: Int
        /// The `quantum` (or `index`) column. Read but not interpreted: checks use
        /// `start_ns`, so a reader does not depend on numbering from 0 or 1.
        public var index: Double
        /// Nanoseconds since the run's start (a decimal in a converted trace is
        /// rounded to the nanosecond).
        public var startNs: Int64
        /// Work units (FTQ) or nanoseconds (FWQ).
        public var value: Double

        public init(thread: Int, cpu: Int, index: Double, startNs: Int64, value: Double) {
            self.thread = thread
            self.cpu = cpu
            self.index = index
            self.startNs = startNs
            self.value = value
        }
    }

    // MARK: Writing

    /// Streams rows into the file; `commit()` gives it its final name.
    public final class Writer {
        private let csv: CSVWriter

        public init(_ format: SamplerTraceFile, path: FilePath) throws {
            csv = try CSVWriter(path: path, header: format.header)
        }

        /// One sample: all integers, as the sampler records them.
        @inline(__always)
        public func append(thread: Int, cpu: Int, index: Int, startNs: Int64, value: UInt64) throws {
            try csv.cell(thread); try csv.cell(cpu); try csv.cell(index)
            try csv.cell(startNs); try csv.cell(value)
            try csv.endRow()
        }

        public func commit() throws { try csv.commit() }
    }

    // MARK: Reading

    /// Calls `body(row, line)` for each sample, in file order (columns found by
    /// name, in any order, extra columns ignored; blank lines skipped).
    /// - Throws: `InputFileError` for a missing column, a wrong cell count or a
    ///   cell that is not a number, naming the file and line; `.empty` for a file
    ///   without a header, `.noDataRows` for one without rows; or what `body` throws.
    public func forEachRow(path: String, _ body: (Row, Int) throws -> Void) throws {
        var columns: CSVColumns?
        let names = header
        try withUnsafeTemporaryAllocation(of: UnsafeBufferPointer<UInt8>.self, capacity: names.count) { slots in
            slots.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0))
            var rows = 0
            try ByteLineReader(path: path).forEachLine { line, lineNumber in
                if line.isEmpty { return }
                guard let map = columns else {
                    columns = try CSVColumns(header: line, required: names, path: path, line: lineNumber)
                    return
                }
                try map.split(line, into: slots, path: path, line: lineNumber)
                let row = Row(
                    thread: try integer(slots[0], names[0], path, lineNumber),
                    cpu: try integer(slots[1], names[1], path, lineNumber),
                    index: try number(slots[2], names[2], path, lineNumber),
                    startNs: try timestamp(slots[3], names[3], path, lineNumber),
                    value: try sampleValue(slots[4], names[4], path, lineNumber))
                rows += 1
                try body(row, lineNumber)
            }
            guard columns != nil else { throw InputFileError(path: path, problem: .empty) }
            guard rows > 0 else { throw InputFileError(path: path, line: 2, problem: .noDataRows) }
        }
    }

    /// Every row of the file (small traces and tests; large ones use `forEachRow`).
    public func read(path: String) throws -> [Row] {
        var rows: [Row] = []
        try forEachRow(path: path) { row, _ in rows.append(row) }
        return rows
    }
}

/// `thread` and `cpu`: non-negative integers.
@inline(__always)
private func integer(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ path: String, _ line: Int) throws -> Int {
    guard let value = ByteNumbers.int64(cell), let narrow = Int(exactly: value) else {
        throw notANumber(cell, column, path, line)
    }
    guard narrow >= 0 else { throw outOfRange(cell, column, "must be 0 or more", path, line) }
    return narrow
}

/// `work` or `duration_ns`: a count, so not negative. (Any UInt64 the writer takes
/// reads back; an analysis bounds it further: `TraceReader.largestWork`.)
@inline(__always)
private func sampleValue(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ path: String, _ line: Int) throws -> Double {
    let value = try number(cell, column, path, line)
    guard value >= 0 else { throw outOfRange(cell, column, "must be 0 or more", path, line) }
    return value
}

@inline(__always)
private func number(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ path: String, _ line: Int) throws -> Double {
    guard let value = ByteNumbers.double(cell) else { throw notANumber(cell, column, path, line) }
    return value
}

/// `start_ns`: an integer, or a decimal rounded to the nanosecond (converted traces).
@inline(__always)
private func timestamp(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ path: String, _ line: Int) throws -> Int64 {
    var parsed: Int64?
    if let value = ByteNumbers.int64(cell) {
        parsed = value
    } else if let value = ByteNumbers.double(cell) {
        guard let rounded = Int64(exactly: value.rounded()) else {
            throw outOfRange(cell, column, "an Int64 of nanoseconds", path, line)
        }
        parsed = rounded
    }
    // Below 0 is allowed: a sampler whose TSC is a few ns behind the coordinator's
    // starts "before" the run's common start.
    guard let parsed else { throw notANumber(cell, column, path, line) }
    return parsed
}

func outOfRange(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ allowed: String, _ path: String,
                _ line: Int) -> InputFileError {
    let text = String(decoding: CSVCells.trimmed(cell).prefix(40), as: UTF8.self)
    return InputFileError(path: path, line: line, problem: .outOfRange(column: column, cell: text, allowed: allowed))
}

func notANumber(_ cell: UnsafeBufferPointer<UInt8>, _ column: String, _ path: String, _ line: Int) -> InputFileError {
    let text = String(decoding: cell.prefix(40), as: UTF8.self)
    return InputFileError(path: path, line: line, problem: .notANumber(column: column, cell: text))
}
