import SystemPackage

/// Writes one CSV file: the header, then rows of typed cells, atomically
/// (`AtomicFileWriter`). Commas go between cells by themselves; numbers are
/// formatted into the write buffer without a String per cell, so a file of
/// millions of rows costs little more than its bytes (about 30 ns a number).
///
///     let csv = try CSVWriter(path: path, header: ["freq_hz", "power"])
///     for k in bins { try csv.cell(freq[k]); try csv.cell(power[k]); try csv.endRow() }
///     try csv.commit()
///
/// Every row must have as many cells as the header: a mismatch is a bug in the
/// writer, caught by a precondition rather than written as a malformed file.
public final class CSVWriter {
    public let path: FilePath
    public let header: [String]
    private let file: AtomicFileWriter
    private var cellsInRow = 0

    public init(path: FilePath, header: [String]) throws {
        self.path = path
        self.header = header
        file = try AtomicFileWriter(path: path)
        for name in header { try cell(name) }
        try endRow()
    }

    @inline(__always)
    private func separate() throws {
        if cellsInRow > 0 { try file.write(byte: UInt8(ascii: ",")) }
        cellsInRow += 1
    }

    @inline(__always)
    public func cell(_ value: Int) throws { try separate(); try file.write(Int64(value)) }

    @inline(__always)
    public func cell(_ value: Int64) throws { try separate(); try file.write(value) }

    @inline(__always)
    public func cell(_ value: UInt64) throws { try separate(); try file.write(value) }

    /// The shortest form that reads back exactly (`CSVFormat.appendNumber`).
    @inline(__always)
    public func cell(_ value: Double) throws { try separate(); try file.write(value) }

    /// `true` or `false`.
    public func cell(_ value: Bool) throws { try separate(); try file.write(value ? "true" : "false") }

    /// Text, quoted when it must be (`CSVFormat.escape`).
    public func cell(_ text: String) throws { try separate(); try file.write(CSVFormat.escape(text)) }

    /// Ends the row; it must have one cell per column.
    @inline(__always)
    public func endRow() throws {
        precondition(cellsInRow == header.count,
                     "\(path): CSV row has \(cellsInRow) cells for \(header.count) columns (\(header.joined(separator: ",")))")
        cellsInRow = 0
        try file.write(byte: UInt8(ascii: "\n"))
    }

    /// Syncs the file and gives it its final name.
    public func commit() throws {
        precondition(cellsInRow == 0, "\(path): unfinished CSV row at commit")
        try file.commit()
    }
}
