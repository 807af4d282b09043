/// Which spectral lines appear on how many ranks: the lines most ranks share come from
/// a system-wide source (the timer tick, a cron job, an NTP daemon, a firmware SMI);
/// the lines only a few ranks show are node-local (a stuck IRQ, a bad DIMM's
/// corrected errors, a runaway daemon).
///
/// Streaming: ranks are added one at a time with their peaks; a line is a cluster of
/// peak frequencies, and only the clusters are kept (a bounded number), never the
/// spectra.
///
/// Frequency tolerance: two peaks are one line when they are within
/// `toleranceBins` bins of the line's centre, or within `toleranceFraction` of its
/// frequency if that is wider (clocks of different hosts disagree by up to 100 ppm,
/// so a 4 kHz line wanders by 0.4 Hz between nodes).
public struct PeakCensus: Sendable {
    /// One line and the ranks that show it.
    public struct Line: Sendable, Equatable {
        /// Mean frequency of its peaks, Hz.
        public var frequencyHz: Double
        /// Ranks showing it.
        public var ranks: Int
        /// The strongest peak's power, work²/Hz, and mean prominence, dB.
        public var maxPower: Double
        public var prominenceSumDb: Double
        /// The first few ranks showing it (to name the nodes of a node-local line).
        public var exampleRanks: [Int]
        /// The last rank counted, so a rank with two peaks in one line counts once.
        var lastRank: Int

        public var meanProminenceDb: Double { ranks > 0 ? prominenceSumDb / Double(ranks) : .nan }
    }

    /// How a line is classified against the number of ranks merged.
    public enum Extent: String, Sendable {
        /// On at least `commonFraction` of the ranks (and on two or more).
        case common = "system-wide"
        /// On one rank, or on at most `localFraction` of them.
        case local = "node-local"
        /// In between.
        case partial = "some-nodes"
        /// On few ranks but within `weakMarginDb` of the detection threshold: as likely a
        /// common line that crossed the threshold on a few ranks only, so not called local.
        case weak = "weak"
    }

    /// A line on few ranks is called node-local only when it stands this far above the
    /// detection threshold (a line at the threshold is found on some ranks and missed
    /// on others by chance).
    public static let weakMarginDb = 6.0

    public var binWidthHz: Double
    public var toleranceBins = 2.0
    public var toleranceFraction = 2e-4
    public static let commonFraction = 0.5
    public static let localFraction = 0.1
    /// Lines kept at most; further new lines are counted in `droppedPeaks`.
    public static let maximumLines = 20_000
    public private(set) var lines: [Line] = []
    public private(set) var droppedPeaks = 0

    /// The peak finder's threshold on the ranks' spectra, dB.
    public var detectionThresholdDb: Double

    public init(binWidthHz: Double, detectionThresholdDb: Double = 10) {
        self.binWidthHz = binWidthHz
        self.detectionThresholdDb = detectionThresholdDb
    }

    /// The tolerance, Hz, around a line at `hz`.
    public func toleranceHz(at hz: Double) -> Double {
        max(toleranceBins * binWidthHz, toleranceFraction * hz)
    }

    /// Counts rank `rank`'s peaks (frequency, power, prominence).
    public mutating func add(rank: Int, peaks: [Peak]) {
        for peak in peaks {
            let f = peak.frequencyHz
            // Lines are kept sorted by frequency: binary search for the nearest.
            var lo = 0, hi = lines.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if lines[mid].frequencyHz < f { lo = mid + 1 } else { hi = mid }
            }
            var best: Int?
            for candidate in [lo - 1, lo] where candidate >= 0 && candidate < lines.count {
                let d = abs(lines[candidate].frequencyHz - f)
                if d <= toleranceHz(at: f), best.map({ d < abs(lines[$0].frequencyHz - f) }) ?? true {
                    best = candidate
                }
            }
            if let b = best {
                guard lines[b].lastRank != rank else { continue }
                let n = Double(lines[b].ranks)
                lines[b].frequencyHz = (lines[b].frequencyHz * n + f) / (n + 1)
                lines[b].ranks += 1
                lines[b].maxPower = max(lines[b].maxPower, peak.power)
                lines[b].prominenceSumDb += peak.prominenceDb.isFinite ? peak.prominenceDb : 0
                if lines[b].exampleRanks.count < 5 { lines[b].exampleRanks.append(rank) }
                lines[b].lastRank = rank
            } else if lines.count < Self.maximumLines {
                lines.insert(Line(frequencyHz: f, ranks: 1, maxPower: peak.power,
                                  prominenceSumDb: peak.prominenceDb.isFinite ? peak.prominenceDb : 0,
                                  exampleRanks: [rank], lastRank: rank), at: lo)
            } else {
                droppedPeaks += 1
            }
        }
    }

    /// The extent of `line` among `rankCount` ranks.
    public func extent(of line: Line, rankCount: Int) -> Extent {
        let fraction = Double(line.ranks) / Double(max(1, rankCount))
        if line.ranks >= 2, fraction >= Self.commonFraction { return .common }
        if line.ranks == 1 || fraction <= Self.localFraction {
            return line.meanProminenceDb >= detectionThresholdDb + Self.weakMarginDb ? .local : .weak
        }
        return .partial
    }
}
