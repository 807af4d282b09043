/// A table of results ready to be written as CSV by the caller.
///
/// AnalysisKit computes; it never writes files. The `analysis` tool hands each table to
/// BenchKit's atomic writer. Rows are produced on demand rather than stored, because a
/// spectrum of a 2^24-sample trace has 8 million rows and materialising them as
/// `[[String]]` would cost far more memory than the spectrum itself.
///
/// Cells are plain strings; AnalysisKit never puts commas, quotes or newlines in them
/// (labels are sanitised), so a writer that does not quote still produces valid CSV.
public struct CSVTable: Sendable {
    /// Column names, units in the names (`freq_hz`, `power`).
    public let header: [String]
    /// Number of data rows (the header not counted).
    public let rowCount: Int
    private let makeRow: @Sendable (Int) -> [String]

    /// A table whose row `i` (0-based, `0..<rowCount`) is `makeRow(i)`.
    public init(header: [String], rowCount: Int, makeRow: @escaping @Sendable (Int) -> [String]) {
        self.header = header
        self.rowCount = rowCount
        self.makeRow = makeRow
    }

    /// A table from rows already in memory (small tables: peaks, summaries).
    public init(header: [String], rows: [[String]]) {
        self.init(header: header, rowCount: rows.count) { rows[$0] }
    }

    /// Row `index`, `0..<rowCount`.
    public func row(_ index: Int) -> [String] { makeRow(index) }

    /// The rows, produced lazily one at a time.
    public var rows: LazyMapSequence<Range<Int>, [String]> { (0..<rowCount).lazy.map(makeRow) }

    /// The whole table as CSV text, header first, `\n` line ends. For small tables and tests.
    public var text: String {
        var out = header.joined(separator: ",") + "\n"
        for row in rows { out += row.joined(separator: ",") + "\n" }
        return out
    }
}

/// Formatting of numbers in CSV cells: shortest round-trip form (`250.0`, `1.5e-05`), so
/// nothing is lost between AnalysisKit and a reader such as numpy.
@inlinable
func csvNumber(_ value: Double) -> String { value.description }
