import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

/// `analysis import` on outputs recorded from the real tools on the 2-vCPU VM
/// (Tests/AnalysisKitTests/Recorded): rminnich/ftq (`ftq.linux -t 2 -n 4096`),
/// LLNL fwq (`fwq -n 1000 -w 14`, `fwq-th -t 2 -c 0-1 -n 1000 -w 14`),
/// cyclictest (`-m -p 80 -t 2 -a 0-1 -i 1000 -l 2000 -h 100 -q` and
/// `-t 1 -a 1 -i 500 -l 4000 -h 400 -q`) and oslat (`-c 1 -C 0 -D 3 -q`,
/// `-c 0-1 -C 0 -D 2 -q -z`).
struct ImportTests {
    static let recorded = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Recorded").path

    static func file(_ name: String) -> String { recorded + "/" + name }

    @Test func rminnichFTQBecomesARunTheSpectrumReads() throws {
        try withTemporaryDirectory { tmp in
            let out = tmp.url.path + "/ftq"
            let result = try ImportJob(format: .ftq, inputs: [Self.file("ftq2_0.dat"), Self.file("ftq2_1.dat")],
                                       outputDirectory: out).run(commandLine: ["test"])
            // One row per quantum: 4096 each, as ftq was asked for.
            #expect(result.measurements.map(\.statistics.count) == [4096, 4096])
            #expect(result.measurements.map(\.variant) == ["thread0", "thread1"])
            let meta = try RunMetadata.read(path: out + "/meta.json")
            #expect(meta.tool == "rminnich/ftq")
            #expect(meta.parameters["quantum_ns"]?.doubleValue == 100_000)
            #expect(meta.parameters["imported_from"]?.stringValue == "rminnich/ftq")
            #expect(meta.cpuModel == "AMD EPYC")
            #expect(meta.kernelRelease.hasPrefix("6.18"))
            #expect(abs((meta.tsc.ticksPerNs ?? 0) - 2.4454) < 1e-9)
            let rows = try SamplerTraceFile.ftq.read(path: out + "/ftq.csv")
            #expect(rows.count == 8192)
            #expect(rows[3].startNs == 300_000)
            // The spectrum reads it like a kbench run: sample rate from meta.json.
            let spectrum = try SpectrumJob(input: out, spectra: .none)
                .run(provenance: Provenance(host: "t", gitCommit: nil, gitDirty: nil), localConfigHZ: { 250 })
            #expect(spectrum.threads.count == 2)
            #expect(spectrum.input.sampleRate == 10_000)
        }
    }

    @Test func fwqThreadedOutputCarriesItsOwnClock() throws {
        try withTemporaryDirectory { tmp in
            let out = tmp.url.path + "/fwq"
            let result = try ImportJob(format: .fwq, inputs: [Self.file("fwq-th.dat")], outputDirectory: out).run()
            #expect(result.measurements.map(\.variant) == ["thread0", "thread1"])
            #expect(result.measurements.allSatisfy { $0.statistics.count == 1000 })
            // The first sample, 44492 cycles at 2.444828 GHz.
            let rows = try SamplerTraceFile.fwq.read(path: out + "/fwq.csv")
            #expect(rows[0].value == (44492 / 2.444828).rounded())
            #expect(rows.filter { $0.thread == 1 }.allSatisfy { $0.cpu == 1 })
            #expect(result.metadata.tsc.frequencyHz == 2.444828e9)
        }
    }

    @Test func classicFWQNeedsTheCycleRate() throws {
        try withTemporaryDirectory { tmp in
            let out = tmp.url.path + "/fwq"
            #expect(throws: InputFileError.self) {
                try ImportJob(format: .fwq, inputs: [Self.file("fwq_0_times.dat")], outputDirectory: out).run()
            }
            let result = try ImportJob(format: .fwq, inputs: [Self.file("fwq_0_times.dat")], outputDirectory: out,
                                       tscGHz: 2.445).run()
            #expect(result.measurements.first?.statistics.count == 1000)
            let rows = try SamplerTraceFile.fwq.read(path: out + "/fwq.csv")
            #expect(rows[0].value == (71393 / 2.445).rounded())
            #expect(rows[1].startNs == Int64((71393 / 2.445).rounded()))
        }
    }

    @Test func cyclictestHistogramsKeepTheToolsTotalsAndExtremes() throws {
        let histograms = try CyclictestHistogramFile.read(path: Self.file("cyclictest-h.txt"))
        #expect(histograms.count == 2)
        // "# Total: 1978 1964" plus "# Histogram Overflows: 22 36": every loop of -l 2000.
        #expect(histograms.map(\.count) == [2000, 2000])
        #expect(histograms.map(\.overflows) == [22, 36])
        let statistics = try #require(histograms[0].statistics)
        #expect(statistics.min == 9 && statistics.max == 1371)
        #expect(histograms[1].reportedMaxUs == 3004)
        // Each sample becomes a trial while there are at most 10000.
        #expect(histograms[0].trialValues().count == 2000)
    }

    @Test func oslatReportsOneHistogramPerCore() throws {
        let report = try OslatHistogramFile.read(path: Self.file("oslat-2cpu-z.txt"))
        #expect(report.histograms.map(\.label) == ["cpu0", "cpu1"])
        #expect(report.counterMHz == 2445)
        #expect(report.histograms[0].reportedMaxUs == 4112)
        #expect(report.histograms[1].buckets.first?.count == 61_731_467)
        // 64 million samples: the trials are a bounded quantile sketch.
        let trials = report.histograms[0].trialValues()
        #expect(trials.count == LatencyHistogram.sketchSize)
        #expect(trials == trials.sorted())
        #expect(trials.first == 1)
    }

    @Test func theGateComparesTwoImportsOfOneTool() throws {
        try withTemporaryDirectory { tmp in
            let a = tmp.url.path + "/a", b = tmp.url.path + "/b"
            _ = try ImportJob(format: .oslat, inputs: [Self.file("oslat.txt")], outputDirectory: a).run()
            _ = try ImportJob(format: .oslat, inputs: [Self.file("oslat.txt")], outputDirectory: b).run()
            let same = try GateJob(baseline: a, current: b).run()
            #expect(!same.refused)
            #expect(same.verdicts.map(\.status) == [.unchanged])
            let c = tmp.url.path + "/c", d = tmp.url.path + "/d"
            _ = try ImportJob(format: .cyclictest, inputs: [Self.file("cyclictest-1t.txt")], outputDirectory: c).run()
            _ = try ImportJob(format: .cyclictest, inputs: [Self.file("cyclictest-1t.txt")], outputDirectory: d).run()
            let cyclic = try GateJob(baseline: c, current: d).run()
            #expect(cyclic.verdicts.count == 1 && cyclic.verdicts[0].baselineTrials == 4000)
        }
    }

    @Test func otherToolsOutputIsRefusedWithFileAndLine() throws {
        try withTemporaryDirectory { tmp in
            let wrong = try tmp.write("x.dat", "# not ftq\n1 2\n")
            #expect {
                try RminnichFTQFile.read(path: wrong) { _, _, _ in }
            } throws: { error in
                (error as? InputFileError)?.description == "\(wrong):2: not rminnich/ftq output: a data row before the '# Frequency' header line"
            }
            // oslat's report is not a cyclictest histogram, nor the other way round.
            #expect(throws: InputFileError.self) { try CyclictestHistogramFile.read(path: Self.file("oslat.txt")) }
            #expect(throws: InputFileError.self) { try OslatHistogramFile.read(path: Self.file("cyclictest-h.txt")) }
            let descending = try tmp.write("c.txt", "# Histogram\n000002 000001\n000001 000001\n")
            #expect(throws: InputFileError.self) { try CyclictestHistogramFile.read(path: descending) }
        }
    }
}
