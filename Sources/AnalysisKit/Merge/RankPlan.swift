import RunFormat

/// The first pass of `analysis merge`: every rank's meta.json (small) is read and the
/// ranks are checked against each other before any trace is read, so a run that
/// cannot be merged fails at once, and nothing is silently wrong:
///
/// - more than one rank and a rank without `launch`: error (its time base is unknown);
/// - a directory name that disagrees with `launch.rank`, two ranks that disagree on
///   `launch.size`, a rank at or beyond the size: error;
/// - a gap in the ranks (0 ..< size not all present): error, or a warning with
///   `allowMissing`;
/// - different quanta: error (windows of Q are whole quanta of one length);
/// - time bases more than an hour apart: error (not one job);
/// - clocks whose admitted error exceeds a quantum, unsynchronised clocks, ranks given
///   one start instant whose time zeros differ by more than a quantum: warnings, since
///   the alignment is then only as good as the clocks.
public struct RankPlan: Sendable {
    /// One rank as planned.
    public struct Rank: Sendable {
        public var entry: RankDirectories.Entry
        public var launch: RunMetadata.Launch?
        public var host: String
        /// Offset of the rank's time zero after `originRealtimeNs`, ns.
        public var offsetNs: Double
    }

    public var ranks: [Rank]
    /// The sampler quantum shared by every rank, ns.
    public var quantumNs: Double
    /// The earliest time zero (CLOCK_REALTIME ns): windows are counted from here.
    public var originRealtimeNs: Int64
    /// The job's size from `launch.size` (the rank count when there is no launch).
    public var size: Int
    public var warnings: [String] = []

    /// `host` as it may be printed: control characters become "?", and at most 255
    /// characters (a host name from a hostile meta.json cannot break the report's lines).
    static func printable(_ host: String) -> String {
        String(String.UnicodeScalarView(host.unicodeScalars.prefix(255).map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
    }

    /// Ranks whose time zeros spread wider than this are not one job.
    public static let largestStartSpreadNs: Int64 = 3_600_000_000_000

    public init(entries: [RankDirectories.Entry], allowMissing: Bool = false) throws {
        guard !entries.isEmpty else {
            throw MergeInputError("no rank-<N> directories: merge reads OUT/rank-0, OUT/rank-1, ... written by ranks of one job")
        }
        var ranks: [Rank] = []
        ranks.reserveCapacity(entries.count)
        var quantum: (ns: Double, rank: Int)?
        var size: (value: Int, rank: Int)?
        var warnings: [String] = []
        var clockWarnings = 0, unsynchronized = 0
        for entry in entries {
            let metaPath = entry.path + "/meta.json"
            let meta = try RankMetadata.read(path: metaPath)
            guard let q = meta.quantumNs, TraceReader.plausibleQuantumNs.contains(q) else {
                throw MergeInputError("\(metaPath): parameters.quantum_ns missing or outside 1 ns to 1 hour: not an ftq run")
            }
            if let (first, firstRank) = quantum, abs(first - q) > 1e-9 * first {
                throw MergeInputError("rank \(entry.rank) has quantum \(q) ns but rank \(firstRank) has \(first) ns: ranks with different quanta cannot share windows; rerun with one --quantum-us")
            }
            quantum = quantum ?? (q, entry.rank)
            if let launch = meta.launch {
                guard launch.rank == entry.rank else {
                    throw MergeInputError("\(metaPath): launch.rank is \(launch.rank) in directory rank-\(entry.rank)")
                }
                guard launch.size >= 1, launch.size <= RankDirectories.maximumRanks else {
                    throw MergeInputError("\(metaPath): launch.size \(launch.size) is outside 1 to \(RankDirectories.maximumRanks)")
                }
                if let (known, knownRank) = size, known != launch.size {
                    throw MergeInputError("rank \(entry.rank) says launch.size \(launch.size) but rank \(knownRank) says \(known): not one job")
                }
                size = size ?? (launch.size, entry.rank)
                guard launch.rank < launch.size else {
                    throw MergeInputError("\(metaPath): launch.rank \(launch.rank) is not below launch.size \(launch.size)")
                }
                if let bound = launch.clockErrorBoundNs, bound > q {
                    clockWarnings += 1
                    if clockWarnings <= 3 {
                        warnings.append("rank \(entry.rank) (\(launch.host)): clock offset+error \(Int(bound)) ns exceeds the \(Int(q)) ns quantum (\(launch.clock.sync.rawValue)): its windows may be misaligned")
                    }
                }
                if launch.clock.synchronized == false { unsynchronized += 1 }
            } else if entries.count > 1 {
                throw MergeInputError("\(metaPath): no launch object, but there are \(entries.count) ranks: without it the rank's time base is unknown (rerun under the launcher with this kbench)")
            }
            ranks.append(Rank(entry: entry, launch: meta.launch,
                              host: Self.printable(meta.launch?.host ?? meta.host ?? "unknown"), offsetNs: 0))
        }
        if clockWarnings > 3 { warnings.append("\(clockWarnings) ranks in all have clock errors above a quantum") }
        if unsynchronized > 0 {
            warnings.append("\(unsynchronized) ranks report an unsynchronised clock: aligned windows assume agreeing clocks")
        }
        let jobSize = size?.value ?? entries.count
        if let beyond = entries.first(where: { $0.rank >= jobSize }) {
            throw MergeInputError("rank-\(beyond.rank) is at or beyond the job size \(jobSize)")
        }
        if entries.count < jobSize {
            let present = Set(entries.map(\.rank))
            let missing = (0..<jobSize).lazy.filter { !present.contains($0) }
            let shown = missing.prefix(5).map { "rank-\($0)" }.joined(separator: ", ")
            let message = "\(jobSize - entries.count) of \(jobSize) rank directories missing (\(shown)\(jobSize - entries.count > 5 ? ", ..." : ""))"
            guard allowMissing else {
                throw MergeInputError(message + ": pass --allow-missing to merge the ranks present")
            }
            warnings.append(message + ": merged the ranks present; the slowdown at the job's size is extrapolated")
        }

        // The shared time base.
        let zeros = ranks.map { Int64($0.launch?.timeZeroRealtimeNs ?? 0) }
        let origin = zeros.min() ?? 0
        let latest = zeros.max() ?? 0
        guard latest.subtractingReportingOverflow(origin).overflow == false,
              latest - origin <= Self.largestStartSpreadNs else {
            throw MergeInputError("time_zero_realtime_ns spans more than an hour across ranks: not one job")
        }
        for i in ranks.indices { ranks[i].offsetNs = Double(zeros[i] - origin) }
        let q = quantum!.ns
        // Ranks told one start instant should have started within a quantum of each other.
        let told = ranks.filter { $0.launch?.startAtUTC != nil }
        if told.count > 1, let lo = told.map(\.offsetNs).min(), let hi = told.map(\.offsetNs).max(), hi - lo > q {
            warnings.append("ranks given one start instant have time zeros \(Int(hi - lo)) ns apart (more than the \(Int(q)) ns quantum): clocks or start disagree; windows follow each rank's own clock")
        }
        self.ranks = ranks
        self.quantumNs = q
        self.originRealtimeNs = origin
        self.size = jobSize
        self.warnings = warnings
    }
}
