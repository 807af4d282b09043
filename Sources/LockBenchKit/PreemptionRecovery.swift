// How a run recovered from its preemption rounds: the windows without an
// acquisition inside the rounds (the lock's) and outside them (the host's),
// how many rounds stalled, and the time from each round's start to the next
// acquisition.

/// What the rounds of one preempted run did to its acquisitions.
///
/// A window without an acquisition is "inside" when it overlaps a round
/// extended by `graceMs` (the rounds of preemptions.csv plus 1 ms: the
/// restore itself takes a moment); every other one is the host's (the
/// vcores were descheduled behind the map's back: interrupts, the deadline
/// fair server, RT throttling). A window that ends after the run is not
/// counted, nor one after a duration run's measured span.
public struct PreemptionRecovery: Sendable, Equatable {
    /// Windows without an acquisition that overlap a round (plus grace).
    public var stalledWindowsInRounds: Int
    /// Windows without an acquisition outside every round (plus grace).
    public var stalledWindowsOutsideRounds: Int
    /// Windows outside every round (plus grace), within the measured span.
    public var windowsOutsideRounds: Int
    /// Of those, the windows in which every thread acquired: the host ran
    /// all the vcores at once. Nothing is preempted there, so a low share
    /// says the machine, not the lock, decided what ran.
    public var concurrentWindowsOutsideRounds: Int
    /// Rounds overlapping at least one window without an acquisition.
    public var stalledRounds: Int
    /// Rounds in the run.
    public var rounds: Int
    /// For each round whose start falls within the recorded attempts: ns from
    /// the round's start to the first acquisition at or after it, by any thread.
    public var recoveryNs: [Double]

    /// Time after a round's restore still counted as the round's.
    public static let graceMs = 1.0

    /// Analyses `result` (which must have rounds); `ticksPerNs` converts the
    /// attempts' TSC ticks. Attempts are recorded up to the per-thread
    /// capacity, so rounds after the last recorded acquisition have no
    /// recovery time.
    public init(_ result: LockRunResult, ticksPerNs: Double) {
        let widthMs = result.windowNs / 1e6
        let windows = result.totalPerWindow
        let spans = result.rounds.map { ($0.startMs, $0.endMs + Self.graceMs) }
        var inside = 0, outside = 0, outsideAll = 0, concurrent = 0
        var roundStalled = [Bool](repeating: false, count: spans.count)
        // The measured span: a duration run's vcores stop at its end (a
        // vcore still preempted then returns later, stretching `elapsedNs`).
        var elapsedMs = result.elapsedNs / 1e6
        if case .duration(let seconds, _) = result.configuration.length { elapsedMs = min(elapsedMs, seconds * 1e3) }
        for (w, total) in windows.enumerated() {
            let start = Double(w) * widthMs, end = start + widthMs
            // The last window may extend past the run's end: not a stall.
            guard end <= elapsedMs else { continue }
            let overlapping = spans.indices.filter { spans[$0].0 < end && spans[$0].1 > start }
            if overlapping.isEmpty {
                outsideAll += 1
                if result.everyThreadAcquired(inWindow: w) { concurrent += 1 }
            }
            guard total == 0 else { continue }
            for r in overlapping { roundStalled[r] = true }
            if overlapping.isEmpty { outside += 1 } else { inside += 1 }
        }
        stalledWindowsInRounds = inside
        stalledWindowsOutsideRounds = outside
        windowsOutsideRounds = outsideAll
        concurrentWindowsOutsideRounds = concurrent
        stalledRounds = roundStalled.filter { $0 }.count
        rounds = spans.count

        // Acquisitions of each thread are in time order: binary search.
        let origin = result.originTicks
        let lastRecorded = result.threads.compactMap { thread -> UInt64? in
            thread.count > 0 ? thread.acquired(thread.count - 1) &- origin : nil
        }.min() ?? 0
        var recovery: [Double] = []
        for round in result.rounds {
            let startTicks = round.startMs * 1e6 * ticksPerNs
            guard startTicks >= 0, startTicks < Double(lastRecorded) else { continue }
            let from = UInt64(startTicks)
            var first = UInt64.max
            for thread in result.threads {
                var low = 0, high = thread.count
                while low < high {
                    let mid = (low + high) / 2
                    if thread.acquired(mid) &- origin < from { low = mid + 1 } else { high = mid }
                }
                if low < thread.count { first = min(first, thread.acquired(low) &- origin) }
            }
            if first != .max { recovery.append(Double(first - from) / ticksPerNs) }
        }
        recoveryNs = recovery
    }
}
