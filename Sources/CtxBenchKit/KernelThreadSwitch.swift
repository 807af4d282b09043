// Kernel threads passing one CPU around: the Linux pthread column of the
// thesis' Table 4.1, by sched_yield and by a futex hand-off.

import Platform
import BenchKit
import CPlatform
import Synchronization
import Glibc

/// N kernel threads pinned to one CPU that pass control among themselves,
/// each trial a fresh `ThreadTeam` (pinned, verified, SCHED_FIFO when the
/// run asks: under SCHED_OTHER, sched_yield also hands the CPU to whatever
/// else runs there, and the figure includes it).
///
/// - `schedYield`: every thread calls sched_yield in a loop; the cost per
///   switch is the span from the first thread's start to the last thread's
///   end over all yields (the thesis' pthread_yield test).
/// - `futexHandoff`: a ring: thread i sleeps on its own futex word until
///   thread i-1 sets it and wakes it, then passes to i+1; the cost per
///   one-way hand-off is the span over all hand-offs.
///
/// Bounded: each trial makes `switchesPerTrial` switches in all (at least one
/// per thread), every futex sleep has a timeout that rechecks the stop flag,
/// and the team is joined with a bound; the threads' memory is their stacks
/// (touched pages only) and one cache line each.
public enum KernelThreadSwitch {
    public enum Mechanism: String, Sendable, CaseIterable {
        case schedYield = "kthread_sched_yield"
        case futexHandoff = "kthread_futex_handoff"
    }

    /// Most threads one measurement may start (each is a kernel thread).
    public static let maximumThreads = 4096

    /// One trial: ns per switch, or nil when stopped (Ctrl-C, watchdog).
    public static func trial(_ mechanism: Mechanism, threads: Int, cpu: Int, switchesPerTrial: Int,
                             scheduling: TeamScheduling, clock: TSCClock) throws -> Double? {
        precondition(threads > 0 && threads <= maximumThreads && switchesPerTrial > 0)
        let perThread = max(1, switchesPerTrial / threads)
        let ring = CacheLineArray<FutexWord>(count: threads) { FutexWord($0 == 0 ? 1 : 0) }
        // Each member's first and last tick, on its own line (written once each).
        let span = CacheLineArray<(first: UInt64, last: UInt64)>(count: threads) { _ in (0, 0) }
        defer { ring.deallocate(); span.deallocate() }
        let team = ThreadTeam(cpus: Array(repeating: cpu, count: threads), scheduling: scheduling) { _, _ in () }
        let failed = CacheLineBox(Atomic<Bool>(false))
        defer { failed.deallocate() }
        try team.launch(timeout: .seconds(60), body: { member, _ in
            let index = member.index
            let first = kb_rdtsc_begin()
            switch mechanism {
            case .schedYield:
                for _ in 0..<perThread { sched_yield() }
            case .futexHandoff:
                let mine = ring.pointer(at: index), next = ring.pointer(at: (index + 1) % threads)
                for _ in 0..<perThread {
                    while mine.pointee.value.load(ordering: .acquiring) == 0 {
                        if member.shouldStop { failed.pointee.store(true, ordering: .relaxed); return }
                        _ = mine.pointee.wait(whileEqualTo: 0, timeoutNs: 100_000_000)
                    }
                    mine.pointee.value.store(0, ordering: .relaxed)
                    next.pointee.value.store(1, ordering: .releasing)
                    _ = next.pointee.wake()
                }
            }
            let last = kb_rdtsc_end()
            span.pointer(at: index).pointee = (first, last)
        })
        team.release()
        let joined = team.join(timeout: .seconds(120))
        guard joined.joined else {
            team.requestStop()
            throw SystemCallError("\(mechanism.rawValue) with \(threads) threads (\(joined.abandoned.count) did not finish in 120 s)",
                                  errno: ETIMEDOUT)
        }
        if failed.pointee.load(ordering: .relaxed) || StopRequest.isRequested { return nil }
        // The join's acquire made every member's ticks visible.
        let start = (0..<threads).map { span[$0].first }.min() ?? 0
        let end = (0..<threads).map { span[$0].last }.max() ?? 0
        guard end > start else { return nil }
        return clock.nanoseconds(end - start) / Double(perThread * threads)
    }
}
