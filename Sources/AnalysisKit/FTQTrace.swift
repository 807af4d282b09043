/// One sampler thread's series from an FTQ trace (`ftq.csv`).
///
/// `work[i]` is the number of work units done in quantum `i`; quanta that were missed
/// entirely are present with work 0, so the series is evenly sampled at `sampleRateHz`
/// and can go straight into a Fourier transform.
public struct FTQThreadSeries: Sendable, Equatable {
    /// The `thread` column.
    public var thread: Int
    /// The `cpu` column of the thread's first row (a sampler is pinned to one CPU).
    public var cpu: Int
    /// Work per quantum, in file order.
    public var work: [Double]
    /// `start_ns` of every quantum, when the reader was asked to keep them
    /// (`TraceReader.Options.keepStartTimes`); empty otherwise. Spectra do not need them,
    /// and dropping them saves 8 bytes per sample.
    public var startNs: [Int64]
    /// `start_ns` of the first quantum (kept even without `startNs`).
    public var firstStartNs: Int64
    /// `start_ns` of the last quantum (kept even without `startNs`).
    public var lastStartNs: Int64
    /// The quantum length used to sample and validate this thread, in nanoseconds:
    /// the caller's sample rate if given, else the median `start_ns` spacing.
    public var quantumNs: Double

    /// A series from its parts (the reader builds these; tests and converters may too).
    public init(thread: Int, cpu: Int, work: [Double], startNs: [Int64] = [],
                firstStartNs: Int64 = 0, lastStartNs: Int64 = 0, quantumNs: Double) {
        self.thread = thread
        self.cpu = cpu
        self.work = work
        self.startNs = startNs
        self.firstStartNs = firstStartNs
        self.lastStartNs = lastStartNs
        self.quantumNs = quantumNs
    }

    /// Samples per second: 1 / quantum.
    public var sampleRateHz: Double { 1e9 / quantumNs }

    /// Number of quanta.
    public var count: Int { work.count }

    /// Time covered by the series: one quantum per sample, in seconds. This is the
    /// denominator for interrupt rates.
    public var durationSeconds: Double { Double(work.count) * quantumNs / 1e9 }
}

/// All threads of an FTQ trace, in order of first appearance in the file.
public struct FTQTrace: Sendable, Equatable {
    /// The file the trace was read from (for messages).
    public var path: String
    /// One series per `thread` value, in order of first appearance.
    public var threads: [FTQThreadSeries]

    /// A trace of `threads` read from `path`.
    public init(path: String, threads: [FTQThreadSeries]) {
        self.path = path
        self.threads = threads
    }

    /// Total quanta over all threads.
    public var sampleCount: Int { threads.reduce(0) { $0 + $1.count } }
}
