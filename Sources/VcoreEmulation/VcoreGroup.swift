// VcoreGroup: start N emulated vcores (pinned kernel threads), stop, join.

import Platform
import KernelCore
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

@usableFromInline
struct VcoreGroupControl: ~Copyable {
    /// Set once to ask every vcore's body to return (line 0: read in every loop).
    @usableFromInline let stop = Atomic<Bool>(false)
    let pad0 = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    /// Threads pinned and registered.
    let ready = FutexWord(0)
    /// 1 once every thread may run its body: they start together.
    let go = FutexWord(0)
    /// Threads that returned.
    let finished = FutexWord(0)
    /// The first pinning error's errno, or 0.
    let pinError = Atomic<Int32>(0)
    /// The first sched_setscheduler error's errno, or 0.
    let policyError = Atomic<Int32>(0)
    @usableFromInline init() {}
}

/// What a vcore's body gets: its id, the map, and the group's stop flag.
@frozen
public struct Vcore: @unchecked Sendable {
    /// This vcore's id.
    public let id: VcoreID
    /// The CPU its thread is pinned to.
    public let cpu: Int32
    /// The process' vcore map.
    public let map: VcoreMap
    @usableFromInline let control: CacheLineBox<VcoreGroupControl>

    /// True once the group asked its vcores to stop (a relaxed load: check it
    /// between lock acquisitions, never inside a critical section).
    @inlinable
    public var shouldStop: Bool { control.pointee.stop.load(ordering: .relaxed) }
}

/// The vcores of one emulated process: one kernel thread per vcore of `map`,
/// vcore i pinned to `cpus[i % cpus.count]`. Several vcores share a CPU only
/// when there are more vcores than CPUs given (the emulated, oversubscribed
/// mode: Linux then time-slices them, which the vcore map cannot see).
public final class VcoreGroup: @unchecked Sendable {
    /// The map the vcores register in.
    public let map: VcoreMap
    /// The CPU of each vcore.
    public let cpus: [Int32]
    private let control: CacheLineBox<VcoreGroupControl>
    private var threads: [PinnedThread] = []
    private var joined = false

    /// A group for every vcore of `map`, on `cpus` (round robin).
    /// SCHED_FIFO priority of every vcore thread, or nil for SCHED_OTHER.
    public let fifoPriority: Int32?

    /// A group for every vcore of `map`, on `cpus` (round robin). With
    /// `fifoPriority`, every vcore thread runs SCHED_FIFO at that priority:
    /// then no other process (and no time slicing between vcores sharing a
    /// CPU) takes a CPU from a running vcore, as on Akaros, where a vcore
    /// keeps its core until the kernel preempts it; a vcore that shares a
    /// CPU with a running one waits until that one stops (is preempted or
    /// changes vcore). `start` throws if SCHED_FIFO is not permitted.
    public init(map: VcoreMap, cpus: [Int32], fifoPriority: Int32? = nil) {
        precondition(!cpus.isEmpty, "VcoreGroup: no CPUs")
        self.fifoPriority = fifoPriority
        self.map = map
        self.cpus = (0..<map.count).map { cpus[$0 % cpus.count] }
        control = CacheLineBox(VcoreGroupControl())
    }

    deinit {
        // Threads that never returned (a failed join) may still read `control`.
        if joined || threads.isEmpty { control.deallocate() }
    }

    /// Starts every vcore: each thread pins itself, registers in the map, and
    /// once all are ready they run `body` together; when it returns the vcore
    /// exits (after honouring a pending preemption). Throws, with every thread
    /// stopped and joined, if a thread cannot be created or pinned.
    public func start(_ body: @escaping @Sendable (Vcore) -> Void) throws {
        precondition(threads.isEmpty, "VcoreGroup.start called twice")
        let control = self.control
        let map = self.map
        for index in 0..<map.count {
            let vcore = Vcore(id: VcoreID(index), cpu: cpus[index], map: map, control: control)
            let priority = fifoPriority
            do {
                threads.append(try PinnedThread.start(cpu: nil) {
                    Self.run(vcore, fifoPriority: priority, body)
                })
            } catch {
                abortStart()
                throw error
            }
        }
        let deadline = monotonicNanos() + 5_000_000_000
        while control.pointee.ready.value.load(ordering: .acquiring) < UInt32(map.count) {
            guard monotonicNanos() < deadline else {
                abortStart()
                throw SystemCallError("vcore start (threads not ready in 5 s)", errno: ETIMEDOUT)
            }
            sched_yield()
        }
        let pinError = control.pointee.pinError.load(ordering: .relaxed)
        guard pinError == 0 else {
            abortStart()
            throw SystemCallError("sched_setaffinity(\(cpus))", errno: pinError)
        }
        let policyError = control.pointee.policyError.load(ordering: .relaxed)
        guard policyError == 0 else {
            abortStart()
            throw SystemCallError("sched_setscheduler(SCHED_FIFO, \(fifoPriority ?? 0))", errno: policyError)
        }
        control.pointee.go.value.store(1, ordering: .releasing)
        control.pointee.go.wakeAll()
    }

    private static func run(_ vcore: Vcore, fifoPriority: Int32?, _ body: (Vcore) -> Void) {
        let control = vcore.control
        let pinned = kb_set_affinity(0, [vcore.cpu], 1)
        if pinned != 0 {
            _ = control.pointee.pinError.compareExchange(expected: 0, desired: -pinned, ordering: .relaxed)
        }
        var scheduled: Int32 = 0
        if let priority = fifoPriority {
            scheduled = kb_set_scheduler(0, SCHED_FIFO, priority)
            if scheduled != 0 {
                _ = control.pointee.policyError.compareExchange(expected: 0, desired: -scheduled,
                                                                ordering: .relaxed)
            }
        }
        vcore.map.register(vcore.id, cpu: pinned == 0 ? vcore.cpu : -1)
        control.pointee.ready.value.wrappingAdd(1, ordering: .releasing)
        while control.pointee.go.value.load(ordering: .acquiring) == 0 {
            control.pointee.go.wait(whileEqualTo: 0, timeoutNs: 10_000_000)
        }
        if pinned == 0 && scheduled == 0 && !control.pointee.stop.load(ordering: .relaxed) {
            body(vcore)
        }
        vcore.map.exit(vcore.id)
        control.pointee.finished.value.wrappingAdd(1, ordering: .releasing)
        control.pointee.finished.wakeAll()
    }

    private func abortStart() {
        control.pointee.stop.store(true, ordering: .relaxed)
        control.pointee.go.value.store(1, ordering: .releasing)
        control.pointee.go.wakeAll()
        _ = join(timeout: .seconds(5))
    }

    /// Asks every vcore's body to return (they poll `Vcore.shouldStop`).
    public func requestStop() {
        control.pointee.stop.store(true, ordering: .relaxed)
    }

    /// Number of vcores whose body has returned.
    public var finishedCount: Int { Int(control.pointee.finished.value.load(ordering: .acquiring)) }

    /// Waits up to `timeout` for every vcore to return and joins them. Returns
    /// false if some did not (a stuck lock); their threads are then abandoned,
    /// never waited on forever. Preempted vcores are not restored here: stop
    /// the controller (or `map.restoreAll()`) first.
    @discardableResult
    public func join(timeout: Duration) -> Bool {
        if joined { return true }
        let deadline = monotonicNanos() + timeout.nanoseconds
        while true {
            let done = control.pointee.finished.value.load(ordering: .acquiring)
            if done == UInt32(threads.count) { break }
            let now = monotonicNanos()
            guard now < deadline else { return false }
            control.pointee.finished.wait(whileEqualTo: done,
                                          timeoutNs: Int64(min(deadline - now, 10_000_000)))
        }
        for thread in threads { thread.join() }
        joined = true
        return true
    }
}
