/// Line-by-line reading of another tool's text output (rminnich/ftq, fwq,
/// cyclictest, oslat) for `analysis import`: each line as a String, split into
/// whitespace-separated fields, with the file and line for errors. Streams
/// through `ByteLineReader`, so a file of any size costs one buffer.
enum ForeignTextLines {
    /// Longest line kept as text; a longer one is refused (no tool writes one).
    static let longestLine = 64 << 10

    /// Calls `body(text, lineNumber)` for each line (blank lines included, CR stripped).
    static func forEach(path: String, tool: String, _ body: (String, Int) throws -> Void) throws {
        try ByteLineReader(path: path).forEachLine { bytes, number in
            guard bytes.count <= longestLine else {
                throw InputFileError(path: path, line: number, problem: .lineTooLong(limit: longestLine))
            }
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            try body(text, number)
        }
    }

    /// The fields of `line` split on spaces and tabs.
    static func fields(_ line: String) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    /// A non-negative integer field, or an error naming the column.
    static func count(_ field: Substring, column: String, path: String, line: Int) throws -> Int64 {
        guard let value = Int64(field) else {
            throw InputFileError(path: path, line: line,
                                 problem: .notANumber(column: column, cell: String(field.prefix(40))))
        }
        guard value >= 0 else {
            throw InputFileError(path: path, line: line, problem: .outOfRange(
                column: column, cell: String(field.prefix(40)), allowed: "must be 0 or more"))
        }
        return value
    }

    /// A finite positive number after `prefix` in a header line ("# Frequency 10000.0").
    static func positiveNumber(after prefix: String, in line: String, path: String, number: Int,
                               column: String) throws -> Double {
        let text = line.dropFirst(prefix.count).trimmingCharacters()
        guard let value = Double(text), value.isFinite, value > 0 else {
            throw InputFileError(path: path, line: number, problem: .outOfRange(
                column: column, cell: String(text.prefix(40)), allowed: "a positive number"))
        }
        return value
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingCharacters() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
