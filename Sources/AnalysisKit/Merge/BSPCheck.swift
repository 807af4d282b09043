import RunFormat

/// The check issue 16 asks of merge's model: repeated `ftq --mode bsp` runs (compute Q,
/// meet at a barrier) measure the slowdown a bulk-synchronous job actually feels
/// (`BSPMeasurement`); merge predicts it from FTQ traces taken the same way (same
/// ranks, same placement) as `SlowdownTable.predicted(stepNs:ranks:)`. The prediction
/// agrees when it lies within the spread of the repeated runs (their lowest to their
/// highest slowdown); one run has no spread, so it gets no verdict.
public struct BSPCheck: Sendable {
    public enum Verdict: String, Sendable {
        case agrees = "agrees within the spread of the runs"
        case disagrees = "does not agree: outside the spread of the runs"
        case noSpread = "no verdict: one run has no spread (give two or more --bsp runs)"
    }

    public var runs: [BSPMeasurement]
    /// Q of every run, ns.
    public var quantumNs: Double
    public var ranks: Int
    /// The window merge predicts for (Q snapped to whole FTQ quanta).
    public var step: StepLength
    public var predicted: Double

    public var measured: [Double] { runs.map(\.slowdown) }
    public var lowest: Double { measured.min() ?? .nan }
    public var highest: Double { measured.max() ?? .nan }
    public var mean: Double { measured.reduce(0, +) / Double(max(1, runs.count)) }

    public var verdict: Verdict {
        guard runs.count > 1 else { return .noSpread }
        return (lowest...highest).contains(predicted) ? .agrees : .disagrees
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
        rows.append(["predicted", "", String(ranks), n(step.ns), "", "", "", "", n(predicted)])
        return CSVTable(header: ["estimate", "run", "ranks", "q_ns", "steps", "work_ns", "barrier_ns", "mean_step_ns",
                                 "slowdown"], rows: rows)
    }
}
