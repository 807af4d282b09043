#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Spectrum {
    /// Welch's averaged periodogram of `series`: exactly `scipy.signal.welch(x, fs,
    /// window='hann', nperseg=M, noverlap=M//2, detrend='constant', scaling='density',
    /// average='mean')`.
    ///
    /// Segments of M samples start every M − M/2 samples (the last partial segment is
    /// dropped, as scipy does); each has its own mean removed, is multiplied by the
    /// periodic Hann window w[j] = 0.5 − 0.5 cos(2πj/M) (scipy's `get_window` default),
    /// and contributes |X[k]|² / (fs · Σw²); the segments are averaged and the one-sided
    /// bins doubled as in the periodogram. When M exceeds the series length it becomes
    /// the series length, as in scipy.
    ///
    /// Averaging trades resolution (fs/M) for variance: the periodogram of noise
    /// fluctuates by 100% per bin, Welch's by about 1/√segments. See
    /// `defaultSegmentLength(forCount:)` for the default M.
    public static func welch(_ series: [Double], sampleRateHz: Double, segmentLength: Int? = nil) -> Spectrum {
        let n = series.count
        guard n > 0 else {
            return Spectrum(method: .welch, sampleRateHz: sampleRateHz, fftLength: 0, segmentCount: 0, power: [])
        }
        let m = min(n, max(1, segmentLength ?? defaultSegmentLength(forCount: n)))
        let step = m - m / 2
        let segments = (n - m) / step + 1
        let window = periodicHann(m)
        let windowEnergy = window.reduce(0) { $0 + $1 * $1 }

        let fft = RealFFT(length: m)
        var accumulated = [Double](repeating: 0, count: fft.binCount)
        series.withUnsafeBufferPointer { x in
            for segment in 0..<segments {
                let start = segment * step
                let slice = UnsafeBufferPointer(rebasing: x[start..<start + m])
                let average = mean(slice)
                for j in 0..<m { fft.buffer[j] = (slice[j] - average) * window[j] }
                fft.execute()
                for k in accumulated.indices { accumulated[k] += fft.squaredMagnitude(k) }
            }
        }
        let scale = 1 / (sampleRateHz * windowEnergy * Double(segments))
        let nyquist = m % 2 == 0 ? accumulated.count - 1 : -1
        for k in accumulated.indices {
            accumulated[k] *= scale * ((k == 0 || k == nyquist) ? 1 : 2)
        }
        return Spectrum(method: .welch, sampleRateHz: sampleRateHz, fftLength: m, segmentCount: segments, power: accumulated)
    }

    /// The default Welch segment length for a series of `count` samples: the largest
    /// power of two not above count/8 (so at least ~15 half-overlapping segments are
    /// averaged), clamped to 256 ... 65536 and to `count`.
    ///
    /// Why: kbench hunts narrow periodic lines (the tick, 40 Hz platform timers), so it
    /// wants resolution; scipy's fixed default of 256 samples would give 39 Hz bins at
    /// 10 kHz. A 10 s run at 10 kHz gets M = 8192 (1.2 Hz bins, 23 segments); a
    /// 28-minute run M = 65536 (0.15 Hz bins, 511 segments).
    public static func defaultSegmentLength(forCount count: Int) -> Int {
        guard count > 0 else { return 0 }
        var m = 256
        while m * 2 <= count / 8 && m < 65536 { m *= 2 }
        return min(m, count)
    }

    /// scipy's `get_window('hann', M)` (periodic, `sym=False`).
    static func periodicHann(_ m: Int) -> [Double] {
        guard m > 1 else { return [Double](repeating: 1, count: m) }
        return (0..<m).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(m)) }
    }
}
