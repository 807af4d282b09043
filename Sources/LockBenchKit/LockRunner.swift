// Runs one lock_test-style measurement: threads (emulated vcores) pinned
// round robin on the CPUs, a common start, optional preemption (emulated or
// native), a watchdog, and a bounded stop. The loop itself is in
// MeasurementLoop.swift.

import Platform
import CPlatform
import BenchKit
import KernelCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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

    /// Runs `configuration` with `lock` (any `KernelLock`, e.g. a test's), on
    /// the vcores of `map` (`map.count` must equal the thread count). The
    /// caller frees the lock and map afterwards if `joined`; if threads were
    /// abandoned in the lock, their memory is leaked on purpose (they may
    /// still touch it).
    public static func run<L: KernelLock>(_ lock: L, map: VcoreMap, configuration: LockRunConfiguration,
                                          clock: TSCClock, hooks: Hooks = Hooks()) throws -> LockRunResult {
        let threads = configuration.threads
        precondition(map.count == threads, "LockRunner: map has \(map.count) vcores for \(threads) threads")
        let windowTicks = max(1, clock.ticks(nanoseconds: configuration.windowNs))
        let windowCapacity: Int
        switch configuration.length {
        case .duration(let seconds, _):
            windowCapacity = Int(seconds * 1e9 / configuration.windowNs) + 2
        case .iterations:
            windowCapacity = max(2, min(2_000_000, Int(120e9 / configuration.windowNs)))
        }
        var plan = LoopPlan(capacity: configuration.capacityPerThread,
                            stopWhenFull: { if case .iterations = configuration.length { true } else { false } }(),
                            deadline: .max,
                            holdTicks: clock.ticks(nanoseconds: configuration.holdNs),
                            delayTicks: clock.ticks(nanoseconds: configuration.delayNs),
                            origin: 0, windowTicks: windowTicks, windowCapacity: windowCapacity)
        let memories = (0..<threads).map { _ in ThreadMemory(plan: plan) }
        let nodes = (0..<threads).map { _ in L.Node.allocate() }
        nonisolated(unsafe) let critical = CacheLine.allocate(CriticalWords())
        let gate = StartGate()
        let group = VcoreGroup(map: map, cpus: configuration.cpus, fifoPriority: configuration.fifoPriority)
        let durationTicks: UInt64? = {
            if case .duration(let seconds, _) = configuration.length { return clock.ticks(nanoseconds: seconds * 1e9) }
            return nil
        }()
        let basePlan = plan
        try group.start { vcore in
            let index = Int(vcore.id)
            hooks.onThreadReady(index, vcore.cpu)
            gate.arrive()
            guard let origin = gate.waitForOrigin(vcore) else {
                memories[index].status.pointee.word.store(ThreadPhase.done.rawValue, ordering: .releasing)
                return
            }
            var mine = basePlan
            mine.origin = origin
            if let durationTicks { mine.deadline = origin &+ durationTicks }
            measureAttempts(lock, node: nodes[index], vcore: vcore, token: UInt64(index) &+ 1,
                            critical: critical, memory: memories[index], plan: mine)
        }

        let stall = StallBox()
        var warnings: [String] = []
        var controller: PreemptionController?
        var native: NativePreemptor?
        let watchdog: Watchdog
        do {
            watchdog = try Watchdog(timeoutSeconds: configuration.watchdogSeconds, progress: {
                memories.reduce(UInt64(group.finishedCount)) { $0 &+ $1.status.pointee.acquisitions }
            }, onStall: { seconds in
                let text = diagnostic(lockName: L.name, lock: lock, memories: memories, cpus: group.cpus,
                                      map: map, stalledSeconds: seconds)
                stall.set(text)
                group.requestStop()
            })

            if let spec = configuration.preempt {
                let schedule = PreemptionSchedule(victims: .rotating(count: spec.victims),
                                                  period: .nanoseconds(Int64(spec.periodMs * 1e6)),
                                                  duration: .nanoseconds(Int64(spec.durationMs * 1e6)),
                                                  initialDelay: .nanoseconds(Int64(spec.periodMs * 1e6)))
                let started = PreemptionController(map: map, schedule: schedule)
                try started.start()
                controller = started
            }
            if let spec = configuration.nativePreempt {
                let distinct = Array(Set(configuration.cpus)).sorted()
                let victims = Array(distinct.suffix(spec.victims))
                let started = NativePreemptor(cpus: victims, spec: spec)
                try started.start()
                native = started
            }
        } catch {
            controller?.stop()
            native?.stop()
            group.requestStop()
            map.restoreAll()
            _ = group.join(timeout: .seconds(2))
            throw error
        }

        // Everyone pinned and ready: one origin for all.
        let readyDeadline = monotonicNanos() + 5_000_000_000
        while gate.arrived < threads && monotonicNanos() < readyDeadline { sleepNanoseconds(200_000) }
        let originMonotonic = monotonicNanos()
        let origin = kb_rdtsc()
        plan.origin = origin
        gate.open(origin: origin)

        var lastHook = monotonicNanos()
        var stopSeen: UInt64? = nil
        while group.finishedCount < threads {
            if watchdog.hasFired { break }
            let now = monotonicNanos()
            if StopRequest.isRequested {
                if stopSeen == nil { stopSeen = now; group.requestStop() }
                if now - stopSeen! > UInt64(configuration.joinTimeoutSeconds * 1e9) { break }
            }
            if now - lastHook > 100_000_000 {
                hooks.whileRunning(Double(now - originMonotonic))
                lastHook = now
            }
            sleepNanoseconds(2_000_000)
        }
        let endTicks = kb_rdtsc()
        watchdog.stop()
        group.requestStop()
        // Stopping the controller and restoring vcores take the emulated
        // kernel's lock; after a stall its holder may never run again, so
        // these get a bounded wait too (and are abandoned past it).
        let joinTimeout = Duration.nanoseconds(Int64(configuration.joinTimeoutSeconds * 1e9))
        let (controllerToStop, nativeToStop) = (controller, native)
        let stopped = try boundedWait(joinTimeout) {
            controllerToStop?.stop()
            nativeToStop?.stop()
            map.restoreAll()
        }
        let joined = stopped && group.join(timeout: joinTimeout)

        // Collect (if threads were abandoned they are stuck in lock(): every
        // sample they wrote before is complete).
        // The run ends when the last thread's loop did (or now, if one never returned).
        let lastEnd = memories.map { memory -> UInt64 in
            memory.status.pointee.phase == .done ? memory.status.pointee.end.load(ordering: .relaxed) : endTicks
        }.max() ?? endTicks
        let elapsedTicks = max(lastEnd, origin + 1) &- origin
        let windowsUsed = max(1, min(windowCapacity, Int((elapsedTicks + windowTicks - 1) / windowTicks)))
        var attempts: [ThreadAttempts] = []
        var violations = 0
        for (index, memory) in memories.enumerated() {
            let status = memory.status
            let acquisitions = status.pointee.acquisitions
            let done = status.pointee.phase == .done
            let recorded = done ? status.pointee.recorded.load(ordering: .acquiring)
                                : min(Int(acquisitions), plan.capacity)
            violations += status.pointee.violations.load(ordering: .relaxed)
            attempts.append(ThreadAttempts(thread: index, cpu: group.cpus[index], acquisitions: acquisitions,
                                           ticks: Array(UnsafeBufferPointer(start: memory.samples, count: recorded * 3))))
        }
        let windows = memories.map { Array(UnsafeBufferPointer(start: $0.windows, count: windowsUsed)) }
        var result = LockRunResult(
            configuration: configuration, threads: attempts, windows: windows,
            windowNs: Double(windowTicks) / clock.ticksPerNs,
            counter: critical.pointee.counter.load(ordering: .relaxed), canaryViolations: violations,
            originTicks: origin, elapsedNs: clock.nanoseconds(elapsedTicks),
            stall: stall.value, interrupted: StopRequest.isRequested, joined: joined)
        result.preemptionMessages = map.preemptionMessages
        result.preemptionCount = map.preemptionCount
        result.changeCount = map.changeCount
        if let controller {
            if !controller.isRealtime {
                warnings.append("the preemption controller did not get SCHED_FIFO: its rounds may start late")
            }
            result.rounds = controller.rounds.map { round in
                PreemptionWindow(victims: round.victims.map(Int.init),
                                 startMs: Double(Int64(bitPattern: round.preemptedNanos &- originMonotonic)) / 1e6,
                                 endMs: Double(Int64(bitPattern: round.restoredNanos &- originMonotonic)) / 1e6)
            }
        }
        if let native {
            if let failure = native.failure { warnings.append("native preemption: \(failure)") }
            result.rounds = native.rounds.map { round in
                PreemptionWindow(victims: round.victims,
                                 startMs: Double(Int64(bitPattern: round.start &- originMonotonic)) / 1e6,
                                 endMs: Double(Int64(bitPattern: round.end &- originMonotonic)) / 1e6)
            }
            result.preemptionCount = UInt64(native.rounds.reduce(0) { $0 + $1.victims.count })
            result.preemptionMessages = result.preemptionCount
        }
        if !joined {
            warnings.append("lock \(L.name): \(threads - group.finishedCount) thread(s) never returned "
                            + "from the lock; abandoned (their memory is leaked)")
        }
        result.warnings = warnings
        if joined {
            memories.forEach { $0.deallocate() }
            nodes.forEach { $0.deallocate() }
            CacheLine.free(UnsafeMutableRawPointer(critical))
        }
        return result
    }

    /// Runs `body` on its own thread and waits up to `timeout` for it; false
    /// (the thread abandoned) if it did not return in time.
    static func boundedWait(_ timeout: Duration, _ body: @escaping @Sendable () -> Void) throws -> Bool {
        let done = DoneFlag()
        let thread = try PinnedThread.start(cpu: nil) {
            body()
            done.set()
        }
        let deadline = monotonicNanos() + timeout.nanoseconds
        while !done.isSet {
            if monotonicNanos() > deadline { return false }
            sleepNanoseconds(1_000_000)
        }
        thread.join()
        return true
    }

    /// The watchdog's one-line diagnostic: the lock, its holder, its waiters.
    static func diagnostic<L: KernelLock>(lockName: String, lock: L, memories: [ThreadMemory], cpus: [Int32],
                                          map: VcoreMap, stalledSeconds: Double) -> String {
        var holders: [String] = []
        var waiters: [String] = []
        for (index, memory) in memories.enumerated() {
            let status = memory.status
            let who = "thread \(index) (vcore \(index), cpu \(cpus[index])"
                + (map.isPreempted(VcoreID(index)) ? ", preempted" : "") + ")"
            switch status.pointee.phase {
            case .holding: holders.append("\(who) at acquisition \(status.pointee.acquisitions + 1)")
            case .waiting: waiters.append("\(who) attempt \(status.pointee.acquisitions + 1)")
            default: break
            }
        }
        var holder = holders.isEmpty ? "unknown holder" : holders.joined(separator: ", ")
        if holders.isEmpty, let reporting = lock as? any LockHolderReporting {
            if let vcore = reporting.reportedHolder {
                holder = "vcore \(vcore) (thread \(vcore), as the lock records it)"
            } else {
                holder = "unknown holder (the lock records none)"
            }
        }
        let waiting = waiters.isEmpty ? "none" : waiters.joined(separator: ", ")
        return "lock \(lockName): no acquisition for \((stalledSeconds * 10).rounded() / 10) s; "
            + "holder: \(holder); waiters: \(waiting)"
    }
}

/// The common start: threads arrive, then wait for the origin tick.
final class StartGate: @unchecked Sendable {
    private struct Words: ~Copyable {
        let arrived = Atomic<Int>(0)
        let origin = Atomic<UInt64>(0)
    }
    private let words = CacheLine.allocate(Words())
    deinit { CacheLine.free(UnsafeMutableRawPointer(words)) }

    func arrive() { words.pointee.arrived.wrappingAdd(1, ordering: .releasing) }
    var arrived: Int { words.pointee.arrived.load(ordering: .acquiring) }

    func open(origin: UInt64) { words.pointee.origin.store(max(origin, 1), ordering: .releasing) }

    /// The origin, or nil if the group stopped first. Yields while waiting:
    /// threads may share a CPU (and run SCHED_FIFO).
    func waitForOrigin(_ vcore: Vcore) -> UInt64? {
        while true {
            let origin = words.pointee.origin.load(ordering: .acquiring)
            if origin != 0 { return origin }
            if vcore.shouldStop { return nil }
            sched_yield()
        }
    }
}

final class DoneFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// The watchdog's diagnostic, handed from its thread to the runner.
final class StallBox: Sendable {
    private let text = Mutex<String?>(nil)
    func set(_ value: String) { text.withLock { $0 = value } }
    var value: String? { text.withLock { $0 } }
}
