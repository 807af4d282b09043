// Part 2 of a run: the threads started, the watchdog and any preemption
// running, and one origin for all.

import BenchKit
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

    /// Launches one vcore per thread (pinned, registered in `map`, asleep at
    /// the group's start line); starts the watchdog and the preemption; then
    /// publishes the origin and wakes them all.
    ///
    /// The vcores wait for the origin asleep on a futex (`ThreadTeam`'s start
    /// line), never spinning or yielding: SCHED_FIFO vcores on every CPU would
    /// otherwise keep this (SCHED_OTHER) thread from ever running to publish
    /// it. The origin is "now" (no lead): the vcores begin as they wake.
    static func start(_ prepared: PreparedLockRun, lock: MeasuredLock, map: VcoreMap,
                      hooks: LockRunner.Hooks) throws -> RunningLockRun {
        let configuration = prepared.configuration
        let group = VcoreGroup(map: map, cpus: configuration.cpus, fifoPriority: configuration.fifoPriority,
                               placement: configuration.isScheduled ? .scheduled : .pinned)
        let memories = prepared.memories
        nonisolated(unsafe) let critical = prepared.critical
        try group.launch(onReady: { vcore in
            hooks.onThreadReady(Int(vcore.id), vcore.cpu)
        }) { vcore in
            lock.measure(vcore, critical, memories[Int(vcore.id)], prepared.plan(origin: vcore.startTick))
        }

        let stall = StallBox()
        let watchdog: Watchdog
        let preemption: PreemptionDriver
        do {
            // The group adds the vcores that returned to the progress, and
            // asks them to stop once the diagnostic is written.
            watchdog = try group.watch(timeoutSeconds: configuration.watchdogSeconds, progress: {
                memories.reduce(0) { $0 &+ $1.status.pointee.acquisitions }
            }, onStall: { seconds in
                stall.set(StallDiagnostic.describe(lock: lock, memories: memories, cpus: group.cpus,
                                                   map: map, stalledSeconds: seconds))
            })
            do {
                preemption = try PreemptionDriver(configuration: configuration, map: map)
            } catch {
                watchdog.stop()
                throw error
            }
        } catch {
            group.requestStop()
            map.restoreAll()
            _ = group.join(timeout: .seconds(2))
            throw error
        }

        // Everyone pinned and ready: one origin for all.
        let originMonotonic = monotonicNanos()
        let origin = group.release()
        return RunningLockRun(prepared: prepared, lock: lock, map: map, group: group, watchdog: watchdog,
                              preemption: preemption, stall: stall, origin: origin,
                              originMonotonic: originMonotonic)
    }
}
