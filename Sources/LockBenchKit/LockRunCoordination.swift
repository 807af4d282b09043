// Part 3 of a run: the coordinator waits (asleep) for the threads, the
// watchdog or Ctrl-C, then stops everything with a bound.

import BenchKit
import CPlatform
import Platform

/// How the measuring ended.
struct LockRunEnding {
    /// TSC when the coordinator saw the end.
    let endTicks: UInt64
    /// Every thread returned and was joined (false: some were abandoned).
    let joined: Bool
}

extension RunningLockRun {
    /// Sleeps on the group's bounded join (woken as the last thread
    /// returns, else every 10 ms) until every thread returned and was
    /// joined, the watchdog fired, or a Ctrl-C was not honoured within the
    /// join timeout, calling `hooks.whileRunning` every ~100 ms. Then stops the watchdog, the threads and the preemption,
    /// each with a bounded wait.
    func coordinate(hooks: LockRunner.Hooks) throws -> LockRunEnding {
        let configuration = prepared.configuration
        let joinTimeoutNs = UInt64(configuration.joinTimeoutSeconds * 1e9)
        var lastHook = monotonicNanos()
        var stopSeen: UInt64? = nil
        while !group.join(timeout: .milliseconds(10)) {
            if watchdog.hasFired { break }
            let now = monotonicNanos()
            if StopRequest.isRequested {
                if stopSeen == nil { stopSeen = now; group.requestStop() }
                if now - stopSeen! > joinTimeoutNs { break }
            }
            if now - lastHook > 100_000_000 {
                hooks.whileRunning(Double(now - originMonotonic))
                lastHook = now
            }
        }
        let endTicks = kb_rdtsc()
        watchdog.stop()
        group.requestStop()
        // Stopping the controller and restoring vcores take the emulated
        // kernel's lock; after a stall its holder may never run again, so
        // these get a bounded wait too (and are abandoned past it).
        let joinTimeout = Duration.nanoseconds(Int64(joinTimeoutNs))
        let (preemption, map) = (self.preemption, self.map)
        let stopped = try BoundedWait.run(joinTimeout) {
            preemption.stop()
            map.restoreAll()
        }
        return LockRunEnding(endTicks: endTicks, joined: stopped && group.join(timeout: joinTimeout))
    }
}
