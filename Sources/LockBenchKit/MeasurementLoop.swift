// The measurement loop: Akaros lock_test's, generic over the lock so that it
// specializes into direct atomics. Nothing in it allocates, counts references,
// takes another lock, prints or calls through a witness table. It and the
// types it touches are inlinable, so that `LockRunner.run` specializes it in
// the module of whatever lock is measured (see MeasuredLock.swift).

import Platform
import CPlatform
import KernelCore
import VcoreEmulation
import Synchronization

/// What a thread is doing now, published for the watchdog.
@usableFromInline
enum ThreadPhase: UInt64 {
    case idle = 0, waiting = 1, holding = 2, done = 3
}

/// One thread's published state, on its own cache line, written only by it.
@usableFromInline
struct ThreadStatus: ~Copyable {
    /// `acquisitions << 2 | phase`: one relaxed store per transition.
    @usableFromInline let word = Atomic<UInt64>(0)
    /// Attempts recorded in the sample buffer (set when the loop ends).
    @usableFromInline let recorded = Atomic<Int>(0)
    /// Critical sections in which the canary was found overwritten.
    @usableFromInline let violations = Atomic<Int>(0)
    /// TSC when the loop ended.
    @usableFromInline let end = Atomic<UInt64>(0)
    init() {}

    var phase: ThreadPhase { ThreadPhase(rawValue: word.load(ordering: .relaxed) & 3) ?? .idle }
    var acquisitions: UInt64 { word.load(ordering: .relaxed) >> 2 }
}

/// What the critical section updates with plain (non-RMW) loads and stores:
/// a lost counter update or a foreign canary means the lock let two threads in.
@usableFromInline
struct CriticalWords: ~Copyable {
    @usableFromInline let counter = Atomic<UInt64>(0)
    @usableFromInline let canary = Atomic<UInt64>(0)
    init() {}
}

/// The loop's parameters, in ticks.
@usableFromInline
struct LoopPlan: BitwiseCopyable {
    /// Sample slots (three UInt64 each: pre, acquired, released).
    @usableFromInline var capacity: Int
    /// Stop when the buffer is full (iterations mode) or go on counting.
    @usableFromInline var stopWhenFull: Bool
    /// TSC value after which no new attempt starts (UInt64.max: none).
    @usableFromInline var deadline: UInt64
    @usableFromInline var holdTicks: UInt64
    @usableFromInline var delayTicks: UInt64
    /// TSC at the common start, and the throughput window width.
    @usableFromInline var origin: UInt64
    @usableFromInline var windowTicks: UInt64
    @usableFromInline var windowCapacity: Int
}

/// One thread's memory, allocated before the run (pre-faulted, cache-line aligned).
@usableFromInline
struct ThreadMemory: @unchecked Sendable {
    @usableFromInline let status: UnsafeMutablePointer<ThreadStatus>
    /// `capacity * 3` ticks: pre, acquired, released per attempt.
    @usableFromInline let samples: UnsafeMutablePointer<UInt64>
    /// Acquisitions per window.
    @usableFromInline let windows: UnsafeMutablePointer<UInt32>

    init(plan: LoopPlan) {
        status = CacheLineBox(ThreadStatus()).pointer
        samples = CacheLine.allocate(lines: CacheLine.roundUp(plan.capacity * 3 * 8) / CacheLine.size)
            .bindMemory(to: UInt64.self, capacity: plan.capacity * 3)
        windows = CacheLine.allocate(lines: CacheLine.roundUp(plan.windowCapacity * 4) / CacheLine.size)
            .bindMemory(to: UInt32.self, capacity: plan.windowCapacity)
    }

    func deallocate() {
        CacheLineBox(boxAt: status).deallocate()
        CacheLine.free(UnsafeMutableRawPointer(samples))
        CacheLine.free(UnsafeMutableRawPointer(windows))
    }
}

/// Runs attempts until the plan says stop, the group asks to stop or Ctrl-C:
/// for each, TSC before the attempt, after acquiring and after releasing.
/// Acquisition latency is acquired − pre (minus the timer overhead, later).
/// Inlinable for specialization only: it is never inlined into its caller.
@inlinable @inline(never)
func measureAttempts<L: KernelLock>(_ lock: L, node: L.Node, vcore: Vcore, token: UInt64,
                                    critical: UnsafeMutablePointer<CriticalWords>,
                                    memory: ThreadMemory, plan: LoopPlan) {
    let status = memory.status, samples = memory.samples, windows = memory.windows
    var acquisitions: UInt64 = 0
    var recorded = 0
    var violations = 0
    while !vcore.shouldStop && !kb_stop_requested() {
        status.pointee.word.store(acquisitions << 2 | ThreadPhase.waiting.rawValue, ordering: .relaxed)
        let pre = kb_rdtsc_begin()
        if pre >= plan.deadline { break }
        lock.lock(node, vcore: vcore.id)
        let acquired = kb_rdtsc_end()
        // Critical section: plain load and store of the counter, canary marked and checked.
        critical.pointee.canary.store(token, ordering: .relaxed)
        critical.pointee.counter.store(critical.pointee.counter.load(ordering: .relaxed) &+ 1,
                                       ordering: .relaxed)
        status.pointee.word.store(acquisitions << 2 | ThreadPhase.holding.rawValue, ordering: .relaxed)
        if plan.holdTicks > 0 {
            while kb_rdtsc() &- acquired < plan.holdTicks { kb_pause() }
        }
        if critical.pointee.canary.load(ordering: .relaxed) != token { violations &+= 1 }
        lock.unlock(node, vcore: vcore.id)
        let released = kb_rdtsc_end()
        acquisitions &+= 1
        status.pointee.word.store(acquisitions << 2 | ThreadPhase.idle.rawValue, ordering: .relaxed)
        let window = Int(truncatingIfNeeded: (acquired &- plan.origin) / plan.windowTicks)
        windows[min(window, plan.windowCapacity - 1)] &+= 1
        if recorded < plan.capacity {
            let slot = samples + recorded &* 3
            slot[0] = pre
            slot[1] = acquired
            slot[2] = released
            recorded &+= 1
        }
        if recorded == plan.capacity && plan.stopWhenFull { break }
        if plan.delayTicks > 0 {
            while kb_rdtsc() &- released < plan.delayTicks { kb_pause() }
        }
    }
    status.pointee.end.store(kb_rdtsc(), ordering: .relaxed)
    status.pointee.recorded.store(recorded, ordering: .relaxed)
    status.pointee.violations.store(violations, ordering: .relaxed)
    status.pointee.word.store(acquisitions << 2 | ThreadPhase.done.rawValue, ordering: .releasing)
}
