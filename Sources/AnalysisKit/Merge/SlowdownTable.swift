import RunFormat

/// The slowdown a bulk-synchronous job would feel from the measured noise: a job that
/// computes for Q and then meets at a barrier loses, in each step, the largest delay
/// over the ranks (the barrier waits for the slowest; a rank's delay is `DetourWalk`'s).
/// The expected slowdown is the mean of that over the steps, divided by Q.
///
/// Three estimates (see `StepNoise`): as measured on the ranks merged (and on their
/// first 1, 2, 4, ... ranks); extrapolated by resampling the measured windows to N
/// ranks with the noise aligned (N ranks drawn from the measured ones within each
/// window: noise that strikes all nodes together stays together) and unaligned (N
/// independent windows: each node's noise on its own schedule). These are the two
/// limits Petrini, Kerbyson and Pakin (SC'03) and Hoefler, Schneider and Lumsdaine
/// (SC'10) contrast: unaligned noise made of rare long detours grows with the rank
/// count (at scale some rank is always in a detour), while frequent short detours
/// saturate at about detour/Q, and aligned noise stops growing once every window's
/// worst node is in the sample.
public struct SlowdownTable: Sendable {
    /// One Q.
    public struct Row: Sendable, Equatable {
        public var step: StepLength
        /// Whole common windows the estimate averages over (0 when unresolved).
        public var windows: Int
        /// Slowdown on all merged ranks (NaN when unresolved).
        public var measured: Double
        /// Per extrapolated rank count: (N, aligned, unaligned).
        public var extrapolated: [(ranks: Int, aligned: Double, unaligned: Double)]

        public static func == (a: Row, b: Row) -> Bool {
            a.step == b.step && a.windows == b.windows && a.measured.bitPattern == b.measured.bitPattern
                && a.extrapolated.elementsEqual(b.extrapolated) {
                    $0.ranks == $1.ranks && $0.aligned.bitPattern == $1.aligned.bitPattern
                        && $0.unaligned.bitPattern == $1.unaligned.bitPattern
                }
        }
    }

    public var rows: [Row]
    /// Rank counts of the rows' `extrapolated` (ascending; includes the measured count).
    public var rankCounts: [Int]
    /// Measured slowdown on the first n ranks, per resolved row: (n, slowdown per row).
    public var prefixes: [(ranks: Int, slowdown: [Double])]
    public var measuredRanks: Int
    public var jobSize: Int
    public var warnings: [String] = []

    /// The Q the report centres on: the resolved step nearest 1 ms.
    public var referenceStep: StepLength? {
        rows.map(\.step).filter(\.isResolved).min { abs($0.ns - 1e6) < abs($1.ns - 1e6) }
    }

    init(steps: [StepLength], noise: [StepNoise], measuredRanks: Int, jobSize: Int,
         prefixes: [(ranks: Int, slowdown: [Double])], extrapolatedRanks: [Int]) {
        self.measuredRanks = measuredRanks
        self.jobSize = jobSize
        self.prefixes = prefixes
        var counts = Set(extrapolatedRanks.filter { $0 >= 1 })
        counts.insert(measuredRanks)
        if jobSize != measuredRanks { counts.insert(jobSize) }
        rankCounts = counts.sorted()
        var worstGap = 0.0
        rows = steps.map { step in
            guard let s = noise.first(where: { $0.step == step }) else {
                return Row(step: step, windows: 0, measured: .nan, extrapolated: [])
            }
            let extrapolated = counts.sorted().map { n -> (ranks: Int, aligned: Double, unaligned: Double) in
                // Below the measured count the aligned estimate needs every rank's noise in
                // every window, which is not kept: the measured prefixes stand for it.
                guard n >= measuredRanks || measuredRanks <= s.keep else {
                    return (n, .nan, s.unalignedSlowdown(ranks: Double(n)))
                }
                let aligned = s.alignedSlowdown(ranks: Double(n))
                if aligned.slowdown > 0 { worstGap = max(worstGap, aligned.gap / aligned.slowdown) }
                return (n, aligned.slowdown, s.unalignedSlowdown(ranks: Double(n)))
            }
            return Row(step: step, windows: s.commonWindows.count, measured: s.measuredSlowdown,
                       extrapolated: extrapolated)
        }
        if worstGap > 0.01 {
            warnings.append("aligned extrapolation keeps the \(noise.first?.keep ?? 0) noisiest ranks per window: with \(measuredRanks) ranks its values may be low by up to \(CSVFormat.number((worstGap * 1000).rounded() / 10))%")
        }
    }

    /// The predicted slowdown for a job of `ranks` ranks computing `stepNs` between
    /// barriers: the row nearest `stepNs`, measured when `ranks` is the merged count,
    /// else the unaligned extrapolation at the nearest computed rank count (the
    /// conservative one of the two). What a `--bsp` check compares against.
    public func predicted(stepNs: Double, ranks: Int) -> Double? {
        guard let row = rows.filter(\.step.isResolved).min(by: { abs($0.step.ns - stepNs) < abs($1.step.ns - stepNs) })
        else { return nil }
        if ranks == measuredRanks { return row.measured }
        return row.extrapolated.min { abs($0.ranks - ranks) < abs($1.ranks - ranks) }?.unaligned
    }
}
