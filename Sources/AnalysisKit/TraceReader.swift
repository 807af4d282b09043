/// Reads an FTQ trace, `ftq.csv`: header `thread,cpu,quantum,start_ns,work` (columns
/// found by name, in any order, extra columns ignored), one row per quantum.
///
/// Built for size: a 10-minute run at 10 kHz on several CPUs is tens of millions of
/// rows. The file is streamed through a 1 MiB buffer and parsed as bytes; per thread
/// only the work series (8 bytes a quantum) and, if asked, the start times (8 more) are
/// kept, in chunks that never move. Every row is validated on the way (cell count,
/// numbers, increasing `start_ns`, one quantum length), and the first bad row stops the
/// read with an `InputFileError` naming its line.
///
/// The `quantum` column is required and must be numeric, but is not interpreted: the
/// checks use `start_ns`, so the reader does not depend on whether a writer numbers
/// quanta from 0 or 1.
public struct TraceReader: Sendable {
    /// How to read.
    public struct Options: Sendable, Equatable {
        /// Samples per second when known (meta.json's quantum, `--sample-rate`). When nil
        /// each thread's quantum is the median spacing of its first 1024 `start_ns` gaps.
        public var sampleRateHz: Double?
        /// Keep every `start_ns` in `FTQThreadSeries.startNs`. Off saves 8 bytes per
        /// quantum; spectra and summaries do not need them.
        public var keepStartTimes: Bool

        public init(sampleRateHz: Double? = nil, keepStartTimes: Bool = true) {
            self.sampleRateHz = sampleRateHz
            self.keepStartTimes = keepStartTimes
        }
    }

    /// The columns a trace must have.
    public static let requiredColumns = ["thread", "cpu", "quantum", "start_ns", "work"]

    /// Rows per thread used to infer the quantum when no sample rate is given.
    static let inferenceWindow = 1025

    /// The options this reader uses.
    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Reads and validates the trace at `path`.
    /// - Throws: `InputFileError` naming the file and line of the first problem.
    public func read(path: String) throws -> FTQTrace {
        var columns: ColumnMap?
        var threads: [ThreadAccumulator] = []
        var indexOfThread: [Int: Int] = [:]
        var lastThread = Int.min
        var current: ThreadAccumulator?  // the last row's thread: rows come in runs
        var sawHeader = false
        let quantumNs = options.sampleRateHz.map { 1e9 / $0 }
        var cells = CellSlices()

        try ByteLineReader(path: path).forEachLine { line, lineNumber in
            if line.isEmpty { return }
            guard let map = columns else {
                columns = try ColumnMap(header: line, path: path, line: lineNumber)
                sawHeader = true
                return
            }
            try map.split(line, into: &cells, path: path, line: lineNumber)
            let thread = try map.integer(cells.thread, column: "thread", path: path, line: lineNumber)
            let cpu = try map.integer(cells.cpu, column: "cpu", path: path, line: lineNumber)
            _ = try map.number(cells.quantum, column: "quantum", path: path, line: lineNumber)
            let start = try map.timestamp(cells.start, path: path, line: lineNumber)
            let work = try map.number(cells.work, column: "work", path: path, line: lineNumber)

            if thread != lastThread || current == nil {
                if let known = indexOfThread[thread] {
                    current = threads[known]
                } else {
                    indexOfThread[thread] = threads.count
                    let accumulator = ThreadAccumulator(thread: thread, cpu: cpu, quantumNs: quantumNs,
                                                        keepStartTimes: options.keepStartTimes)
                    threads.append(accumulator)
                    current = accumulator
                }
                lastThread = thread
            }
            try current.unsafelyUnwrapped.add(start: start, work: work, line: lineNumber, path: path)
        }
        guard sawHeader else { throw InputFileError(path: path, problem: .empty) }
        guard !threads.isEmpty else { throw InputFileError(path: path, line: 2, problem: .noDataRows) }
        var series: [FTQThreadSeries] = []
        series.reserveCapacity(threads.count)
        for accumulator in threads {
            series.append(try accumulator.finish(path: path))
        }
        return FTQTrace(path: path, threads: series)
    }
}

/// The byte ranges of the five cells the reader uses, in one row.
struct CellSlices {
    var thread = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var cpu = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var quantum = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var start = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var work = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
}

/// Where each required column is, from the header line, and the cell splitter.
struct ColumnMap {
    /// Role of each header position: 0 thread, 1 cpu, 2 quantum, 3 start_ns, 4 work, -1 other.
    let roles: [Int8]

    init(header: UnsafeBufferPointer<UInt8>, path: String, line: Int) throws {
        let names = ColumnMap.cells(of: header).map { cell in
            String(decoding: cell, as: UTF8.self)
                .trimmingSpaces
                .trimmingQuotes
        }
        var roles = [Int8](repeating: -1, count: names.count)
        for (role, required) in TraceReader.requiredColumns.enumerated() {
            guard let position = names.firstIndex(of: required) else {
                throw InputFileError(path: path, line: line, problem: .missingColumn(required))
            }
            roles[position] = Int8(role)
        }
        self.roles = roles
    }

    /// Splits a header line (rarely hot) into cells.
    private static func cells(of line: UnsafeBufferPointer<UInt8>) -> [UnsafeBufferPointer<UInt8>] {
        var result: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        for i in 0...line.count where i == line.count || line[i] == 0x2C {
            result.append(UnsafeBufferPointer(rebasing: line[start..<i]))
            start = i + 1
        }
        return result
    }

    /// Finds the required cells of a data row and checks the cell count. A cell that
    /// starts with `"` runs to its closing quote, so quoted text columns may hold commas.
    @inline(__always)
    func split(_ line: UnsafeBufferPointer<UInt8>, into cells: inout CellSlices, path: String, line lineNumber: Int) throws {
        let count = line.count
        var position = 0
        var cellIndex = 0
        var cellStart = 0
        while true {
            if position < count, line[position] == 0x22 {  // quoted cell
                position += 1
                while position < count {
                    if line[position] == 0x22 {
                        if position + 1 < count, line[position + 1] == 0x22 { position += 2; continue }
                        break
                    }
                    position += 1
                }
            }
            while position < count, line[position] != 0x2C { position += 1 }
            if cellIndex < roles.count {
                let cell = UnsafeBufferPointer(rebasing: line[cellStart..<position])
                switch roles[cellIndex] {
                case 0: cells.thread = cell
                case 1: cells.cpu = cell
                case 2: cells.quantum = cell
                case 3: cells.start = cell
                case 4: cells.work = cell
                default: break
                }
            }
            cellIndex += 1
            if position >= count { break }
            position += 1
            cellStart = position
        }
        guard cellIndex == roles.count else {
            throw InputFileError(path: path, line: lineNumber,
                                 problem: .wrongCellCount(expected: roles.count, found: cellIndex))
        }
    }

    @inline(__always)
    func integer(_ cell: UnsafeBufferPointer<UInt8>, column: String, path: String, line: Int) throws -> Int {
        guard let value = ByteNumbers.int64(cell), let narrow = Int(exactly: value) else {
            throw notANumber(cell, column: column, path: path, line: line)
        }
        return narrow
    }

    @inline(__always)
    func number(_ cell: UnsafeBufferPointer<UInt8>, column: String, path: String, line: Int) throws -> Double {
        guard let value = ByteNumbers.double(cell) else {
            throw notANumber(cell, column: column, path: path, line: line)
        }
        return value
    }

    /// `start_ns`: an integer, or a decimal rounded to the nanosecond (converted traces).
    @inline(__always)
    func timestamp(_ cell: UnsafeBufferPointer<UInt8>, path: String, line: Int) throws -> Int64 {
        if let value = ByteNumbers.int64(cell) { return value }
        if let value = ByteNumbers.double(cell), let rounded = Int64(exactly: value.rounded()) { return rounded }
        throw notANumber(cell, column: "start_ns", path: path, line: line)
    }

    private func notANumber(_ cell: UnsafeBufferPointer<UInt8>, column: String, path: String, line: Int) -> InputFileError {
        let text = String(decoding: cell.prefix(40), as: UTF8.self)
        return InputFileError(path: path, line: line, problem: .notANumber(column: column, cell: text))
    }
}

/// One thread's rows while the file is being read.
final class ThreadAccumulator {
    let thread: Int
    let cpu: Int
    private var quantumNs: Double?
    private let work = ChunkedColumn<Double>()
    private let starts: ChunkedColumn<Int64>?
    private var firstStart: Int64 = 0
    private var previousStart: Int64 = 0
    private var firstLine = 0
    private var grid: QuantumGrid?
    /// Rows seen before the quantum is known: (start_ns, line).
    private var pending: [(Int64, Int)] = []

    init(thread: Int, cpu: Int, quantumNs: Double?, keepStartTimes: Bool) {
        self.thread = thread
        self.cpu = cpu
        self.quantumNs = quantumNs
        self.starts = keepStartTimes ? ChunkedColumn<Int64>() : nil
    }

    @inline(__always)
    func add(start: Int64, work value: Double, line: Int, path: String) throws {
        if work.count == 0 {
            firstStart = start
            firstLine = line
            if let quantumNs { grid = QuantumGrid(quantumNs: quantumNs, firstStartNs: start) }
        } else {
            guard start > previousStart else {
                throw InputFileError(path: path, line: line, problem: .unsortedTimestamps(
                    thread: thread, previousNs: previousStart, currentNs: start))
            }
        }
        previousStart = start
        work.append(value)
        starts?.append(start)
        if work.count == 1 { if grid == nil { pending.append((start, line)) }; return }
        if var checker = grid {
            if let expected = checker.check(start) { throw offGrid(start, expected, line, path) }
            grid = checker
        } else {
            pending.append((start, line))
            if pending.count == TraceReader.inferenceWindow { try resolvePending(path: path) }
        }
    }

    /// Infers the quantum from the rows held back, then checks them.
    private func resolvePending(path: String) throws {
        guard let quantum = QuantumGrid.medianSpacing(pending.map(\.0)) else {
            throw InputFileError(path: path, line: firstLine, problem: .cannotInferQuantum(thread: thread))
        }
        quantumNs = quantum
        var checker = QuantumGrid(quantumNs: quantum, firstStartNs: pending[0].0)
        for (start, line) in pending.dropFirst() {
            if let expected = checker.check(start) { throw offGrid(start, expected, line, path) }
        }
        grid = checker
        pending = []
    }

    private func offGrid(_ start: Int64, _ expected: Int64, _ line: Int, _ path: String) -> InputFileError {
        InputFileError(path: path, line: line, problem: .mixedQuantum(
            thread: thread, startNs: start, expectedNs: expected, quantumNs: grid?.quantumNs ?? quantumNs ?? 0))
    }

    func finish(path: String) throws -> FTQThreadSeries {
        if grid == nil { try resolvePending(path: path) }
        guard let quantumNs else {
            throw InputFileError(path: path, line: firstLine, problem: .cannotInferQuantum(thread: thread))
        }
        return FTQThreadSeries(thread: thread, cpu: cpu, work: work.drainToArray(),
                               startNs: starts?.drainToArray() ?? [],
                               firstStartNs: firstStart, lastStartNs: previousStart,
                               quantumNs: quantumNs)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }

    var trimmingQuotes: String {
        count >= 2 && first == "\"" && last == "\"" ? String(dropFirst().dropLast()) : self
    }
}
