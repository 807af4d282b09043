import Foundation
import RunFormat
import SeededRandom
import Testing
@testable import AnalysisKit

private let provenance = Provenance(host: "t", gitCommit: nil, gitDirty: nil)

/// Synthetic ranks written to a temporary directory.
private func synthesize(_ synthetic: SyntheticRanks, in directory: TemporaryDirectory) throws -> String {
    let root = directory.url.appendingPathComponent("run").path
    try synthetic.write(to: root, provenance: provenance)
    return root
}

/// Edits a rank's meta.json as a JSON object.
private func editMeta(_ root: String, rank: Int, _ edit: (inout [String: Any]) -> Void) throws {
    let path = root + "/rank-\(rank)/meta.json"
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
}

/// The error merging `root` (with `bsp` runs to check) throws, as printed; nil when it merges.
func mergeError(_ root: String, allowMissing: Bool = false, bsp: [String] = [], ftqRepeats: [String] = []) -> String? {
    do {
        _ = try MergeJob(input: root, allowMissing: allowMissing, bspDirectories: bsp, ftqRepeats: ftqRepeats)
            .run(provenance: Provenance(host: "t", gitCommit: nil, gitDirty: nil))
        return nil
    } catch {
        return "\(error)"
    }
}

@Suite("analysis merge", .timeLimit(.minutes(1)))
struct MergeTests {
    @Test("planted system-wide lines are on every rank, node-local ones only on the ranks they were planted on")
    func plantedLinesAreClassified() throws {
        try withTemporaryDirectory { dir in
            let synthetic = SyntheticRanks(ranks: 8, durationSeconds: 3, sources: SyntheticRanks.Profile.mixed.sources(ranks: 8))
            let root = try synthesize(synthetic, in: dir)
            let result = try MergeJob(input: root).run(provenance: provenance)
            let lines = result.census.lines
            func extent(_ line: PeakCensus.Line) -> PeakCensus.Extent { result.census.extent(of: line, rankCount: 8) }
            func line(near hz: Double) -> PeakCensus.Line? {
                lines.filter { abs($0.frequencyHz - hz) <= result.census.toleranceHz(at: hz) }.max { $0.ranks < $1.ranks }
            }
            // The 10 Hz daemon's comb and the 250 Hz tick are on (nearly) all eight ranks.
            let tick = try #require(line(near: 250))
            #expect(tick.ranks >= 6 && extent(tick) == .common, "250 Hz on \(tick.ranks) ranks")
            let harmonic = try #require(line(near: 500))
            #expect(harmonic.ranks >= 6 && extent(harmonic) == .common, "500 Hz on \(harmonic.ranks) ranks")
            // Node-local: 37 Hz on rank 3, 1433 Hz on rank 7, and every node-local line is theirs.
            let local37 = try #require(line(near: 37))
            #expect(local37.exampleRanks == [3] && extent(local37) == .local)
            let local1433 = try #require(line(near: 1433))
            #expect(local1433.exampleRanks == [7] && extent(local1433) == .local)
            // Lines of the common sources caught on one rank near the threshold are weak, not local.
            let strays = lines.filter { extent($0) == .local && !Set($0.exampleRanks).isSubset(of: [3, 7]) }
            #expect(strays.isEmpty, "node-local lines on unplanted ranks: \(strays.map(\.frequencyHz))")
            // Rank 7 (1433 Hz × 8 µs on top of the common noise) is the worst node.
            #expect(result.nodes.max { $0.maxFractionLost < $1.maxFractionLost }?.host == "synth7")
            for name in ["ranks.csv", "nodes.csv", "lines.csv", "heatmap.csv", "slowdown_q.csv", "slowdown_ranks.csv", "meta.json"] {
                #expect(FileManager.default.fileExists(atPath: root + "/merge/" + name), "\(name)")
            }
            let report = MergeReport.render(result, format: .markdown)
            #expect(report.contains("Petrini") && report.contains("Hoefler") && report.contains("| system-wide |"))
        }
    }

    /// Brute force on the traces: the job simulated step by step, each step starting
    /// the instant the last one ended (not on a window grid), each rank walking its own
    /// work from that instant until the undisturbed Q of work is done; and the
    /// extrapolations simulated by drawing ranks and windows at random.
    @Test("the detour model agrees with a step-by-step simulation of the job on the same traces, long detours included")
    func slowdownAgreesWithBruteForce() throws {
        // A 3.5 ms detour three times a second on ranks 2 and 5 spans several 1 ms windows.
        let synthetic = SyntheticRanks(ranks: 12, quantumNs: 100_000, durationSeconds: 2,
                                       sources: SyntheticRanks.Profile.mixed.sources(ranks: 12) + [
                                           .init(frequencyHz: 3, detourNs: 900_000),
                                           .init(frequencyHz: 3, detourNs: 3_500_000, ranks: [2, 5])])
        let zero = (0..<12).map { synthetic.timeZero(rank: $0) }
        let origin = zero.min()!
        let step = StepLength(nominalNs: 1_000_000, quanta: 10, quantumNs: 100_000)
        let model = StepNoise(step: step)
        var perRank: [(first: Int, delays: [Double])] = []
        var traces: [(work: [Double], offsetNs: Double)] = []
        for rank in 0..<12 {
            let work = synthetic.work(rank: rank).map { Double($0) }
            let offset = Double(zero[rank] - origin)
            let delays = DetourWalk.rankDelays(threads: [(work, offset)], step: step)
            model.add(rank: rank, delays: delays)
            perRank.append(delays)
            traces.append((work, offset))
        }
        let first = perRank.map(\.first).max()!, last = perRank.map { $0.first + $0.delays.count }.min()!
        #expect(model.commonWindows == first..<last)
        let simulated = simulateJob(traces, step: step, fromNs: max(Double(first) * step.ns, traces.map(\.offsetNs).max()!))
        #expect(simulated > 0.02)
        #expect(abs(model.measuredSlowdown - simulated) <= 0.1 * simulated,
                "model \(model.measuredSlowdown) vs step-by-step \(simulated)")

        func noise(_ r: Int, _ w: Int) -> Double { perRank[r].delays[w - perRank[r].first] }
        var random = SeededGenerator(seed: 16)
        let n = 1000, runs = 3
        var aligned = 0.0, unaligned = 0.0, steps = 0
        for _ in 0..<runs {
            // Aligned: the job runs step after step; each step's ranks are drawn within its window.
            var t = Double(first)
            while t < Double(last) - 0.5 {
                let w = Int(t.rounded())
                let d = (0..<n).map { _ in noise(Int.random(in: 0..<12, using: &random), w) }.max()!
                aligned += d
                steps += 1
                t += 1 + d / step.ns
            }
        }
        aligned /= Double(steps) * step.ns
        // Unaligned: independent draws from the steps each rank would take on its own.
        var pooled: [Double] = []
        for r in perRank {
            var t = 0.0
            while t < Double(r.delays.count) - 0.5 {
                let d = r.delays[Int(t.rounded())]
                pooled.append(d)
                t += 1 + d / step.ns
            }
        }
        for _ in 0..<1500 {
            unaligned += (0..<n).map { _ in pooled.randomElement(using: &random)! }.max()!
        }
        unaligned /= 1500 * step.ns
        let modelAligned = model.alignedSlowdown(ranks: Double(n))
        #expect(abs(modelAligned.slowdown - aligned) <= 0.05 * aligned, "aligned \(modelAligned.slowdown) vs \(aligned)")
        #expect(modelAligned.gap <= 1e-9)
        let modelUnaligned = model.unalignedSlowdown(ranks: Double(n))
        #expect(abs(modelUnaligned - unaligned) <= 0.05 * unaligned, "unaligned \(modelUnaligned) vs \(unaligned)")
        // Independent noise at 1000 ranks is worse than the same noise aligned.
        #expect(modelUnaligned > modelAligned.slowdown)
    }

    @Test("a step that loses half its time stretches by about 100%: the detour model has no cap at Q")
    func noCapAtQ() {
        // 2.3 ms of detour every 4.7 ms on one rank (a period off the window grid): a
        // fraction f = 0.49 of the time lost, so a step stretches by f/(1 − f) = 96%.
        var synthetic = SyntheticRanks(ranks: 1, quantumNs: 100_000, durationSeconds: 2,
                                       sources: [.init(frequencyHz: 1e9 / 4_700_000, detourNs: 2_300_000)])
        synthetic.jitter = 0
        let step = StepLength(nominalNs: 1_000_000, quanta: 10, quantumNs: 100_000)
        let work = synthetic.work(rank: 0).map { Double($0) }
        // The reference: a detour-free 1 ms block exists (2.4 ms free between detours).
        #expect(work.withUnsafeBufferPointer { DetourWalk.reference(work: $0, quanta: 10) } == 10 * synthetic.baseWork)
        let model = StepNoise(step: step)
        model.add(rank: 0, delays: DetourWalk.rankDelays(threads: [(work, 0)], step: step))
        let simulated = simulateJob([(work, 0)], step: step, fromNs: 0)
        #expect(abs(simulated - 2.3 / 2.4) < 0.05, "step-by-step \(simulated)")
        #expect(abs(model.measuredSlowdown - simulated) <= 0.1 * simulated, "model \(model.measuredSlowdown) vs \(simulated)")
    }

    /// The model reads noise back from FTQ work counts; the simulation takes the planted
    /// detours themselves: the job runs step after step, each rank's step ending when it
    /// has had Q of detour-free time, the step when the last rank is done.
    @Test("FTQ-derived slowdown agrees with a detour-level simulation of the bulk-synchronous job")
    func slowdownAgreesWithDetourSimulation() throws {
        var synthetic = SyntheticRanks(ranks: 6, quantumNs: 100_000, durationSeconds: 2,
                                       sources: SyntheticRanks.Profile.mixed.sources(ranks: 6) + [
                                           .init(frequencyHz: 2, detourNs: 2_700_000, ranks: [4])])
        synthetic.jitter = 0
        let zero = (0..<6).map { synthetic.timeZero(rank: $0) }
        let origin = zero.min()!
        for quanta in [10, 100] {
            let step = StepLength(nominalNs: Double(quanta) * 100_000, quanta: quanta, quantumNs: 100_000)
            let model = StepNoise(step: step)
            var undisturbed: [Double] = []
            for rank in 0..<6 {
                let work = synthetic.work(rank: rank).map { Double($0) }
                model.add(rank: rank, delays: DetourWalk.rankDelays(threads: [(work, Double(zero[rank] - origin))], step: step))
                // The model's undisturbed Q of work, as time at the undisturbed rate: the
                // simulation does the same work (at 10 ms blocks, 2.5 ticks are in every one).
                let reference = work.withUnsafeBufferPointer { DetourWalk.reference(work: $0, quanta: quanta)! }
                undisturbed.append(reference / synthetic.baseWork * 100_000)
            }
            let detours = (0..<6).map { rank in
                synthetic.detours(rank: rank).map { (startNs: $0.startNs + Double(zero[rank] - origin), lengthNs: $0.lengthNs) }
            }
            let windows = model.commonWindows
            var t = Double(windows.lowerBound) * step.ns, total = 0.0, steps = 0
            while true {
                let end = detours.indices.map { rank -> Double in
                    let rankDetours = detours[rank]
                    // Walk forward from t until `undisturbed` of detour-free time has passed.
                    var at = t, remaining = undisturbed[rank]
                    for d in rankDetours where d.startNs + d.lengthNs > at {
                        if d.startNs > at {
                            if d.startNs - at >= remaining { break }
                            remaining -= d.startNs - at
                        }
                        at = d.startNs + d.lengthNs
                    }
                    return at + remaining
                }.max()!
                guard end <= Double(windows.upperBound) * step.ns else { break }
                total += max(0, end - t - step.ns)
                steps += 1
                t = end
            }
            let simulated = total / Double(steps) / step.ns
            // Quantisation (detours are seen in whole quanta, steps start on the window grid): within 15%.
            #expect(abs(model.measuredSlowdown - simulated) <= 0.15 * simulated,
                    "Q=\(quanta) quanta: model \(model.measuredSlowdown) vs simulated \(simulated)")
        }
    }

    @Test("at scale few long interruptions cost more than many short ones of the same total (Petrini 2003, Hoefler 2010)")
    func fewLongAgainstManyShort() throws {
        func slowdowns(_ profile: SyntheticRanks.Profile) -> (one: Double, many: Double) {
            let synthetic = SyntheticRanks(ranks: 16, quantumNs: 100_000, durationSeconds: 4,
                                           sources: profile.sources(ranks: 16))
            // Q = one quantum: the undisturbed rate is that of blocks of Q, and at Q = 1 ms
            // every block holds one of the short profile's 1 kHz detours (see `DetourWalk`).
            let step = StepLength(nominalNs: 100_000, quanta: 1, quantumNs: 100_000)
            let model = StepNoise(step: step)
            for rank in 0..<16 {
                let work = synthetic.work(rank: rank).map { Double($0) }
                let offset = Double(synthetic.timeZero(rank: rank) - synthetic.startRealtimeNs)
                model.add(rank: rank, delays: DetourWalk.rankDelays(threads: [(work, offset)], step: step))
            }
            return (model.unalignedSlowdown(ranks: 1), model.unalignedSlowdown(ranks: 100_000))
        }
        let short = slowdowns(.short), long = slowdowns(.long)
        // One rank: the same 1% either way (within the jitter's share).
        #expect(abs(short.one - long.one) < 0.005, "\(short.one) vs \(long.one)")
        // 10^5 ranks: short detours saturate near 10 µs per 100 µs step; long ones hold
        // nearly every step for most of a 10 ms detour (no cap at Q).
        #expect(short.many < 0.15 && long.many > 10, "short \(short.many), long \(long.many)")
    }

    @Test("expected maximum of the pooled histogram is the empirical one within a bin")
    func histogramExpectedMaximum() {
        var histogram = WindowNoiseHistogram()
        let values: [Double] = [0, 0, 0, 100, 1000, 5000]
        for v in values { histogram.add(v) }
        #expect(abs(histogram.expectedMaximum(of: 1) - values.reduce(0, +) / 6) <= 1e-9)
        // Exact: E[max of 3 draws] = Σ v_(k) ((k/6)^3 − ((k−1)/6)^3).
        let sorted = values.sorted()
        let exact = sorted.indices.reduce(0.0) { sum, k in
            sum + sorted[k] * (pow(Double(k + 1) / 6, 3) - pow(Double(k) / 6, 3))
        }
        #expect(abs(histogram.expectedMaximum(of: 3) - exact) <= 1e-9 * exact)
        #expect(WindowNoiseHistogram().expectedMaximum(of: 5).isNaN)
    }

    @Test("Q grid: 10 µs to 100 ms, snapped to whole quanta, below the quantum unresolved")
    func stepGrid() {
        let grid = StepLength.grid(quantumNs: 100_000)
        #expect(grid.first?.nominalNs == 10_000 && grid.last?.nominalNs == 100_000_000)
        #expect(grid.prefix(4).allSatisfy { !$0.isResolved } && grid.dropFirst(4).allSatisfy(\.isResolved))
        #expect(Set(grid.map(\.quanta)).count == grid.count - 3)
        let fine = StepLength.grid(quantumNs: 10_000)
        #expect(fine.allSatisfy { $0.isResolved })
    }

    // MARK: Bad input

    @Test("a missing rank directory is an error naming it, or a warning with allowMissing")
    func missingRank() throws {
        try withTemporaryDirectory { dir in
            let root = try synthesize(SyntheticRanks(ranks: 4, durationSeconds: 0.2, sources: []), in: dir)
            try FileManager.default.removeItem(atPath: root + "/rank-2")
            let error = try #require(mergeError(root))
            #expect(error.contains("1 of 4 rank directories missing (rank-2)") && error.contains("--allow-missing"))
            let result = try MergeJob(input: root, allowMissing: true).run(provenance: provenance)
            #expect(result.ranks.map(\.rank) == [0, 1, 3])
            #expect(result.warnings.contains { $0.contains("rank-2") })
            #expect(result.slowdown.rankCounts.contains(4))
        }
    }

    @Test("ranks with different quanta are an error")
    func differentQuanta() throws {
        try withTemporaryDirectory { dir in
            let root = try synthesize(SyntheticRanks(ranks: 3, durationSeconds: 0.2, sources: []), in: dir)
            try editMeta(root, rank: 1) { meta in
                var parameters = meta["parameters"] as! [String: Any]
                parameters["quantum_ns"] = 50_000
                meta["parameters"] = parameters
            }
            let error = try #require(mergeError(root))
            #expect(error.contains("rank 1 has quantum 50000") && error.contains("different quanta"))
        }
    }

    @Test("a trace whose rows do not follow its meta.json's quantum is an error")
    func traceOffItsQuantum() throws {
        try withTemporaryDirectory { dir in
            let root = try synthesize(SyntheticRanks(ranks: 2, durationSeconds: 0.2, sources: []), in: dir)
            // rank-1's rows at 50 µs while its meta.json says 100 µs.
            let other = SyntheticRanks(ranks: 1, quantumNs: 50_000, durationSeconds: 0.2, sources: [])
            let scratch = dir.url.appendingPathComponent("other").path
            try other.write(to: scratch, provenance: provenance)
            try FileManager.default.removeItem(atPath: root + "/rank-1/ftq.csv")
            try FileManager.default.copyItem(atPath: scratch + "/rank-0/ftq.csv", toPath: root + "/rank-1/ftq.csv")
            let error = try #require(mergeError(root))
            #expect(error.contains("rank-1/ftq.csv") && error.contains("mixed quantum"))
        }
    }

    @Test("clocks that disagree beyond a quantum give warnings naming the ranks")
    func disagreeingClocks() throws {
        try withTemporaryDirectory { dir in
            let root = try synthesize(SyntheticRanks(ranks: 3, durationSeconds: 0.3, sources: []), in: dir)
            try editMeta(root, rank: 2) { meta in
                var launch = meta["launch"] as! [String: Any]
                var clock = launch["clock"] as! [String: Any]
                clock["offset_ns"] = 400_000.0
                clock["max_error_ns"] = 50_000.0
                clock["synchronized"] = false
                launch["clock"] = clock
                // It also started 5 quanta after the agreed instant.
                launch["time_zero_realtime_ns"] = (launch["time_zero_realtime_ns"] as! Int) + 500_000
                meta["launch"] = launch
            }
            let result = try MergeJob(input: root).run(provenance: provenance)
            #expect(result.warnings.contains { $0.contains("rank 2") && $0.contains("clock offset+error 450000 ns exceeds the 100000 ns quantum") })
            #expect(result.warnings.contains { $0.contains("unsynchronised") })
            #expect(result.warnings.contains { $0.contains("time zeros") && $0.contains("more than the 100000 ns quantum") })
            let meta = try DerivedRunMetadata.read(path: root + "/merge/meta.json")
            #expect(meta.warnings == result.warnings)
        }
    }

    @Test("contradictory or hostile rank directories are one-line errors")
    func hostileDirectories() throws {
        try withTemporaryDirectory { dir in
            let root = try synthesize(SyntheticRanks(ranks: 2, durationSeconds: 0.2, sources: []), in: dir)
            // No launch object with two ranks.
            try editMeta(root, rank: 1) { $0["launch"] = nil }
            #expect(mergeError(root)?.contains("no launch object") == true)
            try FileManager.default.removeItem(atPath: root + "/rank-1")
            // One rank alone needs no launch; a name with zero padding is refused.
            try FileManager.default.createDirectory(atPath: root + "/rank-01", withIntermediateDirectories: false)
            #expect(mergeError(root)?.contains("rank-01: not rank-<N>") == true)
            try FileManager.default.removeItem(atPath: root + "/rank-01")
            // A symlinked rank directory.
            try FileManager.default.createSymbolicLink(atPath: root + "/rank-1", withDestinationPath: root + "/rank-0")
            #expect(mergeError(root)?.contains("is a symlink") == true)
            try FileManager.default.removeItem(atPath: root + "/rank-1")
            // A directory whose launch.rank is another rank's.
            try FileManager.default.copyItem(atPath: root + "/rank-0", toPath: root + "/rank-1")
            #expect(mergeError(root)?.contains("launch.rank is 0 in directory rank-1") == true)
            // A control character in a name stays escaped on one line.
            #expect(!MergeInputError("a\nb").description.contains("\n"))
            // Nothing to merge.
            let empty = dir.url.appendingPathComponent("empty").path
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
            #expect(mergeError(empty)?.contains("no rank-<N> directories") == true)
        }
    }
}

/// The bulk-synchronous job on FTQ traces, step by step: each step starts the instant
/// the last one ended; each rank walks its work from there (a partial quantum at that
/// quantum's rate) until its undisturbed Q of work (`DetourWalk.reference`) is done; the
/// step ends with the slowest rank. Returns the mean delay per step over Q, over the
/// steps that end inside every trace.
func simulateJob(_ ranks: [(work: [Double], offsetNs: Double)], step: StepLength, fromNs: Double) -> Double {
    let q = step.quantumNs
    let references = ranks.map { r in r.work.withUnsafeBufferPointer { DetourWalk.reference(work: $0, quanta: step.quanta)! } }
    func finish(_ r: Int, from t: Double) -> Double? {
        let (work, offset) = ranks[r]
        var i = Int(((t - offset) / q).rounded(.down))
        guard i >= 0 else { return nil }
        var remaining = references[r], at = t
        while i < work.count {
            let end = offset + Double(i + 1) * q
            let rate = work[i] / q
            if rate * (end - at) >= remaining { return at + remaining / rate }
            remaining -= rate * (end - at)
            at = end
            i += 1
        }
        return nil
    }
    var t = fromNs, total = 0.0, steps = 0
    while true {
        var end = -Double.infinity
        for r in ranks.indices {
            guard let f = finish(r, from: t) else { return total / Double(max(1, steps)) / step.ns }
            end = max(end, f)
        }
        total += max(0, end - t - step.ns)
        steps += 1
        t = end
    }
}
