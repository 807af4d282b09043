import RunFormat

/// The delay one rank adds to a bulk-synchronous step, read from its FTQ trace: a step
/// of Q of work ends when Q's worth of work is done, so from the step's start the trace
/// is walked quantum by quantum until the work of an undisturbed Q has accumulated; the
/// elapsed time minus Q is the delay.
///
/// Why a walk and not the time lost inside the window: a window of length Q can lose at
/// most Q, so a model that sums the loss inside each window caps the slowdown at 100%,
/// while a step that loses a fraction f of its time really stretches by f / (1 − f), and
/// a detour longer than Q delays one step by all of it.
///
/// The undisturbed Q of work (`reference`) is a high quantile (`UndisturbedRate.level`)
/// of the work done in blocks of Q quanta, not the single best quantum: the best
/// quantum is an outlier of the work jitter, and the jitter of one quantum is larger
/// than that of a block of Q (it averages), so a per-quantum maximum counts jitter as
/// noise that a step of fixed work never feels. `BSPMeasurement` takes the same quantile
/// of the same block (one step's `compute_ns`), so both sides mean the same thing by
/// "undisturbed".
///
/// Delays are clamped at 0 (a block faster than the reference is not negative noise),
/// on both sides.
public enum DetourWalk {
    /// The undisturbed work of one step: the `UndisturbedRate.level` quantile of the
    /// work in consecutive blocks of `quanta` quanta (from the trace's start). nil when
    /// the trace holds no whole block.
    public static func reference(work: UnsafeBufferPointer<Double>, quanta: Int) -> Double? {
        guard quanta >= 1, work.count >= quanta else { return nil }
        var blocks = [Double](repeating: 0, count: work.count / quanta)
        for b in blocks.indices {
            var sum = 0.0
            for i in (b * quanta)..<((b + 1) * quanta) { sum += work[i] }
            blocks[b] = sum
        }
        blocks.sort()
        return SampleStatistics.quantile(blocks, UndisturbedRate.level)
    }

    /// Each whole window's delay for one sampler thread.
    /// - Parameters:
    ///   - work: work per quantum, evenly spaced by the step's quantum.
    ///   - offsetNs: when `work[0]`'s quantum started, ns after the merge's origin (≥ 0).
    /// - Returns: the first window index (windows of length Q in absolute time, as in
    ///   `StepNoise`) and the delay, ns, of a step starting at each window's start, for
    ///   every window from which the trace holds Q of work (empty if none).
    public static func delays(work: UnsafeBufferPointer<Double>, offsetNs: Double,
                              step: StepLength) -> (first: Int, delays: [Double]) {
        let q = step.quantumNs, w = step.ns, k = step.quanta
        guard let reference = reference(work: work, quanta: k), reference > 0 else { return (0, []) }
        // Window w starts at the quantum boundary nearest w·Q.
        var first = Int(((offsetNs - q / 2) / w).rounded(.up))
        // prefix[i]: work of quanta 0..<i.
        var prefix = [Double](repeating: 0, count: work.count + 1)
        for i in work.indices { prefix[i + 1] = prefix[i] + work[i] }
        var delays: [Double] = []
        var end = 0  // the quantum in which the current step's work completes
        var window = first
        while true {
            let s = Int(((Double(window) * w - offsetNs) / q).rounded())
            if s < 0 { window += 1; first = window; continue }
            guard s < work.count else { break }
            // Two pointers: a later start never completes earlier.
            end = max(end, s)
            while end < work.count, prefix[end + 1] - prefix[s] < reference { end += 1 }
            guard end < work.count else { break }  // the trace ends before Q of work
            // Q of work completes inside quantum `end`, at that quantum's own rate.
            let before = prefix[end] - prefix[s]
            let inLast = work[end] > 0 ? (reference - before) / work[end] : 1
            let elapsed = (Double(end - s) + inLast) * q
            delays.append(max(0, elapsed - w))
            window += 1
        }
        return (first, delays)
    }

    /// A rank's delay per window: the largest over its sampler threads (a rank's step
    /// ends when all its CPUs are done), over the windows every thread covers.
    /// - Parameter threads: each thread's work and the ns from the merge's origin to its first quantum.
    public static func rankDelays(threads: [(work: [Double], offsetNs: Double)],
                                  step: StepLength) -> (first: Int, delays: [Double]) {
        var result: (first: Int, delays: [Double])?
        for thread in threads {
            let d = thread.work.withUnsafeBufferPointer { delays(work: $0, offsetNs: thread.offsetNs, step: step) }
            guard let r = result else { result = d; continue }
            let first = max(r.first, d.first), end = min(r.first + r.delays.count, d.first + d.delays.count)
            guard end > first else { return (first, []) }
            result = (first, (first..<end).map { max(r.delays[$0 - r.first], d.delays[$0 - d.first]) })
        }
        return result ?? (0, [])
    }
}

/// What both sides of the bsp check call the undisturbed rate of work: the rate that
/// `level` of the blocks of one step's length reach or exceed at most 1 − `level`.
public enum UndisturbedRate {
    /// 0.99: high enough that the noise of most blocks (a 250 Hz tick lands in a
    /// quarter of 1 ms blocks) is not in it, low enough that one fast outlier (a
    /// mismeasured quantum or step) does not set it. FTQ blocks take the 0.99 quantile
    /// of their work; bsp steps the 0.01 quantile of their `compute_ns` (the same rate).
    public static let level = 0.99
}
