import Glibc

/// CPU time that something other than this process used on the machine (other
/// processes, kernel threads, and the host's steal) while `body` ran, in
/// milliseconds: the machine's busy time from /proc/stat (`CPUTimes`) minus
/// this process's own (getrusage).
///
/// A timing assertion or a quiet-machine claim only means something when this
/// stays small: tests that check throughput windows skip those checks (and
/// say so) when the machine was busy.
public func foreignCPUMilliseconds<R>(_ body: () throws -> R) rethrows -> (result: R, milliseconds: Double) {
    let busyBefore = machineBusyMilliseconds(), oursBefore = ownCPUMilliseconds()
    let result = try body()
    let busyAfter = machineBusyMilliseconds(), oursAfter = ownCPUMilliseconds()
    return (result, max(0, (busyAfter - busyBefore) - (oursAfter - oursBefore)))
}

/// Non-idle time of the whole machine: user, nice, system, irq, softirq, steal.
private func machineBusyMilliseconds() -> Double {
    Double(CPUTimes.read().total?.busy ?? 0) * CPUTimes.millisecondsPerTick
}

/// This process's CPU time (getrusage counts every thread, including those
/// that have exited).
private func ownCPUMilliseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return Double(micros) / 1000
}
