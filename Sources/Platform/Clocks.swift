import CPlatform
import Glibc

// The system clocks, for schedules, timeouts and calibration: never for a
// measured interval (that is the TSC's job, see BenchKit's TSCClock).

/// CLOCK_MONOTONIC_RAW in nanoseconds: the clock NTP does not slew, against
/// which the TSC is calibrated.
public func monotonicRawNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC_RAW, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// CLOCK_MONOTONIC in nanoseconds: the clock timers and absolute sleeps use.
public func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Sleeps for `ns`, resuming after signals unless a stop was requested (Ctrl-C
/// interrupts the sleep, so a waiting coordinator notices at once).
public func sleepNanoseconds(_ ns: Int64) {
    var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR && !kb_stop_requested() {
        request = remaining
    }
}

/// Sleeps until CLOCK_MONOTONIC reaches `deadline` nanoseconds (absolute, so
/// periodic schedules do not drift), retrying on EINTR.
public func sleep(untilNanos deadline: UInt64) {
    var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations give 0).
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
