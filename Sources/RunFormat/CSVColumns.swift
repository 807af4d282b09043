/// Where a file format's columns are in one file: found by name in the header,
/// in any order, extra columns ignored. Data rows are split against it.
///
/// Columns are numbered by the format (`names`: the required ones, then the
/// optional ones); `split` puts each row's cells into slots in that order, so a
/// reader asks for "column 3 of my format" without looking at the header again.
public struct CSVColumns: Sendable {
    /// The format's column names, required first.
    public let names: [String]
    /// The header's cells, as written (unquoted, without surrounding spaces).
    public let header: [String]
    /// For each header position, the format column it holds, or -1.
    private let slotOfPosition: [Int]
    /// For each format column, its position in the header, or -1 when the file lacks it.
    public let positions: [Int]

    /// Locates `required` and `optional` columns in the header `line`.
    /// - Throws: `InputFileError.missingColumn` for a required column the header lacks.
    public init(header line: UnsafeBufferPointer<UInt8>, required: [String], optional: [String] = [],
                path: String, line lineNumber: Int) throws {
        var cells: [String] = []
        CSVCells.forEach(in: line) { cells.append(CSVCells.text($0)) }
        try self.init(header: cells, required: required, optional: optional, path: path, line: lineNumber)
    }

    /// Locates `required` and `optional` columns among the header `cells`.
    public init(header cells: [String], required: [String], optional: [String] = [],
                path: String, line lineNumber: Int) throws {
        header = cells
        names = required + optional
        var slots = [Int](repeating: -1, count: cells.count)
        var positions = [Int](repeating: -1, count: names.count)
        for (slot, name) in names.enumerated() {
            guard let position = cells.firstIndex(of: name) else {
                if slot < required.count {
                    throw InputFileError(path: path, line: lineNumber, problem: .missingColumn(name))
                }
                continue
            }
            slots[position] = slot
            positions[slot] = position
        }
        slotOfPosition = slots
        self.positions = positions
    }

    /// The header position of a column by name (any column, not only the format's).
    public func position(of name: String) -> Int? { header.firstIndex(of: name) }

    /// Cells per row: the header's count.
    public var count: Int { header.count }

    /// Splits a data row, putting the cell of each format column into
    /// `slots[column]` (columns the file lacks keep an empty cell).
    /// - Throws: `InputFileError.wrongCellCount` when the row's cell count is not the header's.
    @inline(__always)
    public func split(_ line: UnsafeBufferPointer<UInt8>, into slots: UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>,
                      path: String, line lineNumber: Int) throws {
        var position = 0
        slotOfPosition.withUnsafeBufferPointer { roles in
            CSVCells.forEach(in: line) { cell in
                if position < roles.count, roles[position] >= 0 { slots[roles[position]] = cell }
                position += 1
            }
        }
        guard position == slotOfPosition.count else {
            throw InputFileError(path: path, line: lineNumber,
                                 problem: .wrongCellCount(expected: slotOfPosition.count, found: position))
        }
    }
}

/// CSV cells as bytes (RFC 4180 as kbench writes it): cells separated by
/// commas; a cell that starts with `"` runs to its closing quote, so quoted text
/// may hold commas, and `""` inside it is one quote.
public enum CSVCells {
    /// Calls `body` with each cell of `line`, quotes and spaces included.
    @inline(__always)
    public static func forEach(in line: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let count = line.count
        var position = 0
        var cellStart = 0
        while true {
            // Leading spaces, then an optional quoted part.
            var probe = position
            while probe < count, line[probe] == 0x20 { probe += 1 }
            if probe < count, line[probe] == 0x22 {
                position = probe + 1
                while position < count {
                    if line[position] == 0x22 {
                        if position + 1 < count, line[position + 1] == 0x22 { position += 2; continue }
                        break
                    }
                    position += 1
                }
            }
            while position < count, line[position] != 0x2C { position += 1 }
            body(UnsafeBufferPointer(rebasing: line[cellStart..<position]))
            if position >= count { return }
            position += 1
            cellStart = position
        }
    }

    /// The text of a cell: without surrounding spaces and tabs, unquoted, `""` as `"`.
    public static func text(_ cell: UnsafeBufferPointer<UInt8>) -> String {
        let trimmed = trimmed(cell)
        guard trimmed.count >= 2, trimmed.first == 0x22, trimmed.last == 0x22 else {
            return String(decoding: trimmed, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(trimmed.count)
        var i = 1
        while i < trimmed.count - 1 {
            bytes.append(trimmed[i])
            i += trimmed[i] == 0x22 && trimmed[i + 1] == 0x22 ? 2 : 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The cell without leading and trailing spaces and tabs: the one trim of
    /// CSV input, for text and numbers alike.
    @inline(__always)
    public static func trimmed(_ cell: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = cell.count
        while start < end, cell[start] == 0x20 || cell[start] == 0x09 { start += 1 }
        while end > start, cell[end - 1] == 0x20 || cell[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: cell[start..<end])
    }
}
