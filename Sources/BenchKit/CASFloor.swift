// The uncontended compare-and-swap: the physical floor under every lock and
// queue. One loop, measured by lockbench (beside its C twin) and ctxbench.

import Platform
import CPlatform
import Synchronization

/// `iterations` successful compare-and-swaps on `word`, timed in TSC ticks.
/// Each one succeeds (the expected value is always the current one), so this
/// times the locked instruction, not a retry loop.
@inline(never)
public func timeUncontendedCAS(_ word: UnsafeMutablePointer<Atomic<UInt64>>, iterations: Int) -> UInt64 {
    var expected = word.pointee.load(ordering: .relaxed)
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        expected = word.pointee.compareExchange(expected: expected, desired: expected &+ 1,
                                                ordering: .sequentiallyConsistent).original &+ 1
    }
    return kb_rdtsc_end() &- start
}

/// The CAS floor as a trial benchmark: a line only the measuring thread
/// touches. A class, so the line is freed when the last user lets go.
public final class UncontendedCASFloor: TrialBenchmark {
    public let benchmark = "floor", variant = "cas_uncontended", metric = "cas"
    /// The word the CAS targets (its value counts the operations done).
    public let line = CacheLineBox(Atomic<UInt64>(0))

    public init() {}

    public func runBatch(iterations: Int) -> UInt64 {
        timeUncontendedCAS(line.pointer, iterations: iterations)
    }

    deinit { line.deallocate() }
}
