#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A spectral line: a local maximum of the PSD standing out of its local noise floor.
public struct Peak: Sendable, Equatable {
    /// Bin index in the spectrum.
    public var bin: Int
    public var frequencyHz: Double
    /// PSD at the peak, work²/Hz.
    public var power: Double
    /// The local noise floor around the peak, work²/Hz (see `PeakFinder`).
    public var localFloor: Double
    /// 10·log10(power / localFloor).
    public var prominenceDb: Double

    public init(bin: Int, frequencyHz: Double, power: Double, localFloor: Double, prominenceDb: Double) {
        self.bin = bin
        self.frequencyHz = frequencyHz
        self.power = power
        self.localFloor = localFloor
        self.prominenceDb = prominenceDb
    }
}

/// Finds the lines of a spectrum: bins higher than both neighbours whose power exceeds
/// the local noise floor by a threshold.
///
/// The local floor is a running median at block resolution: the PSD is cut into blocks
/// of `2·floorHalfWidthBins + 1` bins, each block's median is taken once, and a bin's
/// floor is the median of its own block's median and its two neighbours' (so it
/// reflects roughly ±1.5 blocks around the bin). A median, not a mean, so a line and its
/// neighbours barely move it; local, because FTQ spectra are not flat (they rise towards
/// low frequencies). Block medians make the search one O(bins) pass: an exact median
/// per candidate would cost seconds on the 8 million bins of a 28-minute trace, where
/// a third of all bins are local maxima.
///
/// Why a second, statistical threshold: in a periodogram of white noise each bin is
/// exponentially distributed, so a bin exceeds t × median with probability 2^−t. With
/// 10 dB (t = 10) that is 1 bin in 1000, thousands of false lines in an 8-million-bin
/// spectrum. The effective threshold is therefore the larger of `minProminenceDb` and
/// the level that white noise exceeds `expectedFalsePeaks` times per spectrum:
/// t = log2(bins / expectedFalsePeaks). For 50,000 bins and 0.1 expected false peaks
/// that is 12.8 dB, for 8 million bins 14.2 dB. The floor is itself an estimate, so the
/// realised rate is a little higher: 15 false peaks in 60 white-noise periodograms of
/// 32,768 bins (0.25 per spectrum) at the default 0.1. Welch spectra fluctuate less
/// than this assumes, so for them the rule is conservative (none in the same 60).
public struct PeakFinder: Sendable, Equatable {
    /// Minimum prominence, dB over the local floor. Default 10 dB.
    public var minProminenceDb: Double
    /// Half the local-floor block, in bins (blocks are 2·this+1 bins). Default 32.
    public var floorHalfWidthBins: Int
    /// White-noise false peaks tolerated per spectrum on average. Default 0.1;
    /// `.infinity` turns the statistical threshold off.
    public var expectedFalsePeaks: Double
    /// Peaks below this frequency are ignored (DC and drift). Default: bins 0 excluded only.
    public var minFrequencyHz: Double
    /// A line's skirt: a local maximum within this many bins of a stronger peak...
    public var skirtHalfWidthBins: Int
    /// ...and at least this many dB below it is that line's leakage, not a line of its
    /// own. Real lines wander (a tick driven by a slightly drifting clock, jitter in the
    /// source), so their power spreads over a few bins whose ripples are local maxima;
    /// without this rule a strong tick harmonic at 1500 Hz comes with an "unknown" peak
    /// at 1499.7 Hz. Two genuine lines closer than this and this unequal are merged.
    /// In long runs (fine bins) the window widens to the clocks' disagreement,
    /// `HarmonicGrouping.clockTolerance` of the frequency, if that is more bins.
    public var skirtRejectionDb: Double

    public init(minProminenceDb: Double = 10, floorHalfWidthBins: Int = 32,
                expectedFalsePeaks: Double = 0.1, minFrequencyHz: Double = 0,
                skirtHalfWidthBins: Int = 5, skirtRejectionDb: Double = 10) {
        self.minProminenceDb = minProminenceDb
        self.floorHalfWidthBins = floorHalfWidthBins
        self.expectedFalsePeaks = expectedFalsePeaks
        self.minFrequencyHz = minFrequencyHz
        self.skirtHalfWidthBins = skirtHalfWidthBins
        self.skirtRejectionDb = skirtRejectionDb
    }

    /// The threshold, dB, actually applied to a spectrum of `binCount` bins.
    public func thresholdDb(binCount: Int) -> Double {
        guard expectedFalsePeaks.isFinite, expectedFalsePeaks > 0, binCount > 0 else { return minProminenceDb }
        let ratio = log2(max(2, Double(binCount) / expectedFalsePeaks))
        return max(minProminenceDb, 10 * log10(ratio))
    }

    /// The peaks of `spectrum`, in increasing frequency.
    public func peaks(in spectrum: Spectrum) -> [Peak] {
        let power = spectrum.power
        let n = power.count
        guard n >= 3 else { return [] }
        let threshold = pow(10, thresholdDb(binCount: n) / 10)
        let floors = LocalFloor(power, blockLength: 2 * max(1, floorHalfWidthBins) + 1)
        // Compared as a Double first: a tiny bin width would make Int(_:) trap.
        let firstBinHz = (minFrequencyHz / max(spectrum.binWidthHz, .leastNonzeroMagnitude)).rounded(.up)
        let firstBin = firstBinHz < Double(n) ? max(1, Int(firstBinHz)) : n
        var peaks: [Peak] = []
        power.withUnsafeBufferPointer { p in
            var k = firstBin
            while k < n {
                let here = p[k]
                let right = k + 1 < n ? p[k + 1] : -Double.infinity
                if here > p[k - 1], here >= right, here > 0 {
                    let floor = floors[k]
                    if here >= threshold * floor {
                        let prominence = floor > 0 ? 10 * log10(here / floor) : Double.infinity
                        peaks.append(Peak(bin: k, frequencyHz: spectrum.frequency(ofBin: k), power: here,
                                          localFloor: floor, prominenceDb: prominence))
                    }
                    k += 2  // the next bin is lower, not a local maximum
                } else {
                    k += 1
                }
            }
        }
        return withoutSkirts(peaks)
    }

    /// `peaks` (in increasing frequency) less those that are skirts of a stronger
    /// neighbour (see `skirtRejectionDb`).
    func withoutSkirts(_ peaks: [Peak]) -> [Peak] {
        guard skirtHalfWidthBins > 0 else { return peaks }
        let ratio = pow(10, skirtRejectionDb / 10)
        return peaks.indices.filter { i in
            let binWidth = peaks[i].bin > 0 ? peaks[i].frequencyHz / Double(peaks[i].bin) : 0
            let wander = binWidth > 0 ? Int(HarmonicGrouping.clockTolerance * peaks[i].frequencyHz / binWidth) : 0
            let halfWidth = max(skirtHalfWidthBins, wander)
            var j = i - 1
            while j >= 0, peaks[i].bin - peaks[j].bin <= halfWidth {
                if peaks[j].power >= ratio * peaks[i].power { return false }
                j -= 1
            }
            j = i + 1
            while j < peaks.count, peaks[j].bin - peaks[i].bin <= halfWidth {
                if peaks[j].power >= ratio * peaks[i].power { return false }
                j += 1
            }
            return true
        }.map { peaks[$0] }
    }
}

/// Block medians of a PSD, and each bin's floor from them (see `PeakFinder`).
struct LocalFloor {
    private let blockLength: Int
    private let blockMedians: [Double]

    init(_ power: [Double], blockLength: Int) {
        self.blockLength = blockLength
        var scratch = [Double](repeating: 0, count: blockLength)
        var medians: [Double] = []
        medians.reserveCapacity(power.count / blockLength + 1)
        power.withUnsafeBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { window in
                var start = 0
                while start < p.count {
                    let count = min(blockLength, p.count - start)
                    for i in 0..<count { window[i] = p[start + i] }
                    medians.append(Median.inPlace(UnsafeMutableBufferPointer(rebasing: window[0..<count])))
                    start += count
                }
            }
        }
        blockMedians = medians
    }

    /// The floor at bin `k`: median of the block medians of k's block and its neighbours.
    subscript(k: Int) -> Double {
        let j = k / blockLength, last = blockMedians.count - 1
        let a = blockMedians[max(0, j - 1)], b = blockMedians[j], c = blockMedians[min(last, j + 1)]
        return max(min(a, b), min(max(a, b), c))
    }
}
