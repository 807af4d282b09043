import RunFormat

/// One `ftq --mode bsp` run (OUT/rank-<N>/bsp.csv and meta.json) reduced to the
/// slowdown its steps actually took, for `analysis merge --bsp` to set beside the
/// slowdown merge predicts from FTQ traces.
///
/// How the slowdown is measured. Every step does the same work and ends at a barrier,
/// so a step lasts the slowest rank's work plus the barrier. A step nobody disturbed
/// lasts `workNs + barrierNs`:
/// - `workNs`, the work undisturbed: the step time at the undisturbed rate, defined as
///   merge defines it for FTQ (`UndisturbedRate`): each rank's 1 − `level` quantile of
///   `compute_ns` (the rate 99% of its steps do not beat), and the least of that over
///   the ranks (the fastest rank's, as before the quantile: a rank that is slower on
///   every step slows the job too; on identical nodes the ranks agree);
/// - `barrierNs`, what the barrier itself costs: per step, the smallest
///   `step_ns − compute_ns` over the ranks (the last rank to arrive does not wait
///   for anyone, it only pays the barrier), and the median of that over the steps.
/// A step's delay is its `step_ns` (mean over the ranks) − `workNs` − `barrierNs`,
/// clamped at 0 as `DetourWalk` clamps its delays, and the slowdown is the mean delay
/// over `workNs`: the barrier's own cost, which FTQ cannot see, is not counted as
/// noise, and the fraction reads like merge's (delay per step / Q).
///
/// Memory: two Doubles per step (the per-step minimum wait and step sum) and one per
/// rank; each rank's bsp.csv is read and dropped in turn.
public struct BSPMeasurement: Sendable, Equatable {
    public var directory: String
    public var ranks: Int
    /// The step's nominal compute time Q (meta.json `parameters.quantum_ns`), ns.
    public var quantumNs: Double
    /// Work units per step (rank 0's calibration, the same on every rank).
    public var unitsPerStep: Int
    /// Steps every rank took.
    public var steps: Int
    public var workNs: Double
    public var barrierNs: Double
    /// Mean `step_ns` over every rank and step.
    public var meanStepNs: Double
    /// Mean over the steps of max(0, `step_ns` − `workNs` − `barrierNs`).
    public var meanDelayNs: Double

    public var slowdown: Double { meanDelayNs / workNs }

    /// Fewer steps than this say nothing about a mean delay.
    public static let minimumSteps = 16
    /// The largest bsp.csv read per rank (held in memory while read): 1 GiB, about
    /// 3·10^7 steps, more than a day at Q = 1 ms... far more than a check needs.
    public static let maximumFileBytes: Int64 = 1 << 30

    public init(directory: String, ranks: Int, quantumNs: Double, unitsPerStep: Int, steps: Int, workNs: Double,
                barrierNs: Double, meanStepNs: Double, meanDelayNs: Double) {
        self.directory = directory
        self.ranks = ranks
        self.quantumNs = quantumNs
        self.unitsPerStep = unitsPerStep
        self.steps = steps
        self.workNs = workNs
        self.barrierNs = barrierNs
        self.meanStepNs = meanStepNs
        self.meanDelayNs = meanDelayNs
    }

    /// Reads and checks one bsp run: every rank 0 ..< launch.size present, one Q and one
    /// amount of work on all, the same number of steps, numbered 0, 1, 2, ...
    /// - Throws: `MergeInputError` or `InputFileError`, one line naming the file.
    public static func read(directory: String) throws -> BSPMeasurement {
        let entries = try RankDirectories.scan(directory, trace: BSPStepsFile.name)
        guard !entries.isEmpty else {
            throw MergeInputError("\(directory): no rank-<N> directories with bsp.csv: not an ftq --mode bsp run")
        }
        var quantum: Double?, units: Int?, steps: Int?, size: Int?
        var rankWork: [Double] = []
        var stepSum: [Double] = []
        var lastWait: [Double] = []
        for entry in entries {
            let metaPath = entry.path + "/meta.json"
            let meta = try RankMetadata.read(path: metaPath)
            guard meta.parameters?["mode"]?.stringValue == "bsp" else {
                throw MergeInputError("\(metaPath): parameters.mode is not \"bsp\": not an ftq --mode bsp run")
            }
            guard let q = meta.quantumNs, TraceReader.plausibleQuantumNs.contains(q) else {
                throw MergeInputError("\(metaPath): parameters.quantum_ns missing or outside 1 ns to 1 hour")
            }
            guard let u = meta.parameters?["units_per_step"]?.intValue, u >= 1 else {
                throw MergeInputError("\(metaPath): parameters.units_per_step missing or below 1")
            }
            if let quantum, abs(quantum - q) > 1e-9 * quantum {
                throw MergeInputError("\(metaPath): quantum_ns \(q) but rank \(entries[0].rank) has \(quantum): not one bsp run")
            }
            if let units, units != u {
                throw MergeInputError("\(metaPath): units_per_step \(u) but rank \(entries[0].rank) has \(units): the ranks did different work per step")
            }
            quantum = q
            units = u
            let rankSize: Int
            if let launch = meta.launch {
                guard launch.rank == entry.rank else {
                    throw MergeInputError("\(metaPath): launch.rank is \(launch.rank) in directory rank-\(entry.rank)")
                }
                rankSize = launch.size
            } else if entries.count == 1 {
                rankSize = 1
            } else {
                throw MergeInputError("\(metaPath): no launch object, but there are \(entries.count) ranks")
            }
            if let size, size != rankSize {
                throw MergeInputError("\(metaPath): launch.size \(rankSize) but rank \(entries[0].rank) says \(size): not one job")
            }
            size = rankSize

            let path = entry.path + "/" + BSPStepsFile.name
            guard try RankDirectories.requireKind(path, directory: false) <= maximumFileBytes else {
                throw MergeInputError("\(path): larger than the \(maximumFileBytes) bytes the bsp check reads")
            }
            let rows = try BSPStepsFile.read(path: path)
            if let steps, steps != rows.count {
                throw MergeInputError("\(path): \(rows.count) steps but rank \(entries[0].rank) took \(steps): a barrier failed or a rank stopped early")
            }
            guard rows.count >= minimumSteps else {
                throw MergeInputError("\(path): \(rows.count) steps, fewer than the \(minimumSteps) the bsp check needs")
            }
            steps = rows.count
            if lastWait.isEmpty {
                lastWait = Array(repeating: .infinity, count: rows.count)
                stepSum = Array(repeating: 0, count: rows.count)
            }
            var compute: [Double] = []
            compute.reserveCapacity(rows.count)
            for (i, row) in rows.enumerated() {
                guard row.step == i else {
                    throw MergeInputError("\(path): line \(i + 2) is step \(row.step), expected \(i): steps must be 0, 1, 2, ... in order")
                }
                guard row.computeNs > 0 else {
                    throw MergeInputError("\(path): line \(i + 2): compute_ns is 0")
                }
                compute.append(Double(row.computeNs))
                stepSum[i] += Double(row.stepNs)
                lastWait[i] = min(lastWait[i], Double(row.stepNs - row.computeNs))
            }
            compute.sort()
            rankWork.append(SampleStatistics.quantile(compute, 1 - UndisturbedRate.level))
        }
        let jobSize = size ?? entries.count
        guard entries.count == jobSize, entries.last?.rank == jobSize - 1 else {
            throw MergeInputError("\(directory): \(entries.count) rank directories for a job of \(jobSize) ranks: every rank met at the barrier, so every rank's bsp.csv is needed")
        }
        let workNs = rankWork.min()!
        let ranks = Double(entries.count)
        let sortedWait = lastWait.sorted()
        let barrierNs = SampleStatistics.quantile(sortedWait, 0.5)
        let delay = stepSum.reduce(0) { $0 + max(0, $1 / ranks - workNs - barrierNs) }
        return BSPMeasurement(directory: directory, ranks: entries.count, quantumNs: quantum!, unitsPerStep: units!,
                              steps: steps!, workNs: workNs, barrierNs: barrierNs,
                              meanStepNs: stepSum.reduce(0, +) / (ranks * Double(steps!)),
                              meanDelayNs: delay / Double(steps!))
    }
}
