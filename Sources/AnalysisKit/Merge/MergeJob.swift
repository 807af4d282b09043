import Foundation
import RunFormat
import SystemPackage

/// `analysis merge DIR` as one library call: the ranks of one job (DIR/rank-<N>/),
/// read one at a time and aligned on their shared time base, reduced to per-node noise,
/// the lines common to most nodes against those of a few, and the slowdown a
/// bulk-synchronous job would feel (`SlowdownTable`).
///
/// Memory: per rank only `RankNoise` (a few numbers) and its peaks' contribution to
/// `PeakCensus` are kept; the per-window state of `StepNoise` is sized by one run's
/// duration, not by the rank count; the heat map is streamed to its file. One rank's
/// trace is in memory at a time.
///
/// With `bspDirectories` (`--bsp`), repeated `ftq --mode bsp` runs are read and checked
/// against the FTQ ranks first (cheap, fails before any trace is read), their Q is
/// added to the step grid, and their measured slowdown is set beside
/// `SlowdownTable.predicted(stepNs:ranks:)` at that Q and rank count and beside the
/// prediction from each `--ftq` repeat (`BSPCheck`, bsp_check.csv).
public struct MergeJob: Sendable {
    public var input: String
    /// Output directory; nil for `<input>/merge`.
    public var outputDirectory: String?
    public var allowMissing: Bool
    public var peakFinder: PeakFinder
    /// Welch segment length, the same for every rank (default: `Spectrum.defaultSegmentLength`
    /// of the first rank, at most 8192, so spectra are comparable and cheap).
    public var segmentLength: Int?
    /// Rank counts the slowdown is extrapolated to (the measured count is added).
    public var extrapolatedRanks: [Int]
    /// `ftq --mode bsp` run directories (repeats of one run) to check the prediction against.
    public var bspDirectories: [String]
    /// More FTQ runs of the same job (`--ftq`), taken interleaved with the bsp runs: each
    /// gives one more prediction, so the check sees the prediction's spread too.
    public var ftqRepeats: [String]

    public static let defaultExtrapolatedRanks = [1, 10, 100, 1_000, 10_000, 100_000]

    public init(input: String, outputDirectory: String? = nil, allowMissing: Bool = false,
                peakFinder: PeakFinder = PeakFinder(), segmentLength: Int? = nil,
                extrapolatedRanks: [Int] = MergeJob.defaultExtrapolatedRanks, bspDirectories: [String] = [],
                ftqRepeats: [String] = []) {
        self.input = input
        self.outputDirectory = outputDirectory
        self.allowMissing = allowMissing
        self.peakFinder = peakFinder
        self.segmentLength = segmentLength
        self.extrapolatedRanks = extrapolatedRanks
        self.bspDirectories = bspDirectories
        self.ftqRepeats = ftqRepeats
    }

    /// The Welch segment when none is given: `Spectrum.defaultSegmentLength`, but at
    /// least a quarter of the run (short multi-rank runs still resolve a 10 Hz
    /// daemon's comb) and at most 8192 samples (a heat-map row and the peak search stay
    /// cheap). The first rank's length sets it for all.
    static func segmentLength(forCount count: Int) -> Int? {
        guard count > 0 else { return nil }
        var quarter = 256
        while quarter * 2 <= count / 4 { quarter *= 2 }
        return min(8192, count, max(Spectrum.defaultSegmentLength(forCount: count), quarter))
    }

    /// What a merge produced.
    public struct Result: Sendable {
        public var plan: RankPlan
        public var ranks: [RankNoise]
        public var nodes: [NodeNoise]
        public var census: PeakCensus
        public var slowdown: SlowdownTable
        public var warnings: [String]
        public var outputDirectory: String
        /// Seconds every rank covers (the common windows at the finest Q).
        public var commonSeconds: Double
        /// The measured bulk-synchronous runs against the prediction (with `--bsp`).
        public var bspCheck: BSPCheck?
    }

    /// Runs the merge.
    /// - Throws: `MergeInputError` or `InputFileError` for bad input (exit 65),
    ///   `RunDirectoryError` or `FileWriteError` for the output.
    public func run(provenance: Provenance, warn: (String) -> Void = { _ in }) throws -> Result {
        let entries = try RankDirectories.scan(input)
        let plan = try RankPlan(entries: entries, allowMissing: allowMissing)
        var warnings = plan.warnings
        plan.warnings.forEach(warn)
        let q = plan.quantumNs
        let bsp = bspDirectories.isEmpty ? nil
            : try BSPCheck.read(directories: bspDirectories, ftqQuantumNs: q, ftqRanks: plan.ranks.count)
        let out = outputDirectory ?? input + "/merge"
        let directory = try RunDirectory(creating: FilePath(out))
        var steps = StepLength.grid(quantumNs: q)
        if let step = bsp?.step, !steps.contains(where: { $0.quanta == step.quanta }) {
            steps.append(step)
            steps.sort { $0.nominalNs < $1.nominalNs }
        }
        let noise = steps.filter(\.isResolved).map { StepNoise(step: $0) }
        var census: PeakCensus?
        var bins: HeatMapBins?
        let heat = try AtomicFileWriter(path: directory.file("heatmap.csv"))
        try heat.write("rank,freq_hz,power\n")
        var ranks: [RankNoise] = []
        ranks.reserveCapacity(plan.ranks.count)
        var prefixes: [(ranks: Int, slowdown: [Double])] = []
        var segment = segmentLength

        for (index, planned) in plan.ranks.enumerated() {
            let trace = try RankTrace.read(path: planned.entry.path + "/ftq.csv", quantumNs: q,
                                           segmentLength: segment, peakFinder: peakFinder)
            if segment == nil { segment = trace.spectrum.fftLength }
            if census == nil {
                census = PeakCensus(binWidthHz: trace.spectrum.binWidthHz,
                                    detectionThresholdDb: peakFinder.thresholdDb(binCount: trace.spectrum.power.count))
            }
            census!.add(rank: planned.entry.rank, peaks: trace.peaks)
            let heatBins = bins ?? HeatMapBins(lowHz: max(0.5, trace.spectrum.binWidthHz), highHz: 0.5e9 / q)
            bins = heatBins
            let row = heatBins.reduce(trace.spectrum)
            for b in row.indices {
                try heat.write(planned.entry.rank)
                try heat.write(byte: UInt8(ascii: ","))
                try heat.write(heatBins.centreHz(b))
                try heat.write(byte: UInt8(ascii: ","))
                try heat.write(row[b])
                try heat.write(byte: UInt8(ascii: "\n"))
            }
            let threads = trace.threadWork.map { (work: $0.work, offsetNs: planned.offsetNs + $0.offsetNs) }
            for s in noise { s.add(rank: index, delays: DetourWalk.rankDelays(threads: threads, step: s.step)) }
            let n = index + 1
            if n & (n - 1) == 0 || n == plan.ranks.count {
                prefixes.append((n, noise.map(\.measuredSlowdown)))
            }
            ranks.append(RankNoise(rank: planned.entry.rank, host: planned.host, nodeID: planned.launch?.nodeID,
                                   localRank: planned.launch?.localRank, threads: trace.threads, quanta: trace.quanta,
                                   fractionLost: trace.fractionLost, longestLossNs: trace.longestLossNs,
                                   noiseFloor: trace.noiseFloor, peaks: trace.peaks.count))
        }
        try heat.commit()

        let table = SlowdownTable(steps: steps, noise: noise, measuredRanks: plan.ranks.count, jobSize: plan.size,
                                  prefixes: prefixes, extrapolatedRanks: extrapolatedRanks)
        warnings += table.warnings
        table.warnings.forEach(warn)
        if let reference = table.referenceStep, let step = noise.first(where: { $0.step == reference }) {
            let counts = step.slowestCounts(rankCount: ranks.count)
            let windows = Double(max(1, step.commonWindows.count))
            for i in ranks.indices { ranks[i].slowestShare = Double(counts[i]) / windows }
        }
        if let finest = noise.first, finest.commonWindows.isEmpty, plan.ranks.count > 1 {
            throw MergeInputError("the ranks share no whole window in time: their time_zero_realtime_ns and durations do not overlap")
        }
        let census0 = census ?? PeakCensus(binWidthHz: 1)
        if census0.droppedPeaks > 0 {
            let message = "\(census0.droppedPeaks) peaks beyond \(PeakCensus.maximumLines) distinct lines were not counted"
            warnings.append(message)
            warn(message)
        }
        let nodes = NodeNoise.group(ranks)
        let commonSeconds = noise.first.map { Double($0.commonWindows.count) * $0.step.ns / 1e9 } ?? 0
        let check = try bsp.map { bsp in
            let repeats = try ftqRepeats.map {
                (run: $0, slowdown: try BSPCheck.predict(directory: $0, step: bsp.step, ranks: plan.ranks.count))
            }
            return BSPCheck(runs: bsp.runs, quantumNs: bsp.runs[0].quantumNs, ranks: bsp.runs[0].ranks, step: bsp.step,
                            predictions: [(run: input, slowdown: table.predicted(stepNs: bsp.step.ns, ranks: bsp.runs[0].ranks) ?? .nan)] + repeats)
        }
        let result = Result(plan: plan, ranks: ranks, nodes: nodes, census: census0, slowdown: table,
                            warnings: warnings, outputDirectory: out, commonSeconds: commonSeconds, bspCheck: check)
        try MergeOutput.write(result, to: directory)
        var meta = DerivedRunMetadata(
            tool: "analysis merge", inputs: [RunPaths.relative(input, to: out)],
            parameters: [
                "ranks": .int(Int64(plan.ranks.count)),
                "job_size": .int(Int64(plan.size)),
                "quantum_ns": .double(q),
                "origin_realtime_ns": .int(plan.originRealtimeNs),
                "welch_segment": JSONValue.from(segment) { .int(Int64($0)) },
                "peak_tolerance": .string("max(\(CSVFormat.number(census0.toleranceBins)) bins, \(CSVFormat.number(census0.toleranceFraction * 1e6)) ppm of the frequency)"),
                "extrapolated_ranks": .array(extrapolatedRanks.map { .int(Int64($0)) }),
                "window_top_kept": .int(Int64(noise.first?.keep ?? 0)),
                "bsp_runs": .array(bspDirectories.map { .string(RunPaths.relative($0, to: out)) }),
                "ftq_repeats": .array(ftqRepeats.map { .string(RunPaths.relative($0, to: out)) }),
            ],
            provenance: provenance)
        meta.warnings = warnings
        try meta.finish(complete: true, in: directory)
        return result
    }
}
