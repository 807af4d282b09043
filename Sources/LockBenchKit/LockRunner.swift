// Runs one lock_test-style measurement: threads (emulated vcores) pinned
// round robin on the CPUs, a common start, optional preemption (emulated or
// native), a watchdog, and a bounded stop. A run is four parts, each in its
// own file: prepare (LockRunPreparation), start (LockRunStart), coordinate
// (LockRunCoordination) and collect (LockRunCollection). The loop itself is
// in MeasurementLoop.swift.

import BenchKit
import KernelCore
import VcoreEmulation

/// Runs lock measurements.
public enum LockRunner {
    /// Hooks for the tool: called on each thread once pinned (to ask for
    /// SCHED_FIFO and record it), and every ~100 ms on the calling thread.
    public struct Hooks: Sendable {
        public var onThreadReady: @Sendable (_ thread: Int, _ cpu: Int32) -> Void = { _, _ in }
        public var whileRunning: @Sendable (_ elapsedNs: Double) -> Void = { _ in }
        public init() {}
    }

    /// Runs `configuration` with the lock it names.
    public static func run(_ configuration: LockRunConfiguration, clock: TSCClock,
                           hooks: Hooks = Hooks()) throws -> LockRunResult {
        let map = VcoreMap(count: configuration.threads)
        var visitor = Visitor(configuration: configuration, clock: clock, map: map, hooks: hooks)
        let result = try configuration.lock.visit(map: map, &visitor)
        if result.joined { map.deallocate() }
        return result
    }

    private struct Visitor: LockVisitor {
        let configuration: LockRunConfiguration, clock: TSCClock, map: VcoreMap, hooks: Hooks
        mutating func visit<L: KernelLock>(_ lock: L) throws -> LockRunResult {
            let result = try LockRunner.run(lock, map: map, configuration: configuration, clock: clock, hooks: hooks)
            if result.joined { lock.deallocate() }
            return result
        }
    }

    /// Runs `configuration` with `lock` (any `KernelLock`, e.g. a test's or
    /// one outside `LockName`), on the vcores of `map` (`map.count` must equal
    /// the thread count). The caller frees the lock and map afterwards if
    /// `joined`; if threads were abandoned in the lock, their memory is leaked
    /// on purpose (they may still touch it).
    ///
    /// Inlinable so that it is specialized in the caller's module for the
    /// caller's lock type: the measurement loop it wraps (`measureAttempts`)
    /// then calls the lock's verbs directly, never through a witness table,
    /// whichever module the lock comes from. Everything after this point is
    /// the same for every lock and is not generic.
    @inlinable
    public static func run<L: KernelLock>(_ lock: L, map: VcoreMap, configuration: LockRunConfiguration,
                                          clock: TSCClock, hooks: Hooks = Hooks()) throws -> LockRunResult {
        let nodes = (0..<configuration.threads).map { _ in L.Node.allocate() }
        var reportedHolder: (@Sendable () -> VcoreID?)? = nil
        if lock is any LockHolderReporting {
            reportedHolder = { (lock as? any LockHolderReporting)?.reportedHolder }
        }
        let measured = MeasuredLock(
            name: L.name,
            measure: { vcore, critical, memory, plan in
                let index = Int(vcore.id)
                measureAttempts(lock, node: nodes[index], vcore: vcore, token: UInt64(index) &+ 1,
                                critical: critical, memory: memory, plan: plan)
            },
            reportedHolder: reportedHolder,
            freeNodes: { nodes.forEach { $0.deallocate() } })
        return try run(measured, map: map, configuration: configuration, clock: clock, hooks: hooks)
    }

    /// The run, for any lock: prepare, start, coordinate, collect.
    @usableFromInline
    static func run(_ lock: MeasuredLock, map: VcoreMap, configuration: LockRunConfiguration,
                    clock: TSCClock, hooks: Hooks) throws -> LockRunResult {
        precondition(map.count == configuration.threads,
                     "LockRunner: map has \(map.count) vcores for \(configuration.threads) threads")
        let prepared = PreparedLockRun(configuration: configuration, clock: clock)
        let running = try RunningLockRun.start(prepared, lock: lock, map: map, hooks: hooks)
        let ending = try running.coordinate(hooks: hooks)
        let result = running.collect(ending, clock: clock)
        if ending.joined {
            prepared.deallocate()
            lock.freeNodes()
        }
        return result
    }
}
