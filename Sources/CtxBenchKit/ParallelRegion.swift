// The measured loops of `ctxbench forkjoin`: the master's parallel regions
// and the workers' side of them, generic over the barrier (specialized per
// barrier type, so no dispatch is timed).

import Platform
import BenchKit
import KernelCore
import CPlatform
import Synchronization

/// What the master publishes to the team, on a line only it writes.
@usableFromInline
struct ForkJoinControl: ~Copyable {
    /// The number of the region being run (1, 2, ...): set before its fork.
    @usableFromInline let region = Atomic<UInt64>(0)
    /// Set before the last fork: the workers leave instead of running a region.
    @usableFromInline let quit = Atomic<Bool>(false)
    @usableFromInline init() {}
}

/// One participant's record, written only by that participant while the team
/// runs and read by the coordinator after the join.
@usableFromInline
struct RegionRecord {
    /// Regions this participant ran.
    @usableFromInline var regions: UInt64 = 0
    /// Regions in which its count disagreed with the master's region number:
    /// it missed one, or ran one twice.
    @usableFromInline var mismatches: UInt64 = 0
    @usableFromInline init() {}
}

/// The body of a region, the same for the master and every worker: count the
/// region and check it is the one the master opened. Trivial on purpose: the
/// benchmark times the fork and the join, not work.
@inlinable @inline(__always)
func runRegionBody(_ record: UnsafeMutablePointer<RegionRecord>, control: UnsafeMutablePointer<ForkJoinControl>) {
    // Relaxed: the fork barrier ordered the master's store before us.
    let expected = control.pointee.region.load(ordering: .relaxed)
    record.pointee.regions &+= 1
    if record.pointee.regions != expected { record.pointee.mismatches &+= 1 }
}

/// The master's side: `regions` parallel regions (fork barrier, body, join
/// barrier), timed in TSC ticks. Returns early if the barrier is cancelled.
@inline(never)
func runParallelRegions<B: KernelBarrier>(_ barrier: B, control: UnsafeMutablePointer<ForkJoinControl>,
                                          master: UnsafeMutablePointer<RegionRecord>, regions: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for _ in 0..<regions {
        // Relaxed: the fork barrier's release publishes it to the workers.
        control.pointee.region.store(master.pointee.regions &+ 1, ordering: .relaxed)
        guard barrier.wait(participant: 0) else { break }
        runRegionBody(master, control: control)
        guard barrier.wait(participant: 0) else { break }
    }
    return kb_rdtsc_end() &- start
}

/// A worker's side: wait at the fork, run the body, wait at the join, until
/// the master forks with `quit` set or the barrier is cancelled.
@inline(never)
func runForkJoinWorker<B: KernelBarrier>(_ barrier: B, participant: Int, control: UnsafeMutablePointer<ForkJoinControl>,
                                         record: UnsafeMutablePointer<RegionRecord>) {
    while true {
        guard barrier.wait(participant: participant) else { return }
        // Relaxed: set before the fork we just passed.
        if control.pointee.quit.load(ordering: .relaxed) { return }
        runRegionBody(record, control: control)
        guard barrier.wait(participant: participant) else { return }
    }
}

/// The barrier of a run, by type: the master's batch switches on it once
/// per batch, so each case calls `runParallelRegions` specialized to its
/// barrier (a generic benchmark type would be measured through its generic
/// witness, with every barrier call dispatched through a witness table).
enum ForkJoinMasterBarrier: Sendable {
    case futex(FutexBarrier), spin(SenseBarrier), tree(CombiningTreeBarrier)
}

/// The master's regions as a trial benchmark: ns per region.
struct ParallelRegions: TrialBenchmark {
    let benchmark = "forkjoin", metric = "region"
    let variant: String
    let barrier: ForkJoinMasterBarrier
    let control: UnsafeMutablePointer<ForkJoinControl>
    let master: UnsafeMutablePointer<RegionRecord>

    mutating func runBatch(iterations: Int) -> UInt64 {
        switch barrier {
        case .futex(let barrier): return runParallelRegions(barrier, control: control, master: master, regions: iterations)
        case .spin(let barrier): return runParallelRegions(barrier, control: control, master: master, regions: iterations)
        case .tree(let barrier): return runParallelRegions(barrier, control: control, master: master, regions: iterations)
        }
    }
}
