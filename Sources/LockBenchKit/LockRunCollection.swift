// Part 4 of a run: what the threads recorded, turned into a LockRunResult.

import BenchKit

extension RunningLockRun {
    /// Reads every thread's samples, windows and counts. If threads were
    /// abandoned they are stuck in lock(): every sample they wrote before is
    /// complete, and the run is taken to end now for them.
    func collect(_ ending: LockRunEnding, clock: TSCClock) -> LockRunResult {
        let configuration = prepared.configuration
        let plan = prepared.basePlan
        // The run ends when the last thread's loop did (or now, if one never returned).
        let lastEnd = prepared.memories.map { memory -> UInt64 in
            memory.status.pointee.phase == .done ? memory.status.pointee.end.load(ordering: .relaxed) : ending.endTicks
        }.max() ?? ending.endTicks
        let elapsedTicks = max(lastEnd, origin + 1) &- origin
        let windowsUsed = max(1, min(plan.windowCapacity, Int((elapsedTicks + plan.windowTicks - 1) / plan.windowTicks)))
        var attempts: [ThreadAttempts] = []
        var violations = 0
        for (index, memory) in prepared.memories.enumerated() {
            let status = memory.status
            let acquisitions = status.pointee.acquisitions
            let done = status.pointee.phase == .done
            let recorded = done ? status.pointee.recorded.load(ordering: .acquiring)
                                : min(Int(acquisitions), plan.capacity)
            violations += status.pointee.violations.load(ordering: .relaxed)
            attempts.append(ThreadAttempts(thread: index, cpu: group.cpus[index], acquisitions: acquisitions,
                                           ticks: Array(UnsafeBufferPointer(start: memory.samples, count: recorded * 3))))
        }
        let windows = prepared.memories.map { Array(UnsafeBufferPointer(start: $0.windows, count: windowsUsed)) }
        var result = LockRunResult(
            configuration: configuration, lockName: lock.name, threads: attempts, windows: windows,
            windowNs: Double(plan.windowTicks) / clock.ticksPerNs,
            counter: prepared.critical.pointee.counter.load(ordering: .relaxed), canaryViolations: violations,
            originTicks: origin, elapsedNs: clock.nanoseconds(elapsedTicks),
            stall: stall.value, interrupted: StopRequest.isRequested, joined: ending.joined)
        result.preemptionMessages = map.preemptionMessages
        result.preemptionCount = map.preemptionCount
        result.changeCount = map.changeCount
        result.rotationPreemptionCount = map.rotationPreemptionCount
        result.oneWayChangeCount = map.oneWayChangeCount
        result.schedulerTicks = map.schedulerTicks
        preemption.record(into: &result, originMonotonic: originMonotonic)
        if !ending.joined {
            result.warnings.append("lock \(lock.name): \(configuration.threads - group.finishedCount) thread(s) "
                                   + "never returned from the lock; abandoned (their memory is leaked)")
        }
        return result
    }
}
