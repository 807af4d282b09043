import RunFormat

/// One rank's trace turned into what merge needs, then dropped: each sampler thread's
/// work per quantum (for the step delays, `DetourWalk`), the noise summary, the Welch
/// spectrum and its peaks (for the census and the heat map).
struct RankTrace {
    /// Per sampler thread: work per quantum and the ns from the rank's time zero to its
    /// first quantum (a bulk-synchronous rank waits for all its CPUs: `DetourWalk.rankDelays`).
    var threadWork: [(work: [Double], offsetNs: Double)]
    var threads: Int
    var quanta: Int
    var fractionLost: Double
    var longestLossNs: Double
    var noiseFloor: Double
    var peaks: [Peak]
    /// The largest power over threads, per bin of the common spectrum grid.
    var spectrum: Spectrum

    /// Time lost in each quantum, ns: (most work − work) / most work × quantum, as
    /// `NoiseSummary.fractionLost` counts it (the quantum that did the most work is the
    /// best estimate of an undisturbed one).
    static func lostTime(work: [Double], quantumNs: Double) -> [Double] {
        let most = work.max() ?? 0
        guard most > 0 else { return work.map { _ in quantumNs } }
        let scale = quantumNs / most
        return work.map { max(0, most - $0) * scale }
    }

    /// Only the work per thread of `path`'s ftq.csv (for a prediction from a repeated run).
    static func threadWork(path: String, quantumNs: Double) throws -> [(work: [Double], offsetNs: Double)] {
        let trace = try TraceReader(options: .init(sampleRateHz: 1e9 / quantumNs, keepStartTimes: false,
                                                   minimumQuanta: 16))
            .read(path: path)
        return trace.threads.map { (work: $0.work, offsetNs: Double(Int((Double($0.firstStartNs) / quantumNs).rounded())) * quantumNs) }
    }

    /// Reads `path`'s ftq.csv at `quantumNs`.
    /// - Parameter segmentLength: Welch segment, the same for every rank so the spectra share bins.
    static func read(path: String, quantumNs: Double, segmentLength: Int?, peakFinder: PeakFinder) throws -> RankTrace {
        var trace = try TraceReader(options: .init(sampleRateHz: 1e9 / quantumNs, keepStartTimes: false,
                                                   minimumQuanta: 16))
            .read(path: path)
        var threadWork: [(work: [Double], offsetNs: Double)] = []
        var fraction = 0.0, longest = 0.0, floor = 0.0
        var peaks: [Peak] = []
        var spectrum: Spectrum?
        let quanta = trace.threads.map(\.count).min() ?? 0
        for t in trace.threads.indices {
            let series = trace.threads[t]
            let shift = Int((Double(series.firstStartNs) / quantumNs).rounded())
            let threadLost = lostTime(work: series.work, quantumNs: quantumNs)
            let m = min(segmentLength ?? MergeJob.segmentLength(forCount: series.count) ?? 1, series.count)
            let s = Spectrum.welch(series.work, sampleRateHz: series.sampleRateHz, segmentLength: m)
            let summary = NoiseSummary(work: series.work, sampleRateHz: series.sampleRateHz, spectrum: s)
            fraction = max(fraction, summary.fractionLost)
            floor = max(floor, summary.noiseFloor)
            longest = max(longest, threadLost.max() ?? 0)
            peaks += peakFinder.peaks(in: s)
            if var merged = spectrum, merged.power.count == s.power.count {
                for k in merged.power.indices { merged.power[k] = max(merged.power[k], s.power[k]) }
                spectrum = merged
            } else if spectrum == nil {
                spectrum = s
            }
            threadWork.append((series.work, Double(shift) * quantumNs))
            trace.threads[t].work = []
        }
        return RankTrace(threadWork: threadWork, threads: trace.threads.count,
                         quanta: quanta, fractionLost: fraction,
                         longestLossNs: longest, noiseFloor: floor, peaks: peaks.sorted { $0.frequencyHz < $1.frequencyHz },
                         spectrum: spectrum ?? Spectrum(method: .welch, sampleRateHz: 1e9 / quantumNs, fftLength: 0,
                                                         segmentCount: 0, power: []))
    }
}
