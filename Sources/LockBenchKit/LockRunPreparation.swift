// Part 1 of a run: everything decided and allocated before any thread starts.

import BenchKit
import Platform

/// A run's plan in ticks and its memory: every thread's status line, sample
/// buffer and throughput windows, and the critical section's words, allocated
/// cache-line aligned and zero-filled (so pre-faulted) before the threads exist.
struct PreparedLockRun: @unchecked Sendable {
    let configuration: LockRunConfiguration
    /// The loop's plan with origin 0 and no deadline: `plan(origin:)` fills them.
    let basePlan: LoopPlan
    /// Ticks a duration run lasts from its origin (nil: iterations).
    let durationTicks: UInt64?
    let memories: [ThreadMemory]
    nonisolated(unsafe) let critical: UnsafeMutablePointer<CriticalWords>

    init(configuration: LockRunConfiguration, clock: TSCClock) {
        self.configuration = configuration
        let windowTicks = max(1, clock.ticks(nanoseconds: configuration.windowNs))
        let windowCapacity: Int
        switch configuration.length {
        case .duration(let seconds, _):
            windowCapacity = Int(seconds * 1e9 / configuration.windowNs) + 2
            durationTicks = clock.ticks(nanoseconds: seconds * 1e9)
        case .iterations:
            windowCapacity = max(2, min(2_000_000, Int(120e9 / configuration.windowNs)))
            durationTicks = nil
        }
        let stopWhenFull = if case .iterations = configuration.length { true } else { false }
        basePlan = LoopPlan(capacity: configuration.capacityPerThread, stopWhenFull: stopWhenFull,
                            deadline: .max,
                            holdTicks: clock.ticks(nanoseconds: configuration.holdNs),
                            delayTicks: clock.ticks(nanoseconds: configuration.delayNs),
                            origin: 0, windowTicks: windowTicks, windowCapacity: windowCapacity)
        let plan = basePlan
        memories = (0..<configuration.threads).map { _ in ThreadMemory(plan: plan) }
        critical = CacheLineBox(CriticalWords()).pointer
    }

    /// The plan of a run that started at `origin`.
    func plan(origin: UInt64) -> LoopPlan {
        var plan = basePlan
        plan.origin = origin
        if let durationTicks { plan.deadline = origin &+ durationTicks }
        return plan
    }

    /// Frees the memory. Only once every thread has returned.
    func deallocate() {
        memories.forEach { $0.deallocate() }
        CacheLineBox(boxAt: critical).deallocate()
    }
}
