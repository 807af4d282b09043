import RunFormat

/// The check issue 16 asks of merge's model: repeated `ftq --mode bsp` runs (compute Q,
/// meet at a barrier) measure the slowdown a bulk-synchronous job actually feels
/// (`BSPMeasurement`); merge predicts it from FTQ traces taken the same way (same
/// ranks, same placement) as `SlowdownTable.predicted(stepNs:ranks:)`, once per FTQ
/// run: the merged one and each `--ftq` repeat (taken interleaved with the bsp runs,
/// ftq, bsp, ftq, bsp, ..., so both sides see the same conditions).
///
/// Both sides have a spread, and the verdict honours both: *agrees* when the range of
/// the predictions (lowest to highest) overlaps the range of the measurements. One
/// prediction and one measurement have no spread, so they get no verdict.
public struct BSPCheck: Sendable {
    public enum Verdict: String, Sendable {
        case agrees = "agrees: the spread of the predictions overlaps the spread of the measured runs"
        case disagrees = "does not agree: the spreads of the predictions and of the measured runs do not overlap"
        case noSpread = "no verdict: one ftq run and one bsp run have no spread (give repeated --ftq or --bsp runs)"
    }

    public var runs: [BSPMeasurement]
    /// Q of every run, ns.
    public var quantumNs: Double
    public var ranks: Int
    /// The window merge predicts for (Q snapped to whole FTQ quanta).
    public var step: StepLength
    /// One prediction per FTQ run: (run directory, slowdown).
    public var predictions: [(run: String, slowdown: Double)]

    public init(runs: [BSPMeasurement], quantumNs: Double, ranks: Int, step: StepLength,
                predictions: [(run: String, slowdown: Double)]) {
        self.runs = runs
        self.quantumNs = quantumNs
        self.ranks = ranks
        self.step = step
        self.predictions = predictions
    }

    /// The merged run's prediction (the first).
    public var predicted: Double { predictions.first?.slowdown ?? .nan }
    public var measured: [Double] { runs.map(\.slowdown) }
    public var lowest: Double { measured.min() ?? .nan }
    public var highest: Double { measured.max() ?? .nan }
    public var mean: Double { Self.mean(measured) }
    public var predictedLowest: Double { predictions.map(\.slowdown).min() ?? .nan }
    public var predictedHighest: Double { predictions.map(\.slowdown).max() ?? .nan }
    public var predictedMean: Double { Self.mean(predictions.map(\.slowdown)) }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(1, v.count)) }

    public var verdict: Verdict {
        guard runs.count > 1 || predictions.count > 1 else { return .noSpread }
        let values = measured + predictions.map(\.slowdown)
        guard values.allSatisfy(\.isFinite) else { return .disagrees }
        return predictedLowest <= highest && lowest <= predictedHighest ? .agrees : .disagrees
    }

    /// The prediction from one more FTQ run of the same job (an `--ftq` repeat): its ranks
    /// read one at a time, each rank's delays at `step` (`DetourWalk`), the largest per
    /// window, and the chained mean (`StepNoise.measuredSlowdown`).
    /// - Throws: `MergeInputError` (exit 65) when its rank count or quantum differs from
    ///   the merged run's, or for a bad rank directory.
    public static func predict(directory: String, step: StepLength, ranks: Int) throws -> Double {
        let plan = try RankPlan(entries: RankDirectories.scan(directory))
        guard plan.ranks.count == ranks else {
            throw MergeInputError("\(directory): \(plan.ranks.count) ranks but the merged ftq run has \(ranks): repeats must be taken the same way")
        }
        guard abs(plan.quantumNs - step.quantumNs) <= 1e-9 * step.quantumNs else {
            throw MergeInputError("\(directory): quantum \(plan.quantumNs) ns but the merged ftq run has \(step.quantumNs) ns: repeats must share the quantum")
        }
        let noise = StepNoise(step: step)
        for (index, planned) in plan.ranks.enumerated() {
            let threads = try RankTrace.threadWork(path: planned.entry.path + "/ftq.csv", quantumNs: step.quantumNs)
                .map { (work: $0.work, offsetNs: planned.offsetNs + $0.offsetNs) }
            noise.add(rank: index, delays: DetourWalk.rankDelays(threads: threads, step: step))
        }
        guard !noise.commonWindows.isEmpty else {
            throw MergeInputError("\(directory): the ranks share no whole window of \(step.ns) ns")
        }
        return noise.measuredSlowdown
    }

    /// Reads the bsp runs and checks them against each other and against the FTQ run
    /// merged (`ftqQuantumNs`, `ftqRanks`), before any trace is read.
    /// - Returns: the runs and the window merge must compute for them.
    /// - Throws: `MergeInputError` (exit 65) for different Q or rank counts, a Q that is
    ///   not whole FTQ quanta, or a bad run directory.
    public static func read(directories: [String], ftqQuantumNs: Double,
                            ftqRanks: Int) throws -> (runs: [BSPMeasurement], step: StepLength) {
        let runs = try directories.map { try BSPMeasurement.read(directory: $0) }
        guard let first = runs.first else { throw MergeInputError("--bsp: no run directories given") }
        for run in runs.dropFirst() {
            if abs(run.quantumNs - first.quantumNs) > 1e-9 * first.quantumNs {
                throw MergeInputError("\(run.directory): Q = \(run.quantumNs) ns but \(first.directory) has \(first.quantumNs) ns: repeated runs must share Q")
            }
            if run.ranks != first.ranks {
                throw MergeInputError("\(run.directory): \(run.ranks) ranks but \(first.directory) has \(first.ranks): repeated runs must have one rank count")
            }
        }
        guard first.ranks == ftqRanks else {
            throw MergeInputError("\(first.directory): \(first.ranks) bsp ranks but the ftq run has \(ftqRanks): take both the same way (same -np)")
        }
        let quanta = (first.quantumNs / ftqQuantumNs).rounded()
        guard quanta >= 1, abs(quanta * ftqQuantumNs - first.quantumNs) <= 0.01 * first.quantumNs else {
            throw MergeInputError("\(first.directory): Q = \(first.quantumNs) ns is not a whole number of the ftq run's \(ftqQuantumNs) ns quanta: rerun ftq with a --quantum-us dividing Q")
        }
        return (runs, StepLength(nominalNs: first.quantumNs, quanta: Int(quanta), quantumNs: ftqQuantumNs))
    }

    /// bsp_check.csv: one row per run, then a `predicted` row.
    public var table: CSVTable {
        func n(_ v: Double) -> String { v.isFinite ? CSVFormat.number(v) : "" }
        var rows = runs.map {
            ["measured", $0.directory, String($0.ranks), n($0.quantumNs), String($0.steps), n($0.workNs),
             n($0.barrierNs), n($0.meanStepNs), n($0.slowdown)]
        }
        rows += predictions.map { ["predicted", $0.run, String(ranks), n(step.ns), "", "", "", "", n($0.slowdown)] }
        return CSVTable(header: ["estimate", "run", "ranks", "q_ns", "steps", "work_ns", "barrier_ns", "mean_step_ns",
                                 "slowdown"], rows: rows)
    }
}
