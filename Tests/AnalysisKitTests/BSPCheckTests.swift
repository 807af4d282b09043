import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

private let provenance = Provenance(host: "t", gitCommit: nil, gitDirty: nil)

/// Writes an `ftq --mode bsp` run of `ranks` ranks under `root`: every step rank 0
/// computes `workNs + delay(step)`, the others `workNs`; every rank's step lasts the
/// slowest compute plus `barrierNs` (the barrier lets all go together).
private func writeBSPRun(_ root: String, ranks: Int = 2, steps: Int = 100, quantumNs: Double = 1_000_000,
                         workNs: Int64 = 1_000_000, barrierNs: Int64 = 10_000, delay: (Int) -> Int64) throws {
    for rank in 0..<ranks {
        let dir = root + "/rank-\(rank)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var start: Int64 = 0
        let rows = (0..<steps).map { k -> BSPStepsFile.Row in
            let compute = workNs + (rank == 0 ? delay(k) : 0)
            let step = workNs + delay(k) + barrierNs
            defer { start += step }
            return BSPStepsFile.Row(step: k, startNs: start, computeNs: compute, stepNs: step)
        }
        try BSPStepsFile.table(rows).write(to: .init(dir + "/bsp.csv"))
        let launch = RunMetadata.Launch(launcher: .openmpi, rank: rank, size: ranks, host: "h",
                                        timeZeroRealtimeNs: 1_700_000_000_000_000_000,
                                        clock: .init(sync: .none, synchronized: nil, offsetNs: nil, maxErrorNs: nil,
                                                     detail: "test"))
        let meta: [String: Any] = [
            "host": "h",
            "parameters": ["mode": "bsp", "quantum_ns": quantumNs, "units_per_step": 1000, "steps": steps],
            "launch": try JSONSerialization.jsonObject(with: JSONCoding.encode(launch)),
        ]
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: dir + "/meta.json"))
    }
}

/// Two synthetic FTQ ranks at a 100 µs quantum with unaligned 300 µs detours at 50 Hz:
/// a prediction well above zero at Q = 1 ms.
private func writeFTQRun(_ root: String, ranks: Int = 2) throws {
    let sources = [SyntheticRanks.Source(frequencyHz: 50, detourNs: 300_000)]
    try SyntheticRanks(ranks: ranks, durationSeconds: 1, sources: sources).write(to: root, provenance: provenance)
}

@Suite("analysis merge --bsp", .timeLimit(.minutes(1)))
struct BSPCheckTests {
    @Test("measured slowdown: the planted delay over the work, the barrier's own cost not counted")
    func measuredSlowdownIsThePlantedDelay() throws {
        try withTemporaryDirectory { dir in
            let root = dir.url.path + "/b"
            // Every tenth step rank 0 is delayed 200 µs: mean delay 20 µs over 1 ms of work = 2%.
            try writeBSPRun(root) { $0 % 10 == 0 ? 200_000 : 0 }
            let run = try BSPMeasurement.read(directory: root)
            #expect(run.ranks == 2 && run.steps == 100 && run.quantumNs == 1e6 && run.unitsPerStep == 1000)
            #expect(run.workNs == 1_000_000)
            #expect(run.barrierNs == 10_000)
            #expect(abs(run.slowdown - 0.02) < 1e-12)
        }
    }

    @Test("the prediction is merge's slowdown at the bsp Q and rank count; the verdict follows the spread of the runs")
    func verdictFollowsTheSpread() throws {
        try withTemporaryDirectory { dir in
            let ftq = dir.url.path + "/ftq"
            try writeFTQRun(ftq)
            let plain = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m0").run(provenance: provenance)
            let expected = try #require(plain.slowdown.predicted(stepNs: 1e6, ranks: 2))
            #expect(expected > 0.005)
            // Runs whose constant delay per step gives slowdowns of `factors` × the prediction.
            func runs(_ name: String, _ factors: [Double]) throws -> [String] {
                try factors.enumerated().map { i, f in
                    let path = dir.url.path + "/\(name)\(i)"
                    try writeBSPRun(path) { _ in Int64((f * expected * 1e6).rounded()) }
                    return path
                }
            }
            let around = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m1",
                                      bspDirectories: runs("around", [0.8, 1.05, 1.3])).run(provenance: provenance)
            let check = try #require(around.bspCheck)
            #expect(check.predicted == expected)
            #expect(check.step.ns == 1e6 && check.ranks == 2)
            #expect(abs(check.lowest - 0.8 * expected) < 1e-5 && abs(check.highest - 1.3 * expected) < 1e-5)
            #expect(check.verdict == .agrees)
            let csv = try String(contentsOfFile: dir.url.path + "/m1/bsp_check.csv", encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 5 && csv.contains("predicted"))

            let above = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m2",
                                     bspDirectories: runs("above", [2, 2.5, 3])).run(provenance: provenance)
            #expect(above.bspCheck?.verdict == .disagrees)
            let one = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m3",
                                   bspDirectories: runs("one", [1])).run(provenance: provenance)
            #expect(one.bspCheck?.verdict == .noSpread)
            #expect(MergeReport.render(around, format: .text).contains("agrees: the spread of the predictions overlaps"))

            // Repeated ftq runs give the prediction a spread (here the same traces, so a
            // point): the verdict asks whether the two ranges overlap.
            let repeats = try (1...2).map { i -> String in
                let path = dir.url.path + "/ftq\(i)"
                try writeFTQRun(path)
                return path
            }
            let paired = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m4",
                                      bspDirectories: runs("paired", [0.95, 1.05]), ftqRepeats: repeats).run(provenance: provenance)
            let pairedCheck = try #require(paired.bspCheck)
            #expect(pairedCheck.predictions.count == 3 && pairedCheck.predictions.allSatisfy { abs($0.slowdown - expected) < 1e-12 })
            #expect(pairedCheck.verdict == .agrees)
            let pairedAbove = try MergeJob(input: ftq, outputDirectory: dir.url.path + "/m5",
                                           bspDirectories: runs("pairedAbove", [2, 2.2]), ftqRepeats: repeats).run(provenance: provenance)
            #expect(pairedAbove.bspCheck?.verdict == .disagrees)
            let report = MergeReport.render(paired, format: .text)
            #expect(report.contains("predicted mean (spread)") && report.contains("3 ftq runs"))
            // A repeat with another rank count is bad input, named.
            let three = dir.url.path + "/ftq3"
            try writeFTQRun(three, ranks: 3)
            let error = mergeError(ftq, bsp: try runs("r3", [1, 1]), ftqRepeats: [three])
            #expect(error?.contains("ftq3: 3 ranks but the merged ftq run has 2") == true, "\(error ?? "nil")")
        }
    }

    @Test("a Q off the ftq quanta's grid is added as its own window")
    func offGridQ() throws {
        try withTemporaryDirectory { dir in
            let ftq = dir.url.path + "/ftq"
            try writeFTQRun(ftq)
            let bsp = dir.url.path + "/b"
            try writeBSPRun(bsp, quantumNs: 700_000, workNs: 700_000) { _ in 0 }
            let result = try MergeJob(input: ftq, bspDirectories: [bsp]).run(provenance: provenance)
            #expect(result.bspCheck?.step.ns == 700_000)
            #expect(result.slowdown.rows.contains { $0.step.quanta == 7 })
        }
    }

    // MARK: Bad input

    @Test("mismatched or broken bsp runs are one-line errors naming the directory")
    func badInput() throws {
        try withTemporaryDirectory { dir in
            let ftq = dir.url.path + "/ftq"
            try writeFTQRun(ftq)
            func bsp(_ name: String, ranks: Int = 2, steps: Int = 100, quantumNs: Double = 1e6,
                     edit: (String) throws -> Void = { _ in }) throws -> String {
                let path = dir.url.path + "/" + name
                try writeBSPRun(path, ranks: ranks, steps: steps, quantumNs: quantumNs) { _ in 0 }
                try edit(path)
                return path
            }
            let good = try bsp("good")
            let cases: [(String, [String], String)] = [
                ("different Q", [good, try bsp("q", quantumNs: 2e6)], "repeated runs must share Q"),
                ("rank counts between runs", [good, try bsp("r3", ranks: 3)], "repeated runs must have one rank count"),
                ("rank count against ftq", [try bsp("r1", ranks: 1)], "the ftq run has 2"),
                ("Q not whole quanta", [try bsp("half", quantumNs: 1_050_000)], "not a whole number"),
                ("missing bsp.csv", [try bsp("nocsv") { try FileManager.default.removeItem(atPath: $0 + "/rank-1/bsp.csv") }],
                 "bsp.csv"),
                ("missing rank", [try bsp("norank") { try FileManager.default.removeItem(atPath: $0 + "/rank-1") }],
                 "1 rank directories for a job of 2"),
                ("too few steps", [try bsp("short", steps: 3)], "fewer than the 16"),
                ("not a directory", [dir.url.path + "/absent"], "absent"),
                ("steps out of order", [try bsp("order") { path in
                    let file = path + "/rank-0/bsp.csv"
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    try text.replacingOccurrences(of: "\n5,", with: "\n7,").write(toFile: file, atomically: true, encoding: .utf8)
                }], "expected 5"),
                ("not a bsp run", [try bsp("mode") { path in
                    let file = path + "/rank-0/meta.json"
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    try text.replacingOccurrences(of: "\"bsp\"", with: "\"ftq\"").write(toFile: file, atomically: true, encoding: .utf8)
                }], "not an ftq --mode bsp run"),
            ]
            for (what, dirs, fragment) in cases {
                let error = mergeError(ftq, bsp: dirs)
                #expect(error?.contains(fragment) == true, "\(what): \(error ?? "no error")")
                #expect(error?.contains("\n") != true, "\(what): not one line")
            }
        }
    }
}
