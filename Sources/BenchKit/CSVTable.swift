import SystemPackage

/// How kbench formats CSV cells: numbers in their shortest exact form, text
/// quoted only when it must be (RFC 4180).
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

/// A small CSV table held in memory (summaries, peaks, spectra): a header and
/// rows of cells, written atomically.
public struct CSVTable: Sendable {
    public let header: [String]
    public private(set) var rows: [[String]] = []

    public init(header: [String]) { self.header = header }

    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count,
                     "CSV row has \(row.count) cells for \(header.count) columns (\(header.joined(separator: ",")))")
        rows.append(row)
    }

    public func write(to path: FilePath) throws {
        let writer = try AtomicFileWriter(path: path)
        for line in [header] + rows {
            try writer.write(line.map(CSVFormat.escape).joined(separator: ","))
            try writer.write(byte: UInt8(ascii: "\n"))
        }
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
