import Foundation
import SystemPackage
import Testing
@testable import RunFormat

/// Each file of a run directory: what its type writes, its type reads back as
/// the same rows.
@Suite struct SchemaRoundTripTests {
    let scratch = Scratch()

    static let statistics = SampleStatistics(count: 3, mean: 2.5, std: 0.1, min: 1, p50: 2, p75: 2.5,
                                             p90: 2.75, p99: 2.975, p999: 2.9975, max: 3)

    @Test func samplerTraces() throws {
        defer { scratch.remove() }
        for format in [SamplerTraceFile.ftq, .fwq] {
            let writer = try SamplerTraceFile.Writer(format, path: scratch.file(format.name))
            try writer.append(thread: 0, cpu: 3, index: 0, startNs: 0, value: 10500)
            try writer.append(thread: 0, cpu: 3, index: 1, startNs: 100_000, value: 0)
            try writer.append(thread: 1, cpu: 5, index: 0, startNs: -20, value: UInt64(Int64.max))
            try writer.commit()
            let rows = try format.read(path: scratch.path + "/" + format.name)
            #expect(rows == [
                .init(thread: 0, cpu: 3, index: 0, startNs: 0, value: 10500),
                .init(thread: 0, cpu: 3, index: 1, startNs: 100_000, value: 0),
                .init(thread: 1, cpu: 5, index: 0, startNs: -20, value: Double(Int64.max)),
            ])
            #expect(try scratch.text(format.name).hasPrefix(format.header.joined(separator: ",") + "\n"))
        }
        #expect(try scratch.text("fwq.csv").hasPrefix("thread,cpu,index,start_ns,duration_ns\n"))
    }

    @Test func interrupts() throws {
        defer { scratch.remove() }
        let rows = [InterruptDelta(irq: "LOC", description: "Local timer interrupts", cpu: 1, before: 5, after: 2505),
                    InterruptDelta(irq: "24", description: "PCI-MSI, \"virtio\" 1-edge", cpu: 1, before: 0, after: 0)]
        try InterruptsFile.write(rows, to: scratch.file(InterruptsFile.name))
        #expect(try InterruptsFile.read(path: scratch.path + "/interrupts.csv") == rows)
    }

    @Test func summaryAndTrials() throws {
        defer { scratch.remove() }
        let measurements = [
            Measurement(benchmark: "lockbench", variant: "mcs", threads: 2, param: "cs=0,x", metric: "acquire_latency",
                        unit: "ticks", lowerIsBetter: true, statistics: Self.statistics, trials: [1, 2.5, 3]),
            Measurement(benchmark: "ftq", metric: "work_per_quantum", unit: "units", lowerIsBetter: false,
                        statistics: SampleStatistics(sorted: [0.1])),
        ]
        try SummaryFile.write(measurements, to: scratch.file(SummaryFile.name))
        try TrialsFile.write(measurements, to: scratch.file(TrialsFile.name))
        var withoutTrials = measurements
        withoutTrials[0].trials = []
        #expect(try SummaryFile.read(path: scratch.path + "/summary.csv") == withoutTrials)
        #expect(try TrialsFile.read(path: scratch.path + "/trials.csv") == TrialsFile.rows(measurements[0]))
    }

    @Test func attempts() throws {
        defer { scratch.remove() }
        let writer = try AttemptsFile.Writer(path: scratch.file(AttemptsFile.name))
        var expected: [AttemptsFile.Row] = []
        for i in 0..<70_000 {  // past one write buffer
            let row = AttemptsFile.Row(thread: i % 2, attempt: i / 2, preTicks: UInt64(i) * 100,
                                       acquiredTicks: UInt64(i) * 100 + 30, releasedTicks: UInt64.max - UInt64(i))
            try writer.append(thread: row.thread, attempt: row.attempt, preTicks: row.preTicks,
                              acquiredTicks: row.acquiredTicks, releasedTicks: row.releasedTicks)
            expected.append(row)
        }
        try writer.commit()
        #expect(try AttemptsFile.read(path: scratch.path + "/attempts.csv") == expected)
    }

    @Test func throughputPreemptionsAndTable() throws {
        defer { scratch.remove() }
        let windows = [ThroughputFile.Row(timeMs: 0, totalPerMs: 1234.5, perThreadPerMs: [600, 634.5], preempted: false),
                       ThroughputFile.Row(timeMs: 0.1, totalPerMs: 0, perThreadPerMs: [0, 0], preempted: true)]
        try ThroughputFile.write(windows, threads: 2, to: scratch.file(ThroughputFile.name))
        #expect(try scratch.text("throughput.csv").hasPrefix("time_ms,total_per_ms,thread0_per_ms,thread1_per_ms,preempted\n"))
        #expect(try ThroughputFile.read(path: scratch.path + "/throughput.csv") == windows)

        let rounds = [PreemptionsFile.Row(round: 0, startMs: 50, endMs: 60.25, victims: [1]),
                      PreemptionsFile.Row(round: 1, startMs: 100, endMs: 110, victims: [0, 1])]
        try PreemptionsFile.write(rounds, to: scratch.file(PreemptionsFile.name))
        #expect(try PreemptionsFile.read(path: scratch.path + "/preemptions.csv") == rounds)

        let table = [LockTableFile.Row(lock: "mcs-pdrn", threads: 2, statistics: Self.statistics)]
        try LockTableFile.write(table, to: scratch.file(LockTableFile.name))
        #expect(try LockTableFile.read(path: scratch.path + "/table.csv") == table)
    }

    @Test(arguments: [false, true])
    func analysisOutputs(threaded: Bool) throws {
        defer { scratch.remove() }
        let thread: Int? = threaded ? 1 : nil
        let writer = try SpectrumFile.Writer(path: scratch.file(SpectrumFile.zoomName(hz: 500)), threaded: threaded)
        var bins: [SpectrumFile.Row] = []
        for k in 0..<1000 {
            let row = SpectrumFile.Row(thread: thread, frequencyHz: Double(k) * 10000 / 8192,
                                       power: 1 / (Double(k) + 0.3))
            try writer.append(thread: row.thread, frequencyHz: row.frequencyHz, power: row.power)
            bins.append(row)
        }
        try writer.commit()
        #expect(try SpectrumFile.read(path: scratch.path + "/spectrum_500hz.csv") == bins)

        let peaks = [PeaksFile.Row(thread: thread, frequencyHz: 250, power: 1e-3, prominenceDb: .infinity,
                                   harmonicOfHz: 250, label: "timer tick (CONFIG_HZ=250)"),
                     PeaksFile.Row(thread: thread, frequencyHz: 1028.1, power: 2.5e-7, prominenceDb: 12.25,
                                   harmonicOfHz: 1028.1, label: "irq 24 a, b")]
        try PeaksFile.write(peaks, threaded: threaded, to: scratch.file(PeaksFile.name))
        #expect(try PeaksFile.read(path: scratch.path + "/peaks.csv") == peaks)
        #expect(try scratch.text("peaks.csv").contains(",1028.1,"))
        try PeaksFile.write([], threaded: threaded, to: scratch.file("none.csv"))
        #expect(try PeaksFile.read(path: scratch.path + "/none.csv").isEmpty, "no peaks is a valid peaks.csv")

        let noise = [NoiseFile.Row(thread: 0, cpu: 1, metric: "noise_floor", unit: "work2_per_hz", value: .nan),
                     NoiseFile.Row(thread: 0, cpu: 1, metric: "deviations", unit: "count", value: 12)]
        try NoiseFile.write(noise, to: scratch.file(NoiseFile.name))
        #expect(try NoiseFile.read(path: scratch.path + "/noise.csv") == noise)
    }

    /// The committed reference run reads with every reader: the coming report and
    /// gate can read any run written before these types existed.
    @Test func theCommittedReferenceRunReads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/results/reference-amd-epyc-vm-2026-11-25"
        let files = try #require(FileManager.default.subpaths(atPath: root)).filter { $0.hasSuffix(".csv") }
        #expect(files.count > 10)
        for file in files {
            let path = root + "/" + file
            switch (file as NSString).lastPathComponent {
            case "summary.csv": #expect(try !SummaryFile.read(path: path).isEmpty)
            case "trials.csv": _ = try TrialsFile.read(path: path)
            case "interrupts.csv": #expect(try !InterruptsFile.read(path: path).isEmpty)
            case "throughput.csv": #expect(try !ThroughputFile.read(path: path).isEmpty)
            case "preemptions.csv": #expect(try !PreemptionsFile.read(path: path).isEmpty)
            case "table.csv": #expect(try !LockTableFile.read(path: path).isEmpty)
            case "peaks.csv": _ = try PeaksFile.read(path: path)
            case "noise.csv": #expect(try !NoiseFile.read(path: path).isEmpty)
            case let name where name.hasPrefix("spectrum"): #expect(try !SpectrumFile.read(path: path).isEmpty)
            default: Issue.record("no reader for \(file)")
            }
        }
    }
}
