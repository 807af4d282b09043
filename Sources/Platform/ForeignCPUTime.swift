import Glibc

/// CPU time that something other than this process used on the machine (other
/// processes, kernel threads, and the host's steal) while `body` ran, in clock
/// ticks of 10 ms as /proc/stat counts them.
///
/// A timing assertion or a quiet-machine claim only means something when this
/// stays small: tests that check throughput windows skip those checks (and
/// say so) when the machine was busy.
public func foreignCPUTicks<R>(_ body: () throws -> R) rethrows -> (result: R, ticks: Int) {
    let busyBefore = machineBusyTicks(), oursBefore = ownCPUTicks()
    let result = try body()
    let busyAfter = machineBusyTicks(), oursAfter = ownCPUTicks()
    return (result, max(0, (busyAfter - busyBefore) - (oursAfter - oursBefore)))
}

/// Non-idle ticks of the whole machine: user, nice, system, irq, softirq, steal.
private func machineBusyTicks() -> Int {
    // cpu  user nice system idle iowait irq softirq steal ...
    guard let line = SystemFiles.firstLine("/proc/stat") else { return 0 }
    let fields = line.split(separator: " ").dropFirst().compactMap { Int($0) }
    guard fields.count >= 8 else { return 0 }
    return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
}

/// This process's CPU time in the same ticks (getrusage counts every thread,
/// including those that have exited).
private func ownCPUTicks() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return micros / 10_000
}
