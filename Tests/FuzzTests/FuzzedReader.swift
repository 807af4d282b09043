import AnalysisKit
import BenchKit
import Foundation
import Platform
import RunFormat

/// One reader under fuzz: where its seed files are, what its file is called, and
/// how to read a file of that format the way the tools do.
struct FuzzedReader: Sendable, CustomStringConvertible {
    /// Shown in test names and the report.
    let name: String
    /// The folder of seed files under Tests/Fuzz/corpus.
    let corpus: String
    /// The file name the mutated input is written as (errors must name it).
    let fileName: String
    /// Whether an error must name the file: /proc parsers read text, not a path.
    let namesFile: Bool
    /// Reads the file at the path; returns normally or throws.
    let read: @Sendable (String) throws -> Void

    var description: String { name }

    init(_ name: String, corpus: String, fileName: String, namesFile: Bool = true,
         read: @escaping @Sendable (String) throws -> Void) {
        self.name = name
        self.corpus = corpus
        self.fileName = fileName
        self.namesFile = namesFile
        self.read = read
    }

    /// Every reader of a run directory's files and of the /proc samples.
    static let all: [FuzzedReader] = [
        FuzzedReader("ftq.csv rows", corpus: "ftq", fileName: "ftq.csv") { _ = try SamplerTraceFile.ftq.read(path: $0) },
        FuzzedReader("ftq.csv trace", corpus: "ftq", fileName: "ftq.csv") { _ = try TraceReader().read(path: $0) },
        FuzzedReader("ftq.csv trace at 10 kHz", corpus: "ftq", fileName: "ftq.csv") {
            _ = try TraceReader(options: .init(sampleRateHz: 10_000, minimumQuanta: SpectrumJob.minimumQuanta))
                .read(path: $0)
        },
        FuzzedReader("ftq.csv spectrum analysis", corpus: "ftq", fileName: "ftq.csv") { path in
            let trace = try TraceReader(options: .init(keepStartTimes: false, minimumQuanta: SpectrumJob.minimumQuanta))
                .read(path: path)
            for series in trace.threads {
                for method in SpectrumMethod.allCases {
                    let result = SpectrumAnalysis(method: method).analyze(series, configHZ: 250, interrupts: nil)
                    _ = SpectrumReport.text(result)
                }
            }
        },
        FuzzedReader("fwq.csv", corpus: "fwq", fileName: "fwq.csv") { _ = try SamplerTraceFile.fwq.read(path: $0) },
        FuzzedReader("interrupts.csv", corpus: "interrupts", fileName: "interrupts.csv") {
            _ = try InterruptDeltas.read(path: $0)
        },
        FuzzedReader("meta.json", corpus: "meta", fileName: "meta.json") { _ = try RunMetadata.read(path: $0) },
        FuzzedReader("analysis meta.json", corpus: "derived-meta", fileName: "meta.json") {
            _ = try DerivedRunMetadata.read(path: $0)
        },
        FuzzedReader("restore file", corpus: "restore", fileName: "restore-4242.json") { _ = try RestoreFile.read(path: $0) },
        FuzzedReader("summary.csv", corpus: "summary", fileName: "summary.csv") { _ = try SummaryFile.read(path: $0) },
        FuzzedReader("trials.csv", corpus: "trials", fileName: "trials.csv") { _ = try TrialsFile.read(path: $0) },
        FuzzedReader("attempts.csv", corpus: "attempts", fileName: "attempts.csv") { _ = try AttemptsFile.read(path: $0) },
        FuzzedReader("throughput.csv", corpus: "throughput", fileName: "throughput.csv") {
            _ = try ThroughputFile.read(path: $0)
        },
        FuzzedReader("preemptions.csv", corpus: "preemptions", fileName: "preemptions.csv") {
            _ = try PreemptionsFile.read(path: $0)
        },
        FuzzedReader("table.csv", corpus: "table", fileName: "table.csv") { _ = try LockTableFile.read(path: $0) },
        FuzzedReader("spectrum.csv", corpus: "spectrum", fileName: "spectrum.csv") { _ = try SpectrumFile.read(path: $0) },
        FuzzedReader("peaks.csv", corpus: "peaks", fileName: "peaks.csv") { _ = try PeaksFile.read(path: $0) },
        FuzzedReader("noise.csv", corpus: "noise", fileName: "noise.csv") { _ = try NoiseFile.read(path: $0) },
        FuzzedReader("rminnich/ftq output", corpus: "rminnich-ftq", fileName: "ftq_0.dat") {
            _ = try RminnichFTQFile.read(path: $0) { _, _, _ in }
        },
        FuzzedReader("rminnich/ftq import", corpus: "rminnich-ftq", fileName: "ftq_0.dat") { path in
            try FuzzImport.run(.ftq, path)
        },
        FuzzedReader("LLNL fwq output", corpus: "fwq-output", fileName: "fwq_0_times.dat") {
            _ = try FWQOutputFile.read(path: $0) { _, _, _ in }
        },
        FuzzedReader("LLNL fwq import", corpus: "fwq-output", fileName: "fwq_0_times.dat") { path in
            try FuzzImport.run(.fwq, path, tscGHz: 2.5)
        },
        FuzzedReader("cyclictest histogram", corpus: "cyclictest", fileName: "cyclictest.txt") { path in
            for histogram in try CyclictestHistogramFile.read(path: path) {
                _ = histogram.statistics
                _ = histogram.trialValues()
            }
        },
        FuzzedReader("cyclictest import", corpus: "cyclictest", fileName: "cyclictest.txt") { path in
            try FuzzImport.run(.cyclictest, path)
        },
        FuzzedReader("oslat report", corpus: "oslat", fileName: "oslat.txt") { path in
            for histogram in try OslatHistogramFile.read(path: path).histograms {
                _ = histogram.statistics
                _ = histogram.trialValues()
            }
        },
        FuzzedReader("/proc/interrupts", corpus: "proc-interrupts", fileName: "interrupts", namesFile: false) { path in
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let counts = try InterruptCounts(parsing: text)
            let cpus = CPUSet(counts.cpus.filter { (0..<1024).contains($0) })
            for row in InterruptCounts.deltas(before: counts, after: counts, cpus: cpus) { _ = row.delta }
        },
        FuzzedReader("/proc/stat", corpus: "proc-stat", fileName: "stat", namesFile: false) { path in
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let times = CPUTimes(parsing: text)
            let cpus = CPUSet(times.perCPU.keys.filter { (0..<1024).contains($0) })
            _ = times.millisecondsUntil(CPUTimes(parsing: text), cpus: cpus)
            _ = times.total?.busy
            for fields in times.perCPU.values { _ = fields.busy }
        },
    ]
}

/// `analysis import` of a fuzzed file into a scratch run directory, removed afterwards.
enum FuzzImport {
    static func run(_ format: ImportJob.Format, _ path: String, tscGHz: Double? = nil) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-fuzz-import-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try ImportJob(format: format, inputs: [path], outputDirectory: out, tscGHz: tscGHz).run(commandLine: ["fuzz"])
    }
}

/// Where the committed seed files are.
enum FuzzCorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    /// The seed files of one format, in a fixed order.
    static func seeds(_ folder: String) throws -> [[UInt8]] {
        let directory = root.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { Array(try Data(contentsOf: directory.appendingPathComponent($0))) }
    }
}
