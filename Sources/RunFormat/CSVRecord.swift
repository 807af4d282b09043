/// One data row of a small CSV file (a summary, peaks, interrupt counts), with
/// typed accessors that name the file, line and column when a cell is wrong.
///
/// Small files are read whole into records (`CSVRecord.read`); the files of
/// millions of rows (ftq.csv, attempts.csv, spectra) are streamed through
/// `CSVColumns.split` and `ByteNumbers` instead, without a String per cell.
public struct CSVRecord: Sendable {
    public let path: String
    /// 1-based line in the file.
    public let line: Int
    public let columns: CSVColumns
    /// Every cell of the row, in header order (unquoted, without surrounding spaces).
    public let row: [String]

    /// The text of the format's column `column` (an index into `columns.names`);
    /// "" for an optional column the file lacks.
    public func text(_ column: Int) -> String {
        let position = columns.positions[column]
        return position >= 0 ? row[position] : ""
    }

    /// Whether the file has the format's column `column` (always true for a required one).
    public func has(_ column: Int) -> Bool { columns.positions[column] >= 0 }

    /// The text of any header column by name, nil when the header has no such column.
    public func text(named name: String) -> String? { columns.position(of: name).map { row[$0] } }

    public func int(_ column: Int) throws -> Int {
        guard let value = Int(text(column)) else { throw notANumber(column) }
        return value
    }

    /// A count or index: an integer that is 0 or more (a negative count is not data).
    public func count(_ column: Int) throws -> Int {
        let value = try int(column)
        guard value >= 0 else {
            throw error(.outOfRange(column: columns.names[column], cell: String(text(column).prefix(40)),
                                    allowed: "must be 0 or more"))
        }
        return value
    }

    public func uint64(_ column: Int) throws -> UInt64 {
        guard let value = UInt64(text(column)) else { throw notANumber(column) }
        return value
    }

    /// A number as kbench writes it: decimal, or `nan`, `inf`, `-inf`.
    public func double(_ column: Int) throws -> Double {
        var cell = text(column)
        guard let value = cell.withUTF8({ ByteNumbers.writtenDouble($0) }) else { throw notANumber(column) }
        return value
    }

    /// A number in any header column by name (`double(_:)`'s rules).
    public func double(named name: String) throws -> Double {
        let cell = text(named: name) ?? ""
        var text = cell
        guard let value = text.withUTF8({ ByteNumbers.writtenDouble($0) }) else {
            throw error(.notANumber(column: name, cell: String(cell.prefix(40))))
        }
        return value
    }

    /// `true`/`false` (also `1`/`0`).
    public func bool(_ column: Int) throws -> Bool {
        switch text(column) {
        case "true", "1": return true
        case "false", "0": return false
        default: throw error(.notABoolean(column: columns.names[column], cell: String(text(column).prefix(40))))
        }
    }

    /// An error at this record's line.
    public func error(_ problem: InputFileError.Problem) -> InputFileError {
        InputFileError(path: path, line: line, problem: problem)
    }

    private func notANumber(_ column: Int) -> InputFileError {
        error(.notANumber(column: columns.names[column], cell: String(text(column).prefix(40))))
    }

    /// The records of the CSV file at `path`, with `required` (and any `optional`)
    /// columns located by name. Blank lines are skipped.
    /// - Throws: `InputFileError` for an unreadable or empty file, a missing
    ///   column, a row with the wrong cell count, or (unless `allowEmpty`) no rows.
    public static func read(path: String, required: [String], optional: [String] = [],
                            allowEmpty: Bool = false) throws -> (columns: CSVColumns, records: [CSVRecord]) {
        try collect(path: path, required: required, optional: optional, allowEmpty: allowEmpty) {
            try ByteLineReader(path: path).forEachLine($0)
        }
    }

    /// `read` on text already in memory; `path` names it in errors.
    public static func parse(_ text: String, path: String, required: [String], optional: [String] = [],
                             allowEmpty: Bool = false) throws -> (columns: CSVColumns, records: [CSVRecord]) {
        try collect(path: path, required: required, optional: optional, allowEmpty: allowEmpty) {
            try ByteLineReader.forEachLine(inText: text, $0)
        }
    }

    private static func collect(path: String, required: [String], optional: [String], allowEmpty: Bool,
                                lines: ((UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws -> Void)
        throws -> (columns: CSVColumns, records: [CSVRecord]) {
        var columns: CSVColumns?
        var headerLine = 0
        var records: [CSVRecord] = []
        try lines { line, number in
            if CSVCells.trimmed(line).isEmpty { return }
            guard let map = columns else {
                columns = try CSVColumns(header: line, required: required, optional: optional, path: path, line: number)
                headerLine = number
                return
            }
            var cells: [String] = []
            cells.reserveCapacity(map.count)
            CSVCells.forEach(in: line) { cells.append(CSVCells.text($0)) }
            guard cells.count == map.count else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: map.count, found: cells.count))
            }
            records.append(CSVRecord(path: path, line: number, columns: map, row: cells))
        }
        guard let columns else { throw InputFileError(path: path, problem: .empty) }
        if records.isEmpty, !allowEmpty {
            throw InputFileError(path: path, line: headerLine + 1, problem: .noDataRows)
        }
        return (columns, records)
    }
}
