// Part 2 of a run: the threads started, the watchdog and any preemption
// running, and one origin for all.

import BenchKit
import CPlatform
import KernelCore
import VcoreEmulation
import Platform

/// A run whose threads are measuring.
final class RunningLockRun: @unchecked Sendable {
    let prepared: PreparedLockRun
    let lock: MeasuredLock
    let map: VcoreMap
    let group: VcoreGroup
    let watchdog: Watchdog
    let preemption: PreemptionDriver
    let stall: StallBox
    /// The common start: TSC, and CLOCK_MONOTONIC at the same moment.
    let origin: UInt64
    let originMonotonic: UInt64

    private init(prepared: PreparedLockRun, lock: MeasuredLock, map: VcoreMap, group: VcoreGroup,
                 watchdog: Watchdog, preemption: PreemptionDriver, stall: StallBox,
                 origin: UInt64, originMonotonic: UInt64) {
        self.prepared = prepared
        self.lock = lock
        self.map = map
        self.group = group
        self.watchdog = watchdog
        self.preemption = preemption
        self.stall = stall
        self.origin = origin
        self.originMonotonic = originMonotonic
    }

    /// Starts one vcore per thread (pinned, registered in `map`), each of
    /// which checks in at a start line and sleeps; starts the watchdog and the
    /// preemption; then publishes the origin and wakes them all.
    ///
    /// The threads wait for the origin asleep on a futex (`StartLine`), never
    /// spinning or yielding: SCHED_FIFO vcores on every CPU would otherwise
    /// keep this (SCHED_OTHER) thread from ever running to publish it. The
    /// origin is "now" (no lead): the threads begin as they wake.
    static func start(_ prepared: PreparedLockRun, lock: MeasuredLock, map: VcoreMap,
                      hooks: LockRunner.Hooks) throws -> RunningLockRun {
        let configuration = prepared.configuration
        let line = StartLine()
        let group = VcoreGroup(map: map, cpus: configuration.cpus, fifoPriority: configuration.fifoPriority)
        let memories = prepared.memories
        nonisolated(unsafe) let critical = prepared.critical
        try group.start { vcore in
            let index = Int(vcore.id)
            hooks.onThreadReady(index, vcore.cpu)
            line.checkIn()
            guard let origin = line.waitForStart() else {
                memories[index].status.pointee.word.store(ThreadPhase.done.rawValue, ordering: .releasing)
                return
            }
            lock.measure(vcore, critical, memories[index], prepared.plan(origin: origin))
        }

        let stall = StallBox()
        let watchdog: Watchdog
        let preemption: PreemptionDriver
        do {
            watchdog = try Watchdog(timeoutSeconds: configuration.watchdogSeconds, progress: {
                memories.reduce(UInt64(group.finishedCount)) { $0 &+ $1.status.pointee.acquisitions }
            }, onStall: { seconds in
                stall.set(StallDiagnostic.describe(lock: lock, memories: memories, cpus: group.cpus,
                                                   map: map, stalledSeconds: seconds))
                group.requestStop()
            })
            do {
                preemption = try PreemptionDriver(configuration: configuration, map: map)
            } catch {
                watchdog.stop()
                throw error
            }
        } catch {
            group.requestStop()
            line.cancel()
            map.restoreAll()
            _ = group.join(timeout: .seconds(2))
            throw error
        }

        // Everyone pinned and ready (or 5 s passed): one origin for all.
        _ = line.waitForCheckIns(configuration.threads, timeoutNs: 5_000_000_000)
        let originMonotonic = monotonicNanos()
        let origin = kb_rdtsc()
        line.release(at: max(origin, 1))
        return RunningLockRun(prepared: prepared, lock: lock, map: map, group: group, watchdog: watchdog,
                              preemption: preemption, stall: stall, origin: origin,
                              originMonotonic: originMonotonic)
    }
}
