import Platform
import CPlatform
import Glibc

/// Converts TSC ticks to nanoseconds with a rate calibrated against
/// CLOCK_MONOTONIC_RAW (the clock the kernel does not slew with NTP).
public struct TSCClock: Codable, Sendable {
    /// Ticks per nanosecond (2.596 means a 2.596 GHz TSC).
    public let ticksPerNs: Double
    /// How the rate was obtained, for meta.json.
    public let method: String
    /// Length of the calibration interval, in ns of CLOCK_MONOTONIC_RAW.
    public let calibrationIntervalNs: Int64
    /// The worst-case relative error of the rate from the uncertainty of the two
    /// paired readings (how far apart the TSC reads bracketing each clock read were).
    public let calibrationUncertainty: Double

    public var frequencyHz: Double { ticksPerNs * 1e9 }

    public init(ticksPerNs: Double, method: String, calibrationIntervalNs: Int64 = 0,
                calibrationUncertainty: Double = 0) {
        self.ticksPerNs = ticksPerNs
        self.method = method
        self.calibrationIntervalNs = calibrationIntervalNs
        self.calibrationUncertainty = calibrationUncertainty
    }

    @inline(__always) public func nanoseconds(_ ticks: UInt64) -> Double { Double(ticks) / ticksPerNs }
    @inline(__always) public func nanoseconds(_ ticks: Double) -> Double { ticks / ticksPerNs }
    @inline(__always) public func ticks(nanoseconds ns: Double) -> UInt64 { UInt64((ns * ticksPerNs).rounded()) }

    /// Measures the TSC rate over `intervalNs` (default 200 ms) of CLOCK_MONOTONIC_RAW.
    ///
    /// Each end of the interval is a paired reading: a TSC read on either side of
    /// `clock_gettime`, repeated, keeping the tightest pair, so an interrupt in
    /// the middle of one reading cannot skew the rate. The caller's thread
    /// sleeps in between; the TSC is invariant, so migration does not matter.
    public static func calibrate(intervalNs: Int64 = 200_000_000) -> TSCClock {
        let start = PairedReading.take()
        sleepNanoseconds(intervalNs)
        let end = PairedReading.take()
        let ns = Double(end.nanoseconds - start.nanoseconds)
        let ticks = end.ticks - start.ticks
        let uncertainty = (start.halfWidthTicks + end.halfWidthTicks) / ticks
        return TSCClock(
            ticksPerNs: ticks / ns,
            method: "TSC against CLOCK_MONOTONIC_RAW over \(Int64(ns) / 1_000_000) ms (tightest of \(PairedReading.attempts) paired reads at each end)",
            calibrationIntervalNs: Int64(ns),
            calibrationUncertainty: uncertainty)
    }
}

/// A TSC reading and a CLOCK_MONOTONIC_RAW reading taken at (nearly) the same
/// instant: the TSC is read just before and just after the clock, and the
/// midpoint stands for the clock's instant.
public struct PairedReading: Sendable {
    public let ticks: Double
    public let nanoseconds: Int64
    /// Half the distance between the two TSC reads: the timing uncertainty.
    public let halfWidthTicks: Double

    static let attempts = 64

    /// Pairs the TSC with `clock` (CLOCK_MONOTONIC_RAW, or CLOCK_REALTIME to
    /// put a run on the wall clock ranks share).
    public static func take(clock: clockid_t = CLOCK_MONOTONIC_RAW) -> PairedReading {
        var best = PairedReading(ticks: 0, nanoseconds: 0, halfWidthTicks: .infinity)
        var now = timespec()
        for _ in 0..<attempts {
            let before = kb_rdtsc_begin()
            clock_gettime(clock, &now)
            let after = kb_rdtsc_end()
            let half = Double(after &- before) / 2
            if half < best.halfWidthTicks {
                best = PairedReading(ticks: Double(before) + half,
                                     nanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec),
                                     halfWidthTicks: half)
            }
        }
        return best
    }
}
