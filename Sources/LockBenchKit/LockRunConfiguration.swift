// What one lockbench run does: which lock, how many threads, for how long,
// the critical-section and delay work, and how (if at all) vcores are preempted.

/// `--preempt VCORES:PERIOD_MS:DURATION_MS` (emulated vcores) and
/// `--native-preempt CPUS:PERIOD_MS:DURATION_MS` (SCHED_FIFO hogs): how many
/// victims per round, every how long, for how long.
public struct PreemptionSpec: Sendable, Equatable, CustomStringConvertible {
    public var victims: Int
    public var periodMs: Double
    public var durationMs: Double

    public init(victims: Int, periodMs: Double, durationMs: Double) {
        self.victims = victims
        self.periodMs = periodMs
        self.durationMs = durationMs
    }

    /// The longest period or duration accepted, ms (one day): far beyond any
    /// experiment, and small enough that its nanoseconds fit an Int64.
    public static let maximumMs = 86_400_000.0
    /// The shortest, ms (1 µs): below it the controller would only spin.
    public static let minimumMs = 0.001

    /// Parses `N:PERIOD_MS:DURATION_MS`. The error says what is wrong, without
    /// naming the option (the caller does).
    public init(parsing text: String) throws(SpecError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw SpecError("the option wants N:PERIOD_MS:DURATION_MS (e.g. 2:50:10)")
        }
        guard let victims = Int(parts[0]), let period = Double(parts[1]), let duration = Double(parts[2]),
              period.isFinite, duration.isFinite else {
            throw SpecError("N must be an integer and PERIOD_MS, DURATION_MS numbers (e.g. 2:50:10)")
        }
        guard victims > 0 else { throw SpecError("N must be positive") }
        guard period > 0, duration > 0 else { throw SpecError("PERIOD_MS and DURATION_MS must be positive") }
        guard period >= Self.minimumMs, duration >= Self.minimumMs,
              period <= Self.maximumMs, duration <= Self.maximumMs else {
            throw SpecError("PERIOD_MS and DURATION_MS must lie between \(Self.format(Self.minimumMs)) and \(Self.format(Self.maximumMs)) ms")
        }
        guard duration < period else {
            throw SpecError("DURATION_MS (\(Self.format(duration))) must be shorter than PERIOD_MS (\(Self.format(period)))")
        }
        self.init(victims: victims, periodMs: period, durationMs: duration)
    }

    public var description: String {
        "\(victims):\(Self.format(periodMs)):\(Self.format(durationMs))"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// A malformed option value, reported as one line.
public struct SpecError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One run: one lock, one thread count.
public struct LockRunConfiguration: Sendable {
    /// How long a run goes.
    public enum Length: Sendable, Equatable {
        /// Each thread acquires this many times (all recorded).
        case iterations(Int)
        /// Every thread runs this long; each records its first `maxAttempts`
        /// attempts (latency statistics, attempts.csv) and counts every
        /// acquisition in the throughput timeline.
        case duration(seconds: Double, maxAttempts: Int)
    }

    public var lock: LockName
    public var threads: Int
    public var length: Length
    /// Busy work inside the critical section (TSC-timed from acquisition).
    public var holdNs: Double = 0
    /// Busy work after releasing, before the next attempt.
    public var delayNs: Double = 0
    /// CPUs; thread i runs on `cpus[i % cpus.count]`.
    public var cpus: [Int32]
    /// Emulated-vcore preemption (the thesis' experiment), if any.
    public var preempt: PreemptionSpec?
    /// Native preemption by SCHED_FIFO hogs on the last N CPUs, if any.
    public var nativePreempt: PreemptionSpec?
    /// The emulated kernel's scheduler period, ms, for runs with more vcores
    /// than CPUs (nil: no scheduler; such runs share CPUs behind the map's
    /// back). Setting it makes the run use emulated vcores even without
    /// `preempt`.
    public var rotationMs: Double?
    /// Seconds without any acquisition before the watchdog ends the run.
    public var watchdogSeconds: Double = 5
    /// Width of a throughput window.
    public var windowNs: Double = 1_000_000
    /// SCHED_FIFO priority for the lock threads (nil: SCHED_OTHER).
    public var fifoPriority: Int32?
    /// How long to wait for threads to return after a stall or Ctrl-C.
    public var joinTimeoutSeconds: Double = 2

    public init(lock: LockName, threads: Int, length: Length, cpus: [Int32]) {
        self.lock = lock
        self.threads = threads
        self.length = length
        self.cpus = cpus
    }

    /// Samples each thread's buffer holds.
    public var capacityPerThread: Int {
        switch length {
        case .iterations(let n): n
        case .duration(_, let maxAttempts): maxAttempts
        }
    }

    /// Whether threads share CPUs.
    public var isOversubscribed: Bool { threads > Set(cpus).count }

    /// Whether the threads are emulated vcores that the emulated kernel
    /// preempts (rounds, or a scheduler's rotation).
    public var isEmulated: Bool { preempt != nil || rotationMs != nil }

    /// Whether the emulated kernel schedules the vcores onto the CPUs: more
    /// vcores than CPUs, with a rotation period.
    public var isScheduled: Bool { rotationMs != nil && isOversubscribed }

    /// The shortest and longest scheduler period accepted, ms: below 50 µs
    /// the controller's own wake-ups would dominate; above 10 s a run sees
    /// no rotation.
    public static let rotationRangeMs = 0.05...10_000.0
    /// The default period (Linux' CFS gives a few ms; the thesis' rounds last 10 ms).
    public static let defaultRotationMs = 10.0

    /// The summary's `param` column: what distinguishes runs of the same lock.
    public var paramDescription: String {
        var parts = ["hold_ns=\(PreemptionSpec.format(holdNs))", "delay_ns=\(PreemptionSpec.format(delayNs))"]
        if let preempt { parts.append("preempt=\(preempt)") }
        if let nativePreempt { parts.append("native_preempt=\(nativePreempt)") }
        if isScheduled, let rotationMs { parts.append("rotate_ms=\(PreemptionSpec.format(rotationMs))") }
        return parts.joined(separator: " ")
    }
}
