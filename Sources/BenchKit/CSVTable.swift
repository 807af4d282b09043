import SystemPackage

/// How kbench formats CSV cells: numbers in their shortest exact form (whole
/// numbers without a fraction), text quoted only when it must be (RFC 4180).
public enum CSVFormat {
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public static func escape(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return cell
        }
        return "\"" + cell.replacingAll("\"", with: "\"\"") + "\""
    }
}

/// A CSV table: a header and rows of cells, written atomically.
///
/// Small tables (summaries, peaks) hold their rows; large ones (a spectrum of a
/// 2^24-sample trace has 8 million rows) produce each row on demand while it is
/// written, so the table costs no more memory than the data it is made from.
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
        let writer = try AtomicFileWriter(path: path)
        func writeLine(_ cells: [String]) throws {
            try writer.write(cells.map(CSVFormat.escape).joined(separator: ","))
            try writer.write(byte: UInt8(ascii: "\n"))
        }
        try writeLine(header)
        for line in rows { try writeLine(line) }
        try writer.commit()
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
