/// A peak with its place in a harmonic family.
public struct GroupedPeak: Sendable, Equatable {
    public var peak: Peak
    /// The family's fundamental: the frequency of its lowest peak (equal to
    /// `peak.frequencyHz` for the fundamental itself).
    public var fundamentalHz: Double
    /// 1 for the fundamental, n for its n-th harmonic.
    public var harmonic: Int

    public init(peak: Peak, fundamentalHz: Double, harmonic: Int) {
        self.peak = peak
        self.fundamentalHz = fundamentalHz
        self.harmonic = harmonic
    }
}

/// Groups peaks into harmonic families: a periodic disturbance that is not a pure sine
/// (a tick that steals a few µs every 4 ms is a pulse train) shows up as a line at its
/// frequency f and lines at 2f, 3f, ... (a square wave: odd multiples only). Reporting
/// them as one family says "one source", which is what a reader of FTQ spectra wants
/// (thesis §4.5: "the multiples of 40 Hz ... all appear to be from the same source").
///
/// Peaks are taken in increasing frequency; each peak not yet in a family starts one
/// and claims the later unclaimed peaks near an integer multiple n ≥ 2 of it.
///
/// Tolerance. A line's frequency is known to ±½ bin (its bin centre), so n·f0 is known
/// to ±n/2 bins. The fundamental is re-estimated by least squares through the origin
/// (f0 = Σ n·f / Σ n²) as members join, which shrinks that error to ±n/(2·n_max) bins.
/// A peak at f joins when |f − n·f0| ≤ binWidth · (1 + n / (2·n_max)). To keep a
/// low-frequency stray line from claiming everything by coincidence, a multiple is only
/// considered while its tolerance is under a quarter of f0 (beyond that, "being near a
/// multiple" is no evidence).
///
/// If the fundamental itself was not detected, its lowest detected multiple heads the
/// family (and, say, 2f and 3f then form separate families).
///
/// Harmonic numbers stop at `maxHarmonic` (64): with the fine bins of a long run a
/// sub-hertz line would otherwise find "multiples" among thousands of unrelated lines.
///
/// Known sources first. A line that is a multiple of two fundamentals (1000 Hz is 4×250
/// and 10×100) belongs to the one with a known cause: frequencies in `knownSourcesHz`
/// (the timer tick, the measured IRQ rates) claim their multiples before any unexplained
/// line does, and do so even when their own fundamental line was too weak to detect. A
/// known frequency is matched within `clockTolerance` (100 ppm) besides the bins: it
/// comes from the measured system's clock (CONFIG_HZ) or a count over the run, and two
/// clocks disagree by parts per million, which is many bins in a long run.
public enum HarmonicGrouping {
    /// The highest harmonic number a family may claim.
    public static let maxHarmonic = 64
    /// Relative disagreement allowed between a known source's nominal frequency and
    /// its line (the labeler's tick tolerance too).
    public static let clockTolerance = 1e-4

    /// `peaks` (any order) grouped into families, returned in increasing frequency.
    /// `knownSourcesHz`: fundamentals with a known cause, which claim their multiples first.
    public static func group(_ peaks: [Peak], binWidthHz: Double, knownSourcesHz: [Double] = []) -> [GroupedPeak] {
        let sorted = peaks.sorted { $0.frequencyHz < $1.frequencyHz }
        var result: [GroupedPeak?] = Array(repeating: nil, count: sorted.count)
        let binWidth = max(binWidthHz, 0)
        for known in knownSourcesHz.sorted() where known > 0 {
            claimMultiples(of: known, in: sorted, into: &result, binWidth: binWidth, headedBy: nil,
                           relativeSlack: clockTolerance)
        }
        for head in sorted.indices where result[head] == nil {
            claimMultiples(of: sorted[head].frequencyHz, in: sorted, into: &result, binWidth: binWidth,
                           headedBy: head, relativeSlack: 0)
        }
        return result.compactMap { $0 }
    }

    /// Puts the unclaimed peaks near multiples of `nominal` into its family. With `head`,
    /// the peak at that index is the fundamental (harmonic 1); without, an unclaimed peak
    /// within the tolerance of `nominal` becomes it if there is one, and the family is
    /// named after that line. `relativeSlack` widens every match by that fraction of the
    /// multiple's frequency.
    private static func claimMultiples(of nominal: Double, in sorted: [Peak], into result: inout [GroupedPeak?],
                                       binWidth: Double, headedBy head: Int?, relativeSlack: Double) {
        var start = 0
        var f0 = nominal
        if let head {
            start = head + 1
        } else if let index = sorted.indices.first(where: {
            result[$0] == nil && abs(sorted[$0].frequencyHz - nominal) <= 1.5 * binWidth + relativeSlack * nominal
        }) {
            f0 = sorted[index].frequencyHz
            start = index + 1
        }
        if start > 0 { result[start - 1] = GroupedPeak(peak: sorted[start - 1], fundamentalHz: f0, harmonic: 1) }
        guard f0 > 0 else { return }
        var sumNF = f0, sumNN = 1.0, maxN = 1
        var estimate = f0
        for j in start..<sorted.count where result[j] == nil {
            let f = sorted[j].frequencyHz
            let ratio = (f / estimate).rounded()
            guard ratio >= 2, ratio <= Double(maxHarmonic) else { continue }
            let n = Int(ratio)
            let tolerance = binWidth * (1 + Double(n) / (2 * Double(maxN))) + relativeSlack * f
            guard tolerance < estimate / 4 else { continue }
            if abs(f - Double(n) * estimate) <= tolerance {
                result[j] = GroupedPeak(peak: sorted[j], fundamentalHz: f0, harmonic: n)
                sumNF += Double(n) * f
                sumNN += Double(n * n)
                estimate = sumNF / sumNN
                maxN = max(maxN, n)
            }
        }
    }
}
