/// cyclictest's histogram (`cyclictest -h US` or `-H US`, rt-tests): after
/// `# Histogram`, one row per microsecond "<us> <count thread 0> <count thread 1> ..."
/// (with `-H` a last column sums the threads), then `# Total:`, `# Min Latencies:`,
/// `# Avg Latencies:`, `# Max Latencies:`, `# Histogram Overflows:` lines with one
/// value per thread. Other `#` lines and cyclictest's status lines are skipped.
///
/// Read for `analysis import`; kbench never writes this format.
public enum CyclictestHistogramFile {
    public static let tool = "cyclictest"

    /// Most threads (columns) a histogram may have.
    public static let maximumThreads = 4096
    /// Most histogram rows (microseconds): cyclictest's own limit is far lower.
    public static let maximumRows = 10_000_000
    /// Most counts (rows times threads) kept in memory: 2^24, 128 MiB.
    public static let maximumCells = 1 << 24

    /// One histogram per thread.
    /// - Throws: `InputFileError` naming the file and line.
    public static func read(path: String) throws -> [LatencyHistogram] {
        var rows: [(us: Int64, counts: [Int64])] = []
        var columns: Int?
        var footer: [String: [Double]] = [:]
        var lines = 0
        try ForeignTextLines.forEach(path: path, tool: tool) { line, number in
            lines = number
            let text = line.trimmingCharacters()
            if text.isEmpty { return }
            if text.hasPrefix("#") {
                let body = text.dropFirst().trimmingCharacters()
                for key in ["Total", "Min Latencies", "Avg Latencies", "Max Latencies", "Histogram Overflows"]
                where body.hasPrefix(key + ":") {
                    let values = ForeignTextLines.fields(String(body.dropFirst(key.count + 1)))
                    guard values.count <= maximumThreads else { break }
                    var numbers: [Double] = []
                    for value in values {
                        guard let number = Double(value), number.isFinite, number >= 0 else {
                            throw InputFileError(path: path, line: number, problem: .notANumber(
                                column: "# " + key, cell: String(value.prefix(40))))
                        }
                        numbers.append(number)
                    }
                    footer[key] = numbers
                }
                return
            }
            // Status lines ("T: 0 ( 1234) P:80 ...", "policy: fifo") are not histogram rows.
            guard let first = text.first, first.isNumber else { return }
            let fields = ForeignTextLines.fields(text)
            guard fields.count >= 2, fields.count <= maximumThreads + 2 else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(
                    expected: columns ?? 2, found: fields.count))
            }
            if let columns, columns != fields.count {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: columns, found: fields.count))
            }
            columns = fields.count
            let us = try ForeignTextLines.count(fields[0], column: "latency_us", path: path, line: number)
            if let previous = rows.last?.us, us <= previous {
                throw InputFileError(path: path, line: number, problem: .notToolOutput(
                    tool: tool, reason: "histogram row \(us) us does not follow \(previous) us"))
            }
            guard rows.count < maximumRows, (rows.count + 1) * (fields.count - 1) <= maximumCells else {
                throw InputFileError(path: path, line: number, problem: .notToolOutput(
                    tool: tool, reason: "more than \(maximumRows) rows or \(maximumCells) counts"))
            }
            var counts: [Int64] = []
            for field in fields.dropFirst() {
                counts.append(try ForeignTextLines.count(field, column: "count", path: path, line: number))
            }
            rows.append((us, counts))
        }
        guard lines > 0 else { throw InputFileError(path: path, problem: .empty) }
        guard let columns, let last = rows.last else {
            throw InputFileError(path: path, line: lines, problem: .notToolOutput(
                tool: tool, reason: "no histogram rows (run cyclictest with -h US or -H US)"))
        }
        // With -H the last column is the sum of the threads: the footer says how many threads there are.
        var threads = columns - 1
        if let perThread = footer["Min Latencies"]?.count, perThread == threads - 1, perThread > 0 { threads = perThread }
        func footerValue(_ key: String, _ thread: Int) -> Double? {
            guard let values = footer[key], values.count == threads else { return nil }
            return values[thread]
        }
        var histograms: [LatencyHistogram] = []
        for thread in 0..<threads {
            let overflows = footerValue("Histogram Overflows", thread).flatMap { Int64(exactly: $0.rounded()) } ?? 0
            guard let buckets = LatencyHistogram.column(thread, of: rows, extra: overflows) else {
                throw InputFileError(path: path, problem: .notToolOutput(tool: tool, reason: "counts overflow 64 bits"))
            }
            histograms.append(LatencyHistogram(
                label: "thread\(thread)", buckets: buckets, overflows: overflows, overflowAtUs: last.us + 1,
                reportedMinUs: footerValue("Min Latencies", thread), reportedMaxUs: footerValue("Max Latencies", thread)))
        }
        return histograms
    }
}
