// Uncontended floors: acquire+release of each lock on one pinned thread,
// the same algorithms in C (CReference, -O2) and the CAS floor, in the same run.

import BenchKit
import RunFormat
import CPlatform
import CReference
import KernelCore
import VcoreEmulation
import Platform
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

    /// Runs `a` and `b` in alternating rounds (a, b, a, b, ...), each round a
    /// share of the trials, so that drift of a shared VM (other tenants,
    /// frequency) hits both alike; returns both with every trial kept.
    static func interleaved(_ a: inout TimedBatch, _ b: inout TimedBatch?, runner: TrialRunner,
                            param: String) -> (Measurement?, Measurement?) {
        let rounds = max(1, min(runner.trials, 5))
        var trialsA: [Double] = [], trialsB: [Double] = []
        for round in 0..<rounds {
            var share = runner
            share.trials = runner.trials / rounds + (round < runner.trials % rounds ? 1 : 0)
            share.warmupBatches = round == 0 ? runner.warmupBatches : 1
            trialsA += share.measure(&a, param: param)?.trials ?? []
            if b != nil { trialsB += share.measure(&b!, param: param)?.trials ?? [] }
        }
        func make(_ batch: TimedBatch, _ trials: [Double]) -> Measurement? {
            guard let statistics = SampleStatistics(trials) else { return nil }
            return Measurement(benchmark: batch.benchmark, variant: batch.variant, threads: 1,
                               param: param, metric: batch.metric, unit: "ns",
                               lowerIsBetter: true, statistics: statistics, trials: trials)
        }
        return (make(a, trialsA), b.flatMap { make($0, trialsB) })
    }

    private struct Visitor: LockVisitor {
        let runner: TrialRunner
        let c: ((Int) -> UInt64)?
        mutating func visit<L: KernelLock>(_ lock: L) throws -> (Measurement?, Measurement?) {
            let node = L.Node.allocate()
            defer { node.deallocate(); lock.deallocate() }
            var swift = TimedBatch(benchmark: "lock_uncontended", variant: "swift", metric: "acquire_release") {
                timeAcquireRelease(lock, node: node, iterations: $0)
            }
            var twin = c.map { TimedBatch(benchmark: "lock_uncontended", variant: "c", metric: "acquire_release", body: $0) }
            return UncontendedFloors.interleaved(&swift, &twin, runner: runner, param: "lock=\(L.name)")
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
            var visitor = Visitor(runner: runner, c: cBatch(lock))
            let (swift, c) = try lock.visit(map: map, &visitor)
            add(swift)
            add(c)
        }
        // The CAS floor: BenchKit's one loop (ctxbench measures the same).
        let line = CacheLineBox(Atomic<UInt64>(0))
        defer { line.deallocate() }
        var swiftCAS = TimedBatch(benchmark: "lock_uncontended", variant: "swift", metric: "cas") {
            timeUncontendedCAS(line.pointer, iterations: $0)
        }
        var cCAS: TimedBatch? = TimedBatch(benchmark: "lock_uncontended", variant: "c", metric: "cas") {
            kb_reference_cas_batch($0)
        }
        let (swift, c) = interleaved(&swiftCAS, &cCAS, runner: runner, param: "floor=cas")
        add(swift)
        add(c)
        return rows
    }
}
