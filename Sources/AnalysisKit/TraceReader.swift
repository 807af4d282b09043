import RunFormat

/// Reads an FTQ trace, `ftq.csv` (`SamplerTraceFile.ftq`: the format, its columns and
/// the row parsing), into one evenly sampled work series per sampler thread.
///
/// Built for size: a 10-minute run at 10 kHz on several CPUs is tens of millions of
/// rows. The file is streamed (`SamplerTraceFile.forEachRow`); per thread only the work
/// series (8 bytes a quantum) and, if asked, the start times (8 more) are kept, in
/// chunks that never move. Every row is validated on the way (the format checks cell
/// count and numbers; this reader checks increasing `start_ns` and one quantum length),
/// and the first bad row stops the read with an `InputFileError` naming its line.
public struct TraceReader: Sendable {
    /// How to read.
    public struct Options: Sendable, Equatable {
        /// Samples per second when known (meta.json's quantum, `--sample-rate`). When nil
        /// each thread's quantum is the median spacing of its first 1024 `start_ns` gaps.
        public var sampleRateHz: Double?
        /// Keep every `start_ns` in `FTQThreadSeries.startNs`. Off saves 8 bytes per
        /// quantum; spectra and summaries do not need them.
        public var keepStartTimes: Bool
        /// Fewest quanta a thread may have (`InputFileError.Problem.tooFewQuanta`
        /// otherwise). Reading alone accepts one; an analysis asks for more.
        public var minimumQuanta: Int

        public init(sampleRateHz: Double? = nil, keepStartTimes: Bool = true, minimumQuanta: Int = 1) {
            self.sampleRateHz = sampleRateHz
            self.keepStartTimes = keepStartTimes
            self.minimumQuanta = minimumQuanta
        }
    }

    /// The columns a trace must have.
    public static var requiredColumns: [String] { SamplerTraceFile.ftq.header }

    /// Rows per thread used to infer the quantum when no sample rate is given.
    static let inferenceWindow = 1025

    /// Quantum lengths a sampler can have, in nanoseconds: 1 ns to one hour. Outside
    /// them a grid check or a spectrum's bin arithmetic leaves every useful range.
    public static let plausibleQuantumNs: ClosedRange<Double> = 1...3.6e12

    /// The largest work count analysed: 2^53, the last integer a `Double` holds
    /// exactly. A sampler does about 10^9 units a second, so anything near this is a
    /// corrupted cell, and sums of such values would leave every useful range.
    public static let largestWork = Double(1 << 53)

    /// The options this reader uses.
    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Reads and validates the trace at `path`.
    /// - Throws: `InputFileError` naming the file and line of the first problem.
    public func read(path: String) throws -> FTQTrace {
        var threads: [ThreadAccumulator] = []
        var indexOfThread: [Int: Int] = [:]
        var lastThread = Int.min
        var current: ThreadAccumulator?  // the last row's thread: rows come in runs
        let quantumNs = options.sampleRateHz.map { 1e9 / $0 }
        let keepStartTimes = options.keepStartTimes

        try SamplerTraceFile.ftq.forEachRow(path: path) { row, lineNumber in
            if row.thread != lastThread || current == nil {
                if let known = indexOfThread[row.thread] {
                    current = threads[known]
                } else {
                    indexOfThread[row.thread] = threads.count
                    let accumulator = ThreadAccumulator(thread: row.thread, cpu: row.cpu, quantumNs: quantumNs,
                                                        keepStartTimes: keepStartTimes)
                    threads.append(accumulator)
                    current = accumulator
                }
                lastThread = row.thread
            }
            try current.unsafelyUnwrapped.add(start: row.startNs, work: row.value, line: lineNumber, path: path)
        }
        var series: [FTQThreadSeries] = []
        series.reserveCapacity(threads.count)
        for accumulator in threads {
            series.append(try accumulator.finish(path: path, minimumQuanta: options.minimumQuanta))
        }
        return FTQTrace(path: path, threads: series)
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
        guard value <= TraceReader.largestWork else {
            throw InputFileError(path: path, line: line, problem: .outOfRange(
                column: "work", cell: CSVFormat.number(value), allowed: "0 to 2^53"))
        }
        if work.count == 0 {
            firstStart = start
            firstLine = line
            if let quantumNs {
                guard TraceReader.plausibleQuantumNs.contains(quantumNs) else {
                    throw InputFileError(path: path, line: line, problem: .implausibleQuantum(
                        thread: thread, quantumNs: quantumNs))
                }
                grid = QuantumGrid(quantumNs: quantumNs, firstStartNs: start)
            }
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
        guard TraceReader.plausibleQuantumNs.contains(quantum) else {
            throw InputFileError(path: path, line: firstLine, problem: .implausibleQuantum(
                thread: thread, quantumNs: quantum))
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

    func finish(path: String, minimumQuanta: Int) throws -> FTQThreadSeries {
        guard work.count >= minimumQuanta else {
            throw InputFileError(path: path, line: firstLine, problem: .tooFewQuanta(
                thread: thread, count: work.count, minimum: minimumQuanta))
        }
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
