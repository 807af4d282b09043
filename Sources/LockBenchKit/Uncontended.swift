// Uncontended floors: acquire+release of each lock on one pinned thread,
// the same algorithms in C (CReference, -O2) and one CAS, in the same run.

import BenchKit
import CPlatform
import CReference
import KernelCore
import Synchronization

/// A batch of operations timed by a closure (made by a specialized generic
/// function, so the timed loop itself has no dynamic dispatch).
struct TimedBatch: TrialBenchmark {
    let benchmark: String
    let variant: String
    let metric: String
    let body: (Int) -> UInt64
    mutating func runBatch(iterations: Int) -> UInt64 { body(iterations) }
}

/// `iterations` lock+unlock pairs, timed; specialized per lock type.
@inline(never)
func timeAcquireRelease<L: KernelLock>(_ lock: L, node: L.Node, iterations: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        lock.lock(node, vcore: 0)
        lock.unlock(node, vcore: 0)
    }
    return kb_rdtsc_end() &- start
}

/// `iterations` successful CAS on a private line: the physical floor.
@inline(never)
func timeCAS(_ word: UnsafeMutablePointer<Atomic<UInt64>>, iterations: Int) -> UInt64 {
    var expected = word.pointee.load(ordering: .relaxed)
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        expected = word.pointee.compareExchange(expected: expected, desired: expected &+ 1,
                                                ordering: .sequentiallyConsistent).original &+ 1
    }
    return kb_rdtsc_end() &- start
}

public enum UncontendedFloors {
    /// The C twin of each lock, where CReference has one.
    static func cBatch(_ lock: LockName) -> ((Int) -> UInt64)? {
        switch lock {
        case .spin: { kb_reference_spin_batch($0) }
        case .ttas: { kb_reference_ttas_batch($0) }
        case .ticket: { kb_reference_ticket_batch($0) }
        case .mcs: { kb_reference_mcs_batch($0) }
        default: nil
        }
    }

    private struct Visitor: LockVisitor {
        let runner: TrialRunner
        mutating func visit<L: KernelLock>(_ lock: L) throws -> Measurement? {
            let node = L.Node.allocate()
            defer { node.deallocate(); lock.deallocate() }
            var batch = TimedBatch(benchmark: "lock_uncontended", variant: "swift", metric: "acquire_release") {
                timeAcquireRelease(lock, node: node, iterations: $0)
            }
            return runner.measure(&batch, param: "lock=\(L.name)")
        }
    }

    /// Measures `locks` (Swift and, where there is one, C) and the CAS floor
    /// (Swift and C) on the calling thread, which should be pinned. Rows in ns
    /// and ticks; variant `swift` or `c`, param `lock=NAME`.
    public static func measure(_ locks: [LockName], runner: TrialRunner) throws -> [Measurement] {
        var rows: [Measurement] = []
        let map = VcoreMap(count: 1)
        defer { map.deallocate() }
        func add(_ measurement: Measurement?) {
            guard let measurement else { return }
            rows.append(measurement)
            var ticks = measurement
            ticks.unit = "ticks"
            ticks.statistics = measurement.statistics.scaled(by: runner.clock.ticksPerNs)
            ticks.trials = measurement.trials.map { $0 * runner.clock.ticksPerNs }
            rows.append(ticks)
        }
        for lock in locks {
            var visitor = Visitor(runner: runner)
            add(try lock.visit(map: map, &visitor))
            if let c = cBatch(lock) {
                var batch = TimedBatch(benchmark: "lock_uncontended", variant: "c", metric: "acquire_release", body: c)
                add(runner.measure(&batch, param: "lock=\(lock)"))
            }
        }
        let word = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 8)
        word.initialize(to: Atomic(0))
        defer { word.deallocate() }
        var swiftCAS = TimedBatch(benchmark: "lock_uncontended", variant: "swift", metric: "cas") {
            timeCAS(word, iterations: $0)
        }
        add(runner.measure(&swiftCAS, param: "floor=cas"))
        var cCAS = TimedBatch(benchmark: "lock_uncontended", variant: "c", metric: "cas") { kb_reference_cas_batch($0) }
        add(runner.measure(&cCAS, param: "floor=cas"))
        return rows
    }
}
