import SystemPackage

/// A CSV table as text cells: a header and rows, for the small files (summaries,
/// peaks, interrupt counts) and for tests that look at cells. Large files are
/// streamed with `CSVWriter` instead.
///
/// A table may also produce each row on demand (`init(header:rowCount:makeRow:)`),
/// so a view of a large table costs no more memory than the data it is made from.
public struct CSVTable: Sendable {
    public let header: [String]
    private var stored: [[String]]
    private let generated: (count: Int, makeRow: @Sendable (Int) -> [String])?

    /// An empty table to `append` rows to.
    public init(header: [String]) {
        self.header = header
        stored = []
        generated = nil
    }

    /// A table of rows already in memory.
    public init(header: [String], rows: [[String]]) {
        self.init(header: header)
        for row in rows { append(row) }
    }

    /// A table whose row `i` (`0..<rowCount`) is `makeRow(i)`, made when needed.
    public init(header: [String], rowCount: Int, makeRow: @escaping @Sendable (Int) -> [String]) {
        self.header = header
        stored = []
        generated = (rowCount, makeRow)
    }

    public mutating func append(_ row: [String]) {
        precondition(generated == nil, "cannot append to a generated CSV table")
        precondition(row.count == header.count,
                     "CSV row has \(row.count) cells for \(header.count) columns (\(header.joined(separator: ",")))")
        stored.append(row)
    }

    public var rowCount: Int { generated?.count ?? stored.count }

    public func row(_ index: Int) -> [String] { generated.map { $0.makeRow(index) } ?? stored[index] }

    /// The rows, made one at a time for a generated table.
    public var rows: LazyMapCollection<Range<Int>, [String]> { (0..<rowCount).lazy.map(row) }

    /// The whole table as CSV text (small tables and tests).
    public var text: String {
        ([header] + Array(rows)).map { $0.map(CSVFormat.escape).joined(separator: ",") + "\n" }.joined()
    }

    public func write(to path: FilePath) throws {
        let writer = try CSVWriter(path: path, header: header)
        for row in rows {
            for cell in row { try writer.cell(cell) }
            try writer.endRow()
        }
        try writer.commit()
    }
}
