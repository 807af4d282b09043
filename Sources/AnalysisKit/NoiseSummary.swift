import RunFormat
/// How noisy one sampler thread's core was: the numbers the thesis compares between
/// operating systems (§4.5: noise floor, work per quantum, count of deviating quanta).
public struct NoiseSummary: Sendable, Equatable {
    /// Samples (quanta) per second.
    public var sampleRateHz: Double
    /// Quanta.
    public var count: Int
    /// Work per quantum: mean, median (numpy's definition), minimum and maximum.
    public var meanWork: Double
    /// See `meanWork`.
    public var medianWork: Double
    /// See `meanWork`.
    public var minWork: Double
    /// See `meanWork`; also the noise-free reference of `fractionLost`.
    public var maxWork: Double
    /// Population standard deviation (ddof = 0) of work per quantum.
    public var stdWork: Double
    /// stdWork / meanWork: jitter relative to the work level, comparable across machines.
    public var coefficientOfVariation: Double
    /// The noise floor of the spectrum, work²/Hz: the median PSD over all bins except DC.
    /// A median, so the lines (tick, IRQs) do not lift it: it measures the broadband,
    /// aperiodic interference the thesis reads off the FFT plots (Akaros ~1e-5 versus
    /// Linux ~1e-3). NaN when no spectrum was given.
    public var noiseFloor: Double
    /// The threshold used for `deviations`, percent of the median.
    public var deviationPct: Double
    /// Quanta whose work differs from the median by more than `deviationPct`% of it
    /// (the thesis counts 12 on Akaros versus 16,000 on Linux).
    public var deviations: Int
    /// Quanta with work 0: missed entirely (the core was taken away for a whole quantum).
    public var zeroWorkQuanta: Int
    /// Fraction of the sampler's time lost to noise:
    /// Σ (maxWork − work) / (maxWork · count).
    ///
    /// Why the maximum as the reference: FTQ's deadlines are absolute, so no quantum can
    /// be longer than the nominal one (plus one work unit of overrun); the quantum that
    /// did the most work is the best estimate of a quantum with no interference, as in
    /// Sottile and Minnich's reading of FTQ (work missing relative to the maximum is
    /// time taken by the system). The median would hide noise that hits most quanta
    /// (e.g. a tick every quantum at high HZ). Zero-work quanta count as fully lost.
    public var fractionLost: Double

    /// Summarises `work` sampled at `sampleRateHz`; `spectrum` gives the noise floor.
    public init(work: [Double], sampleRateHz: Double, spectrum: Spectrum?, deviationPct: Double = 1) {
        self.sampleRateHz = sampleRateHz
        self.count = work.count
        self.deviationPct = deviationPct
        self.noiseFloor = spectrum.map(Self.noiseFloor(of:)) ?? .nan
        guard !work.isEmpty else {
            meanWork = .nan; medianWork = .nan; minWork = .nan; maxWork = .nan
            stdWork = .nan; coefficientOfVariation = .nan
            deviations = 0; zeroWorkQuanta = 0; fractionLost = .nan
            return
        }
        let n = Double(work.count)
        let mean = work.withUnsafeBufferPointer { AnalysisKit.mean($0) }
        var squares = 0.0, low = Double.infinity, high = -Double.infinity, zeros = 0
        for w in work {
            squares += (w - mean) * (w - mean)
            low = min(low, w)
            high = max(high, w)
            if w == 0 { zeros += 1 }
        }
        let median = Median.of(work)
        let band = deviationPct / 100 * abs(median)
        var deviating = 0, lost = 0.0
        for w in work {
            if abs(w - median) > band { deviating += 1 }
            lost += max(0, high - w)
        }
        meanWork = mean
        medianWork = median
        minWork = low
        maxWork = high
        stdWork = (squares / n).squareRoot()
        coefficientOfVariation = mean != 0 ? stdWork / mean : .nan
        deviations = deviating
        zeroWorkQuanta = zeros
        fractionLost = high > 0 ? lost / (high * n) : 0
    }

    /// Median PSD over the bins above DC, work²/Hz (NaN for fewer than two bins).
    public static func noiseFloor(of spectrum: Spectrum) -> Double {
        spectrum.power.count > 1 ? Median.of(spectrum.power.dropFirst()) : .nan
    }

    /// One named number of the summary, for `summary.csv`.
    public struct Metric: Sendable, Equatable {
        /// `snake_case` metric name, e.g. `noise_floor`.
        public var name: String
        /// Unit for the `unit` column, e.g. `work2_per_hz`.
        public var unit: String
        public var value: Double
        /// Direction for the gate; nil for descriptive numbers (sample rate, count).
        public var lowerIsBetter: Bool?
    }

    /// The summary as named metrics (what the `analysis` tool puts in `summary.csv`).
    public var metrics: [Metric] {
        [
            Metric(name: "sample_rate", unit: "hz", value: sampleRateHz, lowerIsBetter: nil),
            Metric(name: "quanta", unit: "count", value: Double(count), lowerIsBetter: nil),
            Metric(name: "work_mean", unit: "work", value: meanWork, lowerIsBetter: false),
            Metric(name: "work_median", unit: "work", value: medianWork, lowerIsBetter: false),
            Metric(name: "work_min", unit: "work", value: minWork, lowerIsBetter: false),
            Metric(name: "work_max", unit: "work", value: maxWork, lowerIsBetter: false),
            Metric(name: "work_std", unit: "work", value: stdWork, lowerIsBetter: true),
            Metric(name: "work_cv", unit: "ratio", value: coefficientOfVariation, lowerIsBetter: true),
            Metric(name: "noise_floor", unit: "work2_per_hz", value: noiseFloor, lowerIsBetter: true),
            Metric(name: "deviations", unit: "count", value: Double(deviations), lowerIsBetter: true),
            Metric(name: "zero_work_quanta", unit: "count", value: Double(zeroWorkQuanta), lowerIsBetter: true),
            Metric(name: "fraction_lost", unit: "ratio", value: fractionLost, lowerIsBetter: true),
        ]
    }

    /// `metric,unit,value` rows.
    public var table: CSVTable {
        CSVTable(header: ["metric", "unit", "value"],
                 rows: metrics.map { [$0.name, $0.unit, CSVFormat.number($0.value)] })
    }
}
