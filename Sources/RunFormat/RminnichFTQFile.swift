/// The output of rminnich/ftq (`ftq -o NAME` writes `NAME_<thread>.dat`, or
/// stdout with `-s`): `#` header lines, among them `# Frequency <Hz>`,
/// `# Ticks per ns: <r>`, `# thread <t>, core <c>`, the uname fields after
/// `# Linux` and the measured core's /proc/cpuinfo lines; then one row per
/// quantum, in order, "<time> <count>": when ftq recorded the quantum, in ns
/// since the first (older versions wrote raw TSC ticks), and the work count.
/// A quantum ftq missed entirely is a row with count 0 recorded late, when the
/// thread got back: the row's position, not its time, is its quantum.
///
/// Read for `analysis import`; kbench never writes this format.
public enum RminnichFTQFile {
    public static let tool = "rminnich/ftq"

    /// What the header says.
    public struct Header: Sendable, Equatable {
        /// Samples per second (`# Frequency`).
        public var frequencyHz: Double?
        /// TSC ticks per ns (`# Ticks per ns:`).
        public var ticksPerNs: Double?
        public var thread: Int?
        /// The core, when ftq knew it (it prints -1 when it did not).
        public var core: Int?
        public var host: String?
        public var kernelRelease: String?
        public var cpuModel: String?
        public init() {}
    }

    /// One quantum.
    public struct Sample: Sendable, Equatable {
        /// The first column as written (ns since the first quantum, or ticks).
        public var time: Int64
        public var count: Int64
    }

    /// Reads the header, then calls `body(sample, line)` for each row.
    /// - Throws: `InputFileError` naming the file and line: a row that is not
    ///   two non-negative integers, a header without `# Frequency`, no rows.
    @discardableResult
    public static func read(path: String, _ body: (Header, Sample, Int) throws -> Void) throws -> Header {
        var header = Header()
        var unameLine: Int?  // the line of "# Linux": nodename and release follow it
        var rows = 0, lines = 0
        try ForeignTextLines.forEach(path: path, tool: tool) { line, number in
            lines = number
            if line.hasPrefix("#") {
                guard rows == 0 else { return }  // a comment after the data: ignored
                let text = line.dropFirst().trimmingCharacters()
                if text.hasPrefix("Frequency ") {
                    header.frequencyHz = try ForeignTextLines.positiveNumber(
                        after: "Frequency ", in: text, path: path, number: number, column: "# Frequency")
                } else if text.hasPrefix("Ticks per ns:") {
                    header.ticksPerNs = try ForeignTextLines.positiveNumber(
                        after: "Ticks per ns:", in: text, path: path, number: number, column: "# Ticks per ns")
                } else if text.hasPrefix("thread "), text.contains(", core ") {
                    let parts = text.dropFirst("thread ".count).split(separator: ",")
                    header.thread = parts.first.flatMap { Int($0.trimmingCharacters()) }.flatMap { $0 >= 0 ? $0 : nil }
                    header.core = parts.dropFirst().first.flatMap { Int($0.trimmingCharacters().dropFirst("core ".count)) }
                        .flatMap { (0..<(1 << 20)).contains($0) ? $0 : nil }
                } else if text == "Linux" {
                    unameLine = number
                } else if let start = unameLine, number == start + 1 {
                    header.host = text.isEmpty ? nil : String(text.prefix(256))
                } else if let start = unameLine, number == start + 2 {
                    header.kernelRelease = text.isEmpty ? nil : String(text.prefix(256))
                } else if text.hasPrefix("model name"), let colon = text.firstIndex(of: ":") {
                    let model = text[text.index(after: colon)...].trimmingCharacters()
                    if header.cpuModel == nil, !model.isEmpty { header.cpuModel = String(model.prefix(256)) }
                }
                return
            }
            let fields = ForeignTextLines.fields(line)
            if fields.isEmpty { return }
            guard header.frequencyHz != nil else {
                throw InputFileError(path: path, line: number, problem: .notToolOutput(
                    tool: tool, reason: "a data row before the '# Frequency' header line"))
            }
            guard fields.count == 2 else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: 2, found: fields.count))
            }
            let sample = Sample(time: try ForeignTextLines.count(fields[0], column: "time", path: path, line: number),
                                count: try ForeignTextLines.count(fields[1], column: "count", path: path, line: number))
            rows += 1
            try body(header, sample, number)
        }
        guard lines > 0 else { throw InputFileError(path: path, problem: .empty) }
        guard header.frequencyHz != nil else {
            throw InputFileError(path: path, problem: .notToolOutput(tool: tool, reason: "no '# Frequency' header line"))
        }
        guard rows > 0 else { throw InputFileError(path: path, line: lines, problem: .noDataRows) }
        return header
    }
}
