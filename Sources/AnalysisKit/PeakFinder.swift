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
    /// The local noise floor: median PSD of the bins around the peak, work²/Hz.
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
/// The local floor is the median PSD over `2·floorHalfWidthBins + 1` bins centred on the
/// candidate (clipped at the ends). A median, not a mean, so the line itself and its
/// neighbours barely move it; local, because FTQ spectra are not flat (1/f-like rise
/// at low frequency).
///
/// Why a second, statistical threshold: in a periodogram of white noise each bin is
/// exponentially distributed, so a bin exceeds t × median with probability 2^−t. With
/// 10 dB (t = 10) that is 1 bin in 1000, thousands of false lines in an 8-million-bin
/// spectrum. The effective threshold is therefore the larger of `minProminenceDb` and
/// the level that white noise exceeds `expectedFalsePeaks` times per spectrum:
/// t = log2(bins / expectedFalsePeaks). For 50,000 bins and 0.1 expected false peaks
/// that is 12.8 dB, for 8 million bins 14.2 dB. Welch spectra fluctuate less than this
/// assumes, so for them the rule is conservative.
public struct PeakFinder: Sendable, Equatable {
    /// Minimum prominence, dB over the local floor. Default 10 dB.
    public var minProminenceDb: Double
    /// Half width of the local-floor window, in bins. Default 32.
    public var floorHalfWidthBins: Int
    /// White-noise false peaks tolerated per spectrum on average. Default 0.1;
    /// `.infinity` turns the statistical threshold off.
    public var expectedFalsePeaks: Double
    /// Peaks below this frequency are ignored (DC and drift). Default: bins 0 excluded only.
    public var minFrequencyHz: Double

    public init(minProminenceDb: Double = 10, floorHalfWidthBins: Int = 32,
                expectedFalsePeaks: Double = 0.1, minFrequencyHz: Double = 0) {
        self.minProminenceDb = minProminenceDb
        self.floorHalfWidthBins = floorHalfWidthBins
        self.expectedFalsePeaks = expectedFalsePeaks
        self.minFrequencyHz = minFrequencyHz
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
        let halfWidth = max(1, floorHalfWidthBins)
        let firstBin = max(1, Int((minFrequencyHz / max(spectrum.binWidthHz, .leastNonzeroMagnitude)).rounded(.up)))
        var peaks: [Peak] = []
        var scratch = [Double](repeating: 0, count: 2 * halfWidth + 1)
        power.withUnsafeBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { window in
                var k = max(1, firstBin)
                while k < n {
                    let left = p[k - 1], here = p[k]
                    let right = k + 1 < n ? p[k + 1] : -Double.infinity
                    if here > left, here >= right, here > 0 {
                        let low = max(1, k - halfWidth), high = min(n - 1, k + halfWidth)
                        let count = high - low + 1
                        for i in 0..<count { window[i] = p[low + i] }
                        let floor = Median.inPlace(UnsafeMutableBufferPointer(rebasing: window[0..<count]))
                        if here >= threshold * floor {
                            let prominence = floor > 0 ? 10 * log10(here / floor) : Double.infinity
                            peaks.append(Peak(bin: k, frequencyHz: spectrum.frequency(ofBin: k), power: here,
                                              localFloor: floor, prominenceDb: prominence))
                        }
                        k += 2  // the next bin is not a local maximum
                    } else {
                        k += 1
                    }
                }
            }
        }
        return peaks
    }
}
