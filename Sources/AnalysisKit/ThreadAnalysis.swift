import RunFormat
/// Everything `analysis spectrum` reports for one sampler thread.
public struct ThreadAnalysis: Sendable {
    /// The `thread` and `cpu` columns of the series.
    public var thread: Int
    /// See `thread`.
    public var cpu: Int
    /// The full spectrum (`spectrum.csv`).
    public var spectrum: Spectrum
    /// One spectrum per zoom, 0...hz (`spectrum_<hz>hz.csv`), in the order asked.
    public var zooms: [(hz: Double, spectrum: Spectrum)]
    /// Peaks with families and labels (`peaks.csv`), in increasing frequency.
    public var peaks: [LabelledPeak]
    /// The noise summary (for `summary.csv`).
    public var summary: NoiseSummary

    /// `peaks.csv`.
    public var peaksTable: CSVTable { LabelledPeak.table(peaks) }
}

/// The analysis pipeline: spectrum, zooms, peaks, harmonic families, labels, summary.
/// Pure computation on values; the `analysis` tool reads the inputs (with `TraceReader`,
/// `InterruptDeltas`, `KernelConfig`) and writes the tables.
public struct SpectrumAnalysis: Sendable {
    /// Periodogram (default) or Welch.
    public var method: SpectrumMethod
    /// Welch segment length; nil for `Spectrum.defaultSegmentLength(forCount:)`.
    public var welchSegmentLength: Int?
    /// Zoom limits, Hz (the thesis's 3000, 500 and 100 by default).
    public var zoomsHz: [Double]
    /// Peak thresholds.
    public var peakFinder: PeakFinder
    /// `--deviation-pct`: percent of the median work beyond which a quantum deviates.
    public var deviationPct: Double

    /// The thesis's zooms (Figures 4.2-4.4).
    public static let defaultZoomsHz: [Double] = [3000, 500, 100]

    public init(method: SpectrumMethod = .periodogram, welchSegmentLength: Int? = nil,
                zoomsHz: [Double] = SpectrumAnalysis.defaultZoomsHz,
                peakFinder: PeakFinder = PeakFinder(), deviationPct: Double = 1) {
        self.method = method
        self.welchSegmentLength = welchSegmentLength
        self.zoomsHz = zoomsHz
        self.peakFinder = peakFinder
        self.deviationPct = deviationPct
    }

    /// The spectrum of a work series by the configured method.
    public func spectrum(of work: [Double], sampleRateHz: Double) -> Spectrum {
        switch method {
        case .periodogram: return .periodogram(work, sampleRateHz: sampleRateHz)
        case .welch: return .welch(work, sampleRateHz: sampleRateHz, segmentLength: welchSegmentLength)
        }
    }

    /// Analyses one thread. `configHZ` is CONFIG_HZ if known; `interrupts` the run's
    /// interrupt counts if any (rates are taken on the thread's CPU over its duration).
    public func analyze(_ series: FTQThreadSeries, configHZ: Int?, interrupts: InterruptDeltas?) -> ThreadAnalysis {
        let spectrum = spectrum(of: series.work, sampleRateHz: series.sampleRateHz)
        let rates = interrupts?.rates(cpu: series.cpu, durationSeconds: series.durationSeconds) ?? []
        let labeler = PeakLabeler(configHZ: configHZ, irqRates: rates)
        let grouped = HarmonicGrouping.group(peakFinder.peaks(in: spectrum), binWidthHz: spectrum.binWidthHz,
                                             knownSourcesHz: labeler.knownSourcesHz)
        let labelled = labeler.label(grouped, binWidthHz: spectrum.binWidthHz)
        return ThreadAnalysis(
            thread: series.thread, cpu: series.cpu, spectrum: spectrum,
            zooms: zoomsHz.map { ($0, spectrum.zoomed(toHz: $0)) },
            peaks: labelled,
            summary: NoiseSummary(work: series.work, sampleRateHz: series.sampleRateHz,
                                  spectrum: spectrum, deviationPct: deviationPct))
    }

    /// Reads the trace at `path` and returns each thread's periodogram: the
    /// benchmark-friendly path (parse + transform, nothing else) the `analysis` tool
    /// times against numpy+scipy. Start times are not kept, and each thread's work
    /// series is handed to `Spectrum.periodogram(releasing:sampleRateHz:)`, so it is
    /// freed before FFTW plans: the peak is about 16 bytes per sample (the FFT buffer
    /// and FFTW's tables, or the buffer and the result), not counting the threads
    /// still waiting their turn.
    public static func periodograms(ofTraceAt path: String, sampleRateHz: Double? = nil) throws -> [(thread: Int, spectrum: Spectrum)] {
        var trace = try TraceReader(options: .init(sampleRateHz: sampleRateHz, keepStartTimes: false)).read(path: path)
        var result: [(thread: Int, spectrum: Spectrum)] = []
        for index in trace.threads.indices {
            let rate = trace.threads[index].sampleRateHz
            result.append((trace.threads[index].thread,
                           .periodogram(releasing: &trace.threads[index].work, sampleRateHz: rate)))
        }
        return result
    }
}
