/// oslat's report (rt-tests): "Key: values" lines, one value per measured
/// core: `Core:` (the core numbers), `Counter Freq:`, one `NNN (us):` line per
/// bucket (the last one "including overflows"), `Minimum:`, `Average:`,
/// `Maximum:`, `Max-Min:`, `Duration:`. Bucket NNN counts the loop gaps of NNN
/// microseconds (rounded down).
///
/// Read for `analysis import`; kbench never writes this format.
public enum OslatHistogramFile {
    public static let tool = "oslat"

    public static let maximumCores = 4096
    public static let maximumBuckets = 1_000_000

    /// The report's header values besides the buckets.
    public struct Report: Sendable, Equatable {
        public var histograms: [LatencyHistogram]
        /// `Counter Freq:` of the first core, MHz.
        public var counterMHz: Double?
        /// `Duration:` of the first core, seconds.
        public var durationSeconds: Double?
    }

    /// - Throws: `InputFileError` naming the file and line.
    public static func read(path: String) throws -> Report {
        var cores: [Int]?
        var buckets: [(us: Int64, counts: [Int64])] = []
        var values: [String: [Double]] = [:]
        var lines = 0
        try ForeignTextLines.forEach(path: path, tool: tool) { line, number in
            lines = number
            guard let colon = line.firstIndex(of: ":") else { return }  // "oslat V 2.40", blank lines
            let key = line[..<colon].trimmingCharacters()
            // Values, without the unit words oslat appends.
            let fields = ForeignTextLines.fields(String(line[line.index(after: colon)...]))
                .filter { !$0.hasPrefix("(") && !$0.hasSuffix(")") }
            guard fields.count <= maximumCores else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: maximumCores, found: fields.count))
            }
            if key == "Core" {
                var list: [Int] = []
                for field in fields {
                    guard let core = Int(field), (0..<(1 << 20)).contains(core) else {
                        throw InputFileError(path: path, line: number, problem: .notANumber(column: "Core", cell: String(field.prefix(40))))
                    }
                    list.append(core)
                }
                cores = list
                return
            }
            guard let cores else { return }  // before "Core:": not ours to read
            guard fields.count == cores.count else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: cores.count, found: fields.count))
            }
            if key.hasSuffix("(us)") {
                let label = key.dropLast("(us)".count).trimmingCharacters()
                let us = try ForeignTextLines.count(Substring(label), column: "bucket", path: path, line: number)
                if let previous = buckets.last?.us, us <= previous {
                    throw InputFileError(path: path, line: number, problem: .notToolOutput(
                        tool: tool, reason: "bucket \(us) us does not follow \(previous) us"))
                }
                guard buckets.count < maximumBuckets, (buckets.count + 1) * cores.count <= 1 << 24 else {
                    throw InputFileError(path: path, line: number, problem: .notToolOutput(tool: tool, reason: "too many buckets"))
                }
                var counts: [Int64] = []
                for field in fields {
                    counts.append(try ForeignTextLines.count(field, column: label + " (us)", path: path, line: number))
                }
                buckets.append((us, counts))
                return
            }
            var numbers: [Double] = []
            for field in fields {
                guard let value = Double(field), value.isFinite, value >= 0 else {
                    throw InputFileError(path: path, line: number, problem: .notANumber(column: key, cell: String(field.prefix(40))))
                }
                numbers.append(value)
            }
            values[key] = numbers
        }
        guard lines > 0 else { throw InputFileError(path: path, problem: .empty) }
        guard let cores else {
            throw InputFileError(path: path, problem: .notToolOutput(tool: tool, reason: "no 'Core:' line"))
        }
        guard let last = buckets.last else {
            throw InputFileError(path: path, line: lines, problem: .notToolOutput(tool: tool, reason: "no 'NNN (us):' bucket lines"))
        }
        var histograms: [LatencyHistogram] = []
        for (index, core) in cores.enumerated() {
            guard let kept = LatencyHistogram.column(index, of: buckets) else {
                throw InputFileError(path: path, problem: .notToolOutput(tool: tool, reason: "counts overflow 64 bits"))
            }
            // The last bucket includes the overflows: its value is a lower bound, as for cyclictest's.
            histograms.append(LatencyHistogram(
                label: "cpu\(core)", buckets: kept, overflows: 0, overflowAtUs: last.us,
                reportedMinUs: values["Minimum"]?[index], reportedMaxUs: values["Maximum"]?[index]))
        }
        return Report(histograms: histograms, counterMHz: values["Counter Freq"]?.first,
                      durationSeconds: values["Duration"]?.first)
    }
}
