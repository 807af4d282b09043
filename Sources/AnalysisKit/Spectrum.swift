import RunFormat
/// How a spectrum was estimated. Both follow scipy exactly (see `Spectrum.periodogram`
/// and `Spectrum.welch`) so anyone can check kbench's numbers with two lines of Python.
public enum SpectrumMethod: String, Sendable, CaseIterable {
    case periodogram
    case welch
}

/// A one-sided power spectral density of a work series, in work²/Hz.
///
/// Bin k is at frequency k · fs / `fftLength`, for k = 0 ... `fftLength`/2 (fewer after
/// `zoomed(toHz:)`). Integrating, Σ power[k] · `binWidthHz` over all bins, gives the
/// variance of the series (Parseval), which is what makes "density" comparable across
/// run lengths and sample rates.
public struct Spectrum: Sendable, Equatable {
    /// How the spectrum was estimated.
    public var method: SpectrumMethod
    /// Samples per second of the series.
    public var sampleRateHz: Double
    /// Transform length: the series length for a periodogram, the segment length for Welch.
    public var fftLength: Int
    /// Segments averaged (1 for a periodogram).
    public var segmentCount: Int
    /// PSD, work²/Hz, bin k at `frequency(ofBin: k)`.
    public var power: [Double]

    public init(method: SpectrumMethod, sampleRateHz: Double, fftLength: Int, segmentCount: Int, power: [Double]) {
        self.method = method
        self.sampleRateHz = sampleRateHz
        self.fftLength = fftLength
        self.segmentCount = segmentCount
        self.power = power
    }

    /// Frequency resolution, fs / `fftLength`.
    public var binWidthHz: Double { fftLength > 0 ? sampleRateHz / Double(fftLength) : 0 }

    /// Frequency of bin `k`, Hz: k · fs / `fftLength`, computed in that order so it
    /// is rounded once. `k · binWidthHz` rounds twice (fs / n, then the product):
    /// bin 10281 of a 100000-sample trace at 10 kHz would be 1028.1000000000001 Hz.
    public func frequency(ofBin k: Int) -> Double {
        fftLength > 0 ? Double(k) * sampleRateHz / Double(fftLength) : 0
    }

    /// Frequencies of all bins.
    public var frequencies: [Double] { power.indices.map(frequency(ofBin:)) }

    /// The spectrum from 0 to `maxHz` inclusive (the thesis plots 3000, 500 and 100 Hz):
    /// same bins, fewer of them. Zooming never re-estimates, so every zoom shows exactly
    /// the numbers of the full spectrum.
    public func zoomed(toHz maxHz: Double) -> Spectrum {
        guard binWidthHz > 0, maxHz >= 0 else { return self }
        // Compared as a Double first: a huge maxHz (or a tiny bin width) would trap in Int(_:).
        let bins = (maxHz / binWidthHz * (1 + 1e-12)).rounded(.down)
        let last = bins < Double(power.count - 1) ? Int(bins) : power.count - 1
        var zoom = self
        zoom.power = last >= 0 ? Array(power[0...last]) : []
        return zoom
    }

    /// `freq_hz,power` rows, for `spectrum.csv` and `spectrum_<Z>hz.csv`.
    public var table: CSVTable { table(thread: nil) }

    /// The rows of `SpectrumFile` as text cells, made on demand: `thread,freq_hz,power`
    /// when `thread` is given (traces of several threads write one file with a
    /// `thread` column), else `freq_hz,power`. `SpectrumOutput` streams the same rows
    /// to the file without making them.
    public func table(thread: Int?) -> CSVTable {
        let spectrum = self
        return CSVTable(header: SpectrumFile.header(threaded: thread != nil), rowCount: power.count) { k in
            SpectrumFile.cells(SpectrumFile.Row(thread: thread, frequencyHz: spectrum.frequency(ofBin: k),
                                                power: spectrum.power[k]))
        }
    }

    /// Streams the bins to `writer` (`thread` when the file is threaded).
    public func write(to writer: SpectrumFile.Writer, thread: Int?) throws {
        let rate = sampleRateHz, n = Double(fftLength)
        try power.withUnsafeBufferPointer { power in
            for k in power.indices {
                try writer.append(thread: thread, frequencyHz: Double(k) * rate / n, power: power[k])
            }
        }
    }
}

/// Mean of a contiguous run of doubles, with four partial sums (faster and a little
/// more accurate than one running sum).
@inline(__always)
func mean(_ values: UnsafeBufferPointer<Double>) -> Double {
    let n = values.count
    guard n > 0 else { return 0 }
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= n {
        s0 += values[i]; s1 += values[i + 1]; s2 += values[i + 2]; s3 += values[i + 3]
        i += 4
    }
    while i < n { s0 += values[i]; i += 1 }
    return ((s0 + s1) + (s2 + s3)) / Double(n)
}
