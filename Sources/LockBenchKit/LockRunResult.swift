// What one run collected: every recorded attempt, the throughput timeline,
// the mutual-exclusion check, the preemption counts and, if the run stalled,
// the watchdog's diagnostic.

/// One preemption round, in ms from the run's start.
public struct PreemptionWindow: Sendable, Equatable {
    public var victims: [Int]
    public var startMs: Double
    public var endMs: Double
}

/// The attempts one thread recorded.
public struct ThreadAttempts: Sendable {
    public var thread: Int
    public var cpu: Int32
    /// Acquisitions made (may exceed `count` in duration mode).
    public var acquisitions: UInt64
    /// `count * 3` ticks: pre, acquired, released per attempt, in order.
    public var ticks: [UInt64]
    public var count: Int { ticks.count / 3 }
    public func pre(_ i: Int) -> UInt64 { ticks[3 * i] }
    public func acquired(_ i: Int) -> UInt64 { ticks[3 * i + 1] }
    public func released(_ i: Int) -> UInt64 { ticks[3 * i + 2] }
}

/// The outcome of one `LockRunner` run.
public struct LockRunResult: Sendable {
    public var configuration: LockRunConfiguration
    /// The name of the lock that ran (`KernelLock.name`). Usually the
    /// configured lock's, but a lock handed to `LockRunner.run` directly (a
    /// lock defined outside the package, a test's broken lock) is not the
    /// configured one, and a failure must name the lock that broke. The
    /// runner always sets it; nil only in a result built by hand, which
    /// then names the configured lock.
    public var lockName: String? = nil
    public var threads: [ThreadAttempts]
    /// Acquisitions per window, per thread (`windows[thread][window]`).
    public var windows: [[UInt32]]
    /// Window width.
    public var windowNs: Double
    /// The critical section's counter at the end.
    public var counter: UInt64
    /// Critical sections that found another thread's canary.
    public var canaryViolations: Int
    /// TSC at the common start.
    public var originTicks: UInt64
    /// From the start to the last thread's end (or the stop).
    public var elapsedNs: Double
    /// The watchdog's diagnostic if the run made no progress.
    public var stall: String?
    /// Stopped by Ctrl-C.
    public var interrupted: Bool
    /// Every thread returned (false: some were abandoned, stuck in the lock).
    public var joined: Bool
    public var preemptionMessages: UInt64 = 0
    public var preemptionCount: UInt64 = 0
    public var changeCount: UInt64 = 0
    /// Vcores the emulated scheduler preempted to rotate cores (part of
    /// `preemptionCount`), and its ticks.
    public var rotationPreemptionCount: UInt64 = 0
    /// One-way changes made by event handlers outside the lock paths
    /// (EV_CHECK_MSGS: not preemption messages): how often the handler,
    /// rather than a polling waiter, brought a preempted vcore back.
    public var oneWayChangeCount: UInt64 = 0
    public var schedulerTicks: UInt64 = 0
    public var rounds: [PreemptionWindow] = []
    /// Warnings for the run's meta.json (e.g. no SCHED_FIFO for the hogs).
    public var warnings: [String] = []

    public var totalAcquisitions: UInt64 { threads.reduce(0) { $0 + $1.acquisitions } }

    /// The lock excluded: no canary overwritten and no counter update lost.
    public var mutualExclusionHeld: Bool { canaryViolations == 0 && counter == totalAcquisitions }

    /// Finished as planned: no stall, no Ctrl-C, every thread joined.
    public var complete: Bool { stall == nil && !interrupted && joined }

    /// The span the run measured, ns: a duration run's vcores stop at its
    /// end (one still preempted then returns later, stretching `elapsedNs`).
    public var measuredNs: Double {
        if case .duration(let seconds, _) = configuration.length { return min(elapsedNs, seconds * 1e9) }
        return elapsedNs
    }

    /// Whether every thread acquired in window `w`: the host ran them all then.
    public func everyThreadAcquired(inWindow w: Int) -> Bool {
        !windows.isEmpty && windows.allSatisfy { w < $0.count && $0[w] > 0 }
    }

    /// Acquisitions per window summed over threads.
    public var totalPerWindow: [UInt64] {
        let count = windows.map(\.count).max() ?? 0
        return (0..<count).map { w in windows.reduce(0) { $0 + UInt64(w < $1.count ? $1[w] : 0) } }
    }

    /// Acquisitions per millisecond in each window, summed over threads.
    public var throughputPerMs: [Double] {
        let scale = 1e6 / windowNs
        return totalPerWindow.map { Double($0) * scale }
    }

    /// Indices of windows without a single acquisition.
    public var stalledWindows: [Int] { totalPerWindow.indices.filter { totalPerWindow[$0] == 0 } }

    /// One line naming the lock and what broke, if mutual exclusion did.
    public var exclusionFailure: String? {
        guard !mutualExclusionHeld else { return nil }
        return "lock \(lockName ?? configuration.lock.rawValue) broke mutual exclusion: counter \(counter) after "
            + "\(totalAcquisitions) acquisitions (\(Int64(bitPattern: totalAcquisitions &- counter)) lost updates), "
            + "\(canaryViolations) critical sections saw another thread's canary"
    }
}
