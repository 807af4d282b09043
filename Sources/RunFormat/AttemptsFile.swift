import SystemPackage

/// attempts.csv: every recorded lock attempt of a lockbench run, in TSC ticks
/// since the run's common start: `thread,attempt,pre_ticks,acq_ticks,rel_ticks`
/// (before asking, acquired, released). Tens of millions of rows: written and
/// read as a stream.
public enum AttemptsFile {
    public static let name = "attempts.csv"

    public static let header = ["thread", "attempt", "pre_ticks", "acq_ticks", "rel_ticks"]

    public struct Row: Sendable, Equatable {
        public var thread: Int
        public var attempt: Int
        public var preTicks: UInt64
        public var acquiredTicks: UInt64
        public var releasedTicks: UInt64

        public init(thread: Int, attempt: Int, preTicks: UInt64, acquiredTicks: UInt64, releasedTicks: UInt64) {
            self.thread = thread
            self.attempt = attempt
            self.preTicks = preTicks
            self.acquiredTicks = acquiredTicks
            self.releasedTicks = releasedTicks
        }
    }

    /// Streams rows into the file; `commit()` gives it its final name.
    public final class Writer {
        private let csv: CSVWriter

        public init(path: FilePath) throws {
            csv = try CSVWriter(path: path, header: AttemptsFile.header)
        }

        @inline(__always)
        public func append(thread: Int, attempt: Int, preTicks: UInt64, acquiredTicks: UInt64,
                           releasedTicks: UInt64) throws {
            try csv.cell(thread); try csv.cell(attempt)
            try csv.cell(preTicks); try csv.cell(acquiredTicks); try csv.cell(releasedTicks)
            try csv.endRow()
        }

        public func commit() throws { try csv.commit() }
    }

    /// Calls `body(row, line)` for each attempt in file order.
    /// - Throws: `InputFileError` naming the file and line of the first bad row.
    public static func forEachRow(path: String, _ body: (Row, Int) throws -> Void) throws {
        var columns: CSVColumns?
        try withUnsafeTemporaryAllocation(of: UnsafeBufferPointer<UInt8>.self, capacity: header.count) { slots in
            slots.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0))
            try ByteLineReader(path: path).forEachLine { line, lineNumber in
                if line.isEmpty { return }
                guard let map = columns else {
                    columns = try CSVColumns(header: line, required: header, path: path, line: lineNumber)
                    return
                }
                try map.split(line, into: slots, path: path, line: lineNumber)
                func count(_ slot: Int) throws -> UInt64 {
                    guard let value = ByteNumbers.uint64(slots[slot]) else {
                        throw notANumber(slots[slot], header[slot], path, lineNumber)
                    }
                    return value
                }
                let thread = try count(0), attempt = try count(1)
                guard let thread = Int(exactly: thread) else { throw notANumber(slots[0], header[0], path, lineNumber) }
                guard let attempt = Int(exactly: attempt) else { throw notANumber(slots[1], header[1], path, lineNumber) }
                try body(Row(thread: thread, attempt: attempt, preTicks: try count(2),
                             acquiredTicks: try count(3), releasedTicks: try count(4)), lineNumber)
            }
            guard columns != nil else { throw InputFileError(path: path, problem: .empty) }
        }
    }

    /// Every row (small files and tests).
    public static func read(path: String) throws -> [Row] {
        var rows: [Row] = []
        try forEachRow(path: path) { row, _ in rows.append(row) }
        return rows
    }
}
