import Platform
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
public enum HarmonicGrouping {
    /// `peaks` (any order) grouped into families, returned in increasing frequency.
    public static func group(_ peaks: [Peak], binWidthHz: Double) -> [GroupedPeak] {
        let sorted = peaks.sorted { $0.frequencyHz < $1.frequencyHz }
        var result: [GroupedPeak?] = Array(repeating: nil, count: sorted.count)
        let binWidth = max(binWidthHz, 0)
        for head in sorted.indices where result[head] == nil {
            let f0 = sorted[head].frequencyHz
            result[head] = GroupedPeak(peak: sorted[head], fundamentalHz: f0, harmonic: 1)
            guard f0 > 0 else { continue }
            var sumNF = f0, sumNN = 1.0, maxN = 1
            var estimate = f0
            for j in (head + 1)..<sorted.count where result[j] == nil {
                let f = sorted[j].frequencyHz
                let ratio = (f / estimate).rounded()
                guard ratio >= 2, ratio < Double(Int.max / 2) else { continue }
                let n = Int(ratio)
                let tolerance = binWidth * (1 + Double(n) / (2 * Double(maxN)))
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
        return result.compactMap { $0 }
    }
}
