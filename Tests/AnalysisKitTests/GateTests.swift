import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

/// The gate end to end on run directories written through RunFormat: what
/// fails, what passes, what is refused, and what the outputs contain.
struct GateTests {
    /// A ctxbench-like run: one metric per (name, trials), on a given environment.
    static func writeRun(_ directory: String, metrics: [(variant: String, lowerIsBetter: Bool, trials: [Double])],
                         cpuModel: String = "AMD EPYC", tscHz: Double = 2.45e9, policy: String = "SCHED_OTHER",
                         tool: String = "ctxbench") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let measurements = metrics.map { m in
            Measurement(benchmark: "floor", variant: m.variant, threads: 1, param: "iterations=1000", metric: "op",
                        unit: "ns", lowerIsBetter: m.lowerIsBetter, statistics: SampleStatistics(m.trials)!,
                        trials: m.trials)
        }
        try SummaryFile.write(measurements, to: .init(directory + "/summary.csv"))
        try TrialsFile.write(measurements, to: .init(directory + "/trials.csv"))
        let meta = RunMetadata(tool: tool, gitCommit: nil, gitDirty: nil, commandLine: ["test"], startTime: Date(),
                               host: "test", kernelRelease: "6.18.0", cpuModel: cpuModel, cpus: [0],
                               smtSiblings: ["0": "0"], tsc: .init(frequencyHz: tscHz), isolcpus: "",
                               scheduling: .init(requested: policy, obtained: ["t@cpu0": .init(policy: policy, priority: 0)]),
                               memoryLocked: true, complete: true)
        try AtomicFileWriter.write(meta.json(), to: .init(directory + "/meta.json"))
    }

    /// `count` trials around `center` with a deterministic ±0.5% spread.
    static func trials(_ center: Double, count: Int = 10, offset: Int = 0) -> [Double] {
        (0..<count).map { center * (1 + 0.005 * sin(Double($0 + offset) * 1.7)) }
    }

    @Test func aTenPercentSlowdownFailsAndNothingElseDoes() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("slow", true, Self.trials(100)), ("same", true, Self.trials(50)),
                                              ("faster", true, Self.trials(200)), ("throughput", false, Self.trials(1000))])
            try Self.writeRun(now, metrics: [("slow", true, Self.trials(110, offset: 3)), ("same", true, Self.trials(50, offset: 3)),
                                             ("faster", true, Self.trials(150, offset: 3)),
                                             ("throughput", false, Self.trials(1000, offset: 3))])
            let result = try GateJob(baseline: base, current: now).run()
            let status = Dictionary(uniqueKeysWithValues: result.verdicts.map { ($0.key.variant, $0.status) })
            #expect(status == ["slow": .regression, "same": .unchanged, "faster": .improvement, "throughput": .unchanged])
            #expect(result.exitCode == GateJob.Exit.regression)
            #expect(GateReport.text(result).contains("REGRESSION"))
            #expect(GateReport.summaryLine(result).hasPrefix("gate: FAIL"))
        }
    }

    @Test func higherIsBetterRegressesWhenItDrops() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("throughput", false, Self.trials(1000))])
            try Self.writeRun(now, metrics: [("throughput", false, Self.trials(880, offset: 2))])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.verdicts.map(\.status) == [.regression])
            // The same drop within a 20% threshold is significant but passes.
            let lenient = try GateJob(baseline: base, current: now, policy: GatePolicy(threshold: 0.2)).run()
            #expect(lenient.verdicts.map(\.status) == [.withinThreshold])
            #expect(lenient.exitCode == GateJob.Exit.pass)
        }
    }

    @Test func noisyChangesBeyondTheThresholdAreNotSignificant() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("noisy", true, [100, 60, 140, 90, 120, 70, 130, 80])])
            try Self.writeRun(now, metrics: [("noisy", true, [110, 65, 150, 95, 125, 75, 145, 85])])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.verdicts.map(\.status) == [.notSignificant])
            #expect(result.exitCode == GateJob.Exit.pass)
        }
    }

    @Test func tooFewTrialsAreReportedNotPassedSilently() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("three", true, [100, 101, 102])])
            try Self.writeRun(now, metrics: [("three", true, [200, 201, 202])])
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.verdicts.map(\.status) == [.tooFewTrials])
            #expect(GateReport.text(result).contains("too-few-trials"))
        }
    }

    @Test func differentEnvironmentsAreRefusedNamingEachDifference() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("a", true, Self.trials(100))])
            try Self.writeRun(now, metrics: [("a", true, Self.trials(100))], cpuModel: "Intel Xeon", tscHz: 2.5e9,
                              policy: "SCHED_FIFO")
            let result = try GateJob(baseline: base, current: now).run()
            #expect(result.refused)
            #expect(result.exitCode == GateJob.Exit.environmentMismatch)
            let text = result.environmentDifferences.joined(separator: "\n")
            #expect(text.contains("cpu_model: baseline 'AMD EPYC', current 'Intel Xeon'"))
            #expect(text.contains("TSC frequency"))
            #expect(text.contains("scheduling obtained"))
            #expect(result.environmentDifferences.count == 3)
            let allowed = try GateJob(baseline: base, current: now, allowEnvironmentMismatch: true).run()
            #expect(!allowed.refused)
            #expect(allowed.verdicts.map(\.status) == [.unchanged])
            #expect(allowed.environmentDifferences.count == 3)
        }
    }

    @Test func aTSCWithinOnePercentIsTheSameClock() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("a", true, Self.trials(100))], tscHz: 2.450e9)
            try Self.writeRun(now, metrics: [("a", true, Self.trials(100))], tscHz: 2.460e9)
            #expect(try GateJob(baseline: base, current: now).run().refused == false)
        }
    }

    @Test func suitesMatchRunsByWhatTheyMeasureNotWhereTheyAre() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base + "/floors", metrics: [("a", true, Self.trials(100))])
            try Self.writeRun(base + "/locks/uncontended", metrics: [("b", true, Self.trials(10))], tool: "lockbench")
            try Self.writeRun(now + "/renamed", metrics: [("a", true, Self.trials(100))])
            try Self.writeRun(now + "/locks", metrics: [("b", true, Self.trials(10)), ("new", true, Self.trials(5))],
                              tool: "lockbench")
            // A combined summary at the suite's top is not a run (no meta.json).
            try "junk that is not a summary".write(toFile: now + "/summary.csv", atomically: true, encoding: .utf8)
            let result = try GateJob(baseline: base, current: now).run()
            let byVariant = Dictionary(uniqueKeysWithValues: result.verdicts.map { ($0.key.variant, $0.status) })
            #expect(byVariant == ["a": .unchanged, "b": .unchanged, "new": .onlyInCurrent])
        }
    }

    @Test func malformedInputsAreInputFileErrors() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", empty = tmp.url.path + "/empty"
            try Self.writeRun(base, metrics: [("a", true, Self.trials(100))])
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            #expect(throws: InputFileError.self) { try GateJob(baseline: base, current: empty).run() }
            try "benchmark,variant\nx".write(toFile: base + "/trials.csv", atomically: true, encoding: .utf8)
            #expect(throws: InputFileError.self) { try GateJob(baseline: base, current: base).run() }
        }
    }

    @Test func outputsForCIAndDashboards() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base", now = tmp.url.path + "/now"
            try Self.writeRun(base, metrics: [("slow|pipe", true, Self.trials(100)), ("rate", false, Self.trials(1000))])
            try Self.writeRun(now, metrics: [("slow|pipe", true, Self.trials(120, offset: 1)), ("rate", false, Self.trials(1000))])
            let result = try GateJob(baseline: base, current: now).run()
            let markdown = GateReport.markdown(result)
            #expect(markdown.hasPrefix("## kbench gate: FAIL"))
            #expect(markdown.contains("| **REGRESSION** | ctxbench floor/slow\\|pipe"))
            let smaller = GateReport.benchmarkEntries(result, lowerIsBetter: true)
            let bigger = GateReport.benchmarkEntries(result, lowerIsBetter: false)
            #expect(smaller.map(\.name) == ["ctxbench floor/slow|pipe threads=1 [iterations=1000] op (ns)"])
            #expect(bigger.count == 1 && bigger[0].unit == "ns")
            // The action's input: an array of {name, unit, value, range?, extra?}.
            let json = try JSONSerialization.jsonObject(with: GateReport.benchmarkJSON(smaller)) as? [[String: Any]]
            let entry = try #require(json?.first)
            #expect(Set(entry.keys) == ["name", "unit", "value", "range", "extra"])
            #expect(abs((entry["value"] as? Double ?? 0) - (result.verdicts.first { $0.key.variant == "slow|pipe" }?.currentMedian ?? -1)) < 1e-9)
            #expect((entry["range"] as? String)?.hasPrefix("± ") == true)
        }
    }
}
