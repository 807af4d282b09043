extension Spectrum {
    /// The periodogram of `series`: exactly `scipy.signal.periodogram(x, fs,
    /// window='boxcar', detrend='constant', scaling='density')`.
    ///
    /// The mean is removed (the work level is not noise), the series is transformed with
    /// FFTW r2c at its own length (any length, odd or even), and bin k gets
    /// `2 |X[k]|² / (fs · N)`, except DC and, for even N, the Nyquist bin, which have no
    /// mirror image and are not doubled.
    ///
    /// Memory: one FFTW buffer of N + 2 doubles (the transform is in place) and the
    /// result, N/2 + 1 doubles; the buffer is freed before returning.
    public static func periodogram(_ series: [Double], sampleRateHz: Double) -> Spectrum {
        let n = series.count
        guard n > 0 else {
            return Spectrum(method: .periodogram, sampleRateHz: sampleRateHz, fftLength: 0, segmentCount: 1, power: [])
        }
        let power: [Double] = series.withUnsafeBufferPointer { x in
            let fft = RealFFT(length: n)
            let average = mean(x)
            for i in 0..<n { fft.buffer[i] = x[i] - average }
            fft.execute()
            return densities(of: fft, scale: 1 / (sampleRateHz * Double(n)), segments: 1)
        }
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
