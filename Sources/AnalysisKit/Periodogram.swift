extension Spectrum {
    /// The periodogram of `series`: exactly `scipy.signal.periodogram(x, fs,
    /// window='boxcar', detrend='constant', scaling='density')`.
    ///
    /// The mean is removed (the work level is not noise), the series is transformed with
    /// FFTW r2c at its own length (any length, odd or even), and bin k gets
    /// `2 |X[k]|² / (fs · N)`, except DC and, for even N, the Nyquist bin, which have no
    /// mirror image and are not doubled.
    ///
    /// Memory: one FFTW buffer of N + 2 doubles (the transform is in place), FFTW's
    /// plan (about N doubles for large N, released right after the transform) and the
    /// result, N/2 + 1 doubles; at most about 2N doubles besides `series`.
    public static func periodogram(_ series: [Double], sampleRateHz: Double) -> Spectrum {
        var borrowed = series
        return periodogram(releasing: &borrowed, sampleRateHz: sampleRateHz)
    }

    /// The periodogram of `series`, emptying `series` as soon as it is copied into the
    /// FFT buffer. When the caller held the only reference, the samples are freed before
    /// FFTW plans, and the peak is about 2N doubles in all instead of 3N: the way to
    /// take the spectrum of a trace too large to keep twice.
    public static func periodogram(releasing series: inout [Double], sampleRateHz: Double) -> Spectrum {
        let n = series.count
        guard n > 0 else {
            return Spectrum(method: .periodogram, sampleRateHz: sampleRateHz, fftLength: 0, segmentCount: 1, power: [])
        }
        let fft = RealFFT(length: n)
        series.withUnsafeBufferPointer { x in
            let average = mean(x)
            for i in 0..<n { fft.buffer[i] = x[i] - average }
        }
        series = []
        fft.execute()
        fft.releasePlan()
        let power = densities(of: fft, scale: 1 / (sampleRateHz * Double(n)), segments: 1)
        return Spectrum(method: .periodogram, sampleRateHz: sampleRateHz, fftLength: n, segmentCount: 1, power: power)
    }

    /// One-sided densities from a transform just executed: `|X[k]|² · scale`, doubled
    /// except at DC and (even length) Nyquist.
    static func densities(of fft: RealFFT, scale: Double, segments: Int) -> [Double] {
        let bins = fft.binCount
        let nyquist = fft.length % 2 == 0 ? bins - 1 : -1
        return [Double](unsafeUninitializedCapacity: bins) { out, initialized in
            for k in 0..<bins {
                let doubling: Double = (k == 0 || k == nyquist) ? 1 : 2
                out[k] = fft.squaredMagnitude(k) * scale * doubling
            }
            initialized = bins
        }
    }
}
