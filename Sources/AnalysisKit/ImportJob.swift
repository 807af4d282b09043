import Foundation
import RunFormat
import SystemPackage

/// `analysis import`: another tool's output turned into a kbench run directory,
/// so `analysis spectrum` and `analysis gate` read it like kbench's own runs.
/// - rminnich/ftq `.dat` files (one per thread) -> ftq.csv + summary.csv;
/// - LLNL fwq / fwq-th output -> fwq.csv + summary.csv;
/// - cyclictest `-h`/`-H` and oslat reports -> summary.csv + trials.csv.
/// Each gets a meta.json (`RunMetadata.imported`) naming the tool and file.
public struct ImportJob: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case ftq = "rminnich-ftq", fwq, cyclictest, oslat
    }

    public var format: Format
    /// The files to read (several for rminnich/ftq's and fwq's per-thread files).
    public var inputs: [String]
    public var outputDirectory: String
    /// TSC rate for fwq's cycle counts when the file does not say (`--tsc-ghz`).
    public var tscGHz: Double?
    /// summary.csv's param column (how the tool was run, e.g. "interval_us=1000").
    public var param: String

    public init(format: Format, inputs: [String], outputDirectory: String, tscGHz: Double? = nil, param: String = "") {
        self.format = format
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.tscGHz = tscGHz
        self.param = param
    }

    /// What was imported, for the tool to print.
    public struct Result: Sendable {
        public var measurements: [RunFormat.Measurement]
        public var metadata: RunMetadata
        public var outputDirectory: String
    }

    /// - Throws: `InputFileError` for input that is not the format's, or
    ///   `RunDirectoryError`/`FileWriteError` for the output.
    public func run(commandLine: [String] = CommandLine.arguments) throws -> Result {
        let directory = try RunDirectory(creating: FilePath(outputDirectory))
        let (measurements, trialValues, metadata) = switch format {
        case .ftq: try importFTQ(directory, commandLine)
        case .fwq: try importFWQ(directory, commandLine)
        case .cyclictest, .oslat: try importHistograms(commandLine)
        }
        var withTrials = measurements
        for index in withTrials.indices { withTrials[index].trials = trialValues[index] }
        try SummaryFile.write(withTrials, to: directory.file(SummaryFile.name))
        try TrialsFile.write(withTrials, to: directory.file(TrialsFile.name))
        try directory.write(metadata)
        return Result(measurements: withTrials, metadata: metadata, outputDirectory: outputDirectory)
    }

    // MARK: rminnich/ftq

    /// Most samples per import (quanta of every rminnich/ftq thread, or fwq
    /// samples): 2^24 (28 minutes at 10 kHz; rminnich/ftq's default is 2^19),
    /// so the values kept for the summary stay bounded (128 MiB).
    public static let largestQuantumCount = 1 << 24

    private func importFTQ(_ directory: RunDirectory, _ commandLine: [String])
        throws -> ([RunFormat.Measurement], [[Double]], RunMetadata) {
        let writer = try SamplerTraceFile.Writer(.ftq, path: directory.file(SamplerTraceFile.ftq.name))
        var first: RminnichFTQFile.Header?
        var measurements: [RunFormat.Measurement] = []
        var cpus: [Int] = []
        var warnings: [String] = []
        var totalSamples = 0
        for (fileIndex, path) in inputs.enumerated() {
            var work: [Double] = []
            var index = 0
            var header = RminnichFTQFile.Header()
            var previousTime: Int64?
            try RminnichFTQFile.read(path: path) { h, sample, line in
                header = h
                if index == 0, let rate = first?.frequencyHz, rate != h.frequencyHz {
                    throw InputFileError(path: path, line: line, problem: .notToolOutput(
                        tool: RminnichFTQFile.tool, reason: "its frequency \(h.frequencyHz ?? 0) Hz differs from the first file's \(rate) Hz"))
                }
                // One row per quantum, in order: a quantum ftq missed entirely is a row
                // with count 0, written when the thread got back (its time is late).
                // So the row's position is its quantum; the time only has to ascend.
                if let previousTime, sample.time < previousTime {
                    throw InputFileError(path: path, line: line, problem: .notToolOutput(
                        tool: RminnichFTQFile.tool, reason: "time \(sample.time) is before the previous row's \(previousTime)"))
                }
                previousTime = sample.time
                guard index + totalSamples < Self.largestQuantumCount else {
                    throw InputFileError(path: path, line: line, problem: .notToolOutput(
                        tool: RminnichFTQFile.tool, reason: "more than \(Self.largestQuantumCount) quanta"))
                }
                let quantumNs = 1e9 / (h.frequencyHz ?? 1)
                try writer.append(thread: h.thread ?? fileIndex, cpu: max(0, h.core ?? 0), index: index,
                                  startNs: Int64((Double(index) * quantumNs).rounded()), value: UInt64(sample.count))
                work.append(Double(sample.count))
                index += 1
            }
            totalSamples += index
            if first == nil { first = header }
            let thread = header.thread ?? fileIndex
            if let core = header.core { cpus.append(core) } else {
                warnings.append("\(path): the core is unknown (ftq printed none): cpu 0 in ftq.csv")
            }
            if let statistics = SampleStatistics(work) {
                measurements.append(RunFormat.Measurement(
                    benchmark: "ftq", variant: "thread\(thread)", threads: inputs.count,
                    param: param.isEmpty ? "quantum_ns=\(CSVFormat.number(1e9 / (header.frequencyHz ?? 1)))" : param,
                    metric: "work_per_quantum", unit: "units", lowerIsBetter: false, statistics: statistics))
            }
        }
        try writer.commit()
        let header = first ?? RminnichFTQFile.Header()
        let quantumNs = 1e9 / (header.frequencyHz ?? 1)
        let meta = RunMetadata.imported(
            sourceTool: RminnichFTQFile.tool, sourceFile: inputs.joined(separator: ","), commandLine: commandLine,
            host: header.host, kernelRelease: header.kernelRelease, cpuModel: header.cpuModel, cpus: cpus,
            tscFrequencyHz: header.ticksPerNs.map { $0 * 1e9 },
            tscCalibration: header.ticksPerNs == nil ? nil : "rminnich/ftq's own estimate ('# Ticks per ns')",
            parameters: ["mode": "ftq", "quantum_ns": .double(quantumNs), "threads": .int(Int64(inputs.count))],
            warnings: warnings)
        return (measurements, measurements.map { _ in [] }, meta)
    }

    // MARK: LLNL fwq

    private func importFWQ(_ directory: RunDirectory, _ commandLine: [String])
        throws -> ([RunFormat.Measurement], [[Double]], RunMetadata) {
        let writer = try SamplerTraceFile.Writer(.fwq, path: directory.file(SamplerTraceFile.fwq.name))
        var durations: [Int: [Double]] = [:]
        var cpuOf: [Int: Int] = [:]
        var clock: [Int: Double] = [:]
        var nextStart: [Int: Double] = [:]
        var samples = 0
        for (fileIndex, path) in inputs.enumerated() {
            // Classic fwq writes one file per thread without sections: the file's position is the thread.
            try FWQOutputFile.read(path: path) { header, sample, line in
                let thread = header.ghzByThread.isEmpty ? fileIndex : sample.thread
                guard let ghz = header.ghzByThread[thread] ?? tscGHz else {
                    throw InputFileError(path: path, line: line, problem: .notToolOutput(
                        tool: FWQOutputFile.tool, reason: "no 'Speed:' line gives thread \(thread)'s cycle rate: pass --tsc-ghz"))
                }
                clock[thread] = ghz
                let ns = Double(sample.cycles) / ghz
                let start = nextStart[thread, default: 0]
                nextStart[thread] = start + ns
                let index = durations[thread, default: []].count
                samples += 1
                guard samples <= Self.largestQuantumCount else {
                    throw InputFileError(path: path, line: line, problem: .notToolOutput(
                        tool: FWQOutputFile.tool, reason: "more than \(Self.largestQuantumCount) samples"))
                }
                try writer.append(thread: thread, cpu: sample.cpu ?? 0, index: index, startNs: Int64(start.rounded()),
                                  value: UInt64(ns.rounded()))
                durations[thread, default: []].append(ns)
                if let cpu = sample.cpu { cpuOf[thread] = cpu }
            }
        }
        try writer.commit()
        let measurements = durations.keys.sorted().compactMap { thread -> RunFormat.Measurement? in
            SampleStatistics(durations[thread]!).map {
                RunFormat.Measurement(benchmark: "fwq", variant: "thread\(thread)", threads: durations.count, param: param,
                                      metric: "duration", unit: "ns", lowerIsBetter: true, statistics: $0)
            }
        }
        let ghz = clock.keys.min().flatMap { clock[$0] }  // thread 0's rate (a dictionary has no order)
        let meta = RunMetadata.imported(
            sourceTool: FWQOutputFile.tool, sourceFile: inputs.joined(separator: ","), commandLine: commandLine,
            host: nil, kernelRelease: nil, cpuModel: nil, cpus: cpuOf.values.sorted(),
            tscFrequencyHz: ghz.map { $0 * 1e9 },
            tscCalibration: ghz == nil ? nil : (tscGHz == nil ? "fwq's 'Speed:' lines" : "--tsc-ghz"),
            parameters: ["mode": "fwq", "threads": .int(Int64(durations.count))], warnings: [])
        return (measurements, measurements.map { _ in [] }, meta)
    }

    // MARK: cyclictest, oslat

    private func importHistograms(_ commandLine: [String]) throws -> ([RunFormat.Measurement], [[Double]], RunMetadata) {
        var histograms: [LatencyHistogram] = []
        var cpus: [Int] = []
        var tscHz: Double?
        var parameters: [String: JSONValue] = [:]
        for path in inputs {
            if format == .cyclictest {
                histograms += try CyclictestHistogramFile.read(path: path)
            } else {
                let report = try OslatHistogramFile.read(path: path)
                histograms += report.histograms
                cpus += report.histograms.compactMap { Int($0.label.dropFirst("cpu".count)) }
                tscHz = tscHz ?? report.counterMHz.map { $0 * 1e6 }
                if let seconds = report.durationSeconds { parameters["duration_s"] = .double(seconds) }
            }
        }
        let tool = format == .cyclictest ? CyclictestHistogramFile.tool : OslatHistogramFile.tool
        var measurements: [RunFormat.Measurement] = [], trials: [[Double]] = []
        var warnings: [String] = []
        for histogram in histograms {
            guard let statistics = histogram.statistics else {
                warnings.append("\(histogram.label): an empty histogram, left out")
                continue
            }
            if histogram.overflows > 0 {
                warnings.append("\(histogram.label): \(histogram.overflows) samples beyond the histogram's \(histogram.overflowAtUs) us: counted at \(histogram.overflowAtUs) us (quantiles there are lower bounds)")
            }
            measurements.append(RunFormat.Measurement(
                benchmark: tool, variant: histogram.label, threads: histograms.count, param: param,
                metric: "latency", unit: "us", lowerIsBetter: true, statistics: statistics))
            trials.append(histogram.trialValues())
        }
        if histograms.contains(where: { $0.count > Int64(LatencyHistogram.sketchSize) }) {
            warnings.append("trials.csv holds each histogram as at most \(LatencyHistogram.sketchSize) equally spaced quantiles")
        }
        let meta = RunMetadata.imported(
            sourceTool: tool, sourceFile: inputs.joined(separator: ","), commandLine: commandLine, host: nil,
            kernelRelease: nil, cpuModel: nil, cpus: cpus, tscFrequencyHz: tscHz,
            tscCalibration: tscHz == nil ? nil : "oslat's 'Counter Freq'", parameters: parameters, warnings: warnings)
        return (measurements, trials, meta)
    }
}
