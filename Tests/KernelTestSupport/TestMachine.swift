// The machine the tests run on, and waits that cannot hang a test.

import Platform
import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// The two CPUs this machine has (or fewer, if the process may use fewer).
public let testCPUs: [Int32] = {
    var cpus = [Int32](repeating: 0, count: 64)
    let found = kb_get_affinity(0, &cpus, 64)
    return found > 0 ? Array(cpus.prefix(min(Int(found), 2))) : [0]
}()

/// Polls `condition` until it holds or `timeout` passes; true if it held.
public func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanos() + timeout.nanoseconds
    while !condition() {
        if monotonicNanos() > deadline { return false }
        sched_yield()
    }
    return true
}

/// Sleeps the test thread for `duration`.
public func pause(_ duration: Duration) {
    sleep(untilNanos: monotonicNanos() + duration.nanoseconds)
}
