// The cost of a dynamic lock on one CPU: the same critical section with no
// lock, a disabled and an enabled dynamic lock, and the plain locks it wraps.

import BenchKit
import RunFormat
import KernelCore

/// `dynamic_overhead` rows: variants none, dynamic-disabled, dynamic-spin,
/// spin, dynamic-mcs, mcs (metric `op`, ns per critical section), then the
/// same-run ratios: dynamic-disabled to none, dynamic-X to X, and X to none
/// (the lock's share of the section, Uhlig's 16-64% of IPC).
public enum DynamicOverhead {
    public static func measure(runner: TrialRunner, messageWords: Int) -> [Measurement] {
        let work = MessageBuffers(words: messageWords)
        let ring = EpochRing(vcores: 1)
        let disabled = DynamicLock(base: SpinLock(), ring: ring, home: 0, state: .disabled)
        let dynamicSpin = DynamicLock(base: SpinLock(), ring: ring, home: 0, state: .enabled)
        let dynamicMCS = DynamicLock(base: MCSLock(), ring: ring, home: 0, state: .enabled)
        let spin = SpinLock(), mcs = MCSLock()
        let node = QueueNode.allocate(), dynamicNode = QueueNode.allocate()
        defer {
            for lock in [disabled, dynamicSpin] { lock.deallocate() }
            dynamicMCS.deallocate(); spin.deallocate(); mcs.deallocate()
            node.deallocate(); dynamicNode.deallocate(); ring.deallocate(); work.deallocate()
        }
        func batch(_ variant: String, _ body: @escaping (Int) -> UInt64) -> TimedBatch {
            TimedBatch(benchmark: "dynamic_overhead", variant: variant, metric: "op", body: body)
        }
        var batches = [
            batch("none") { dynamicGuardedBatch(NoGuard(), work: work, iterations: $0) },
            batch("dynamic-disabled") { dynamicGuardedBatch(DynamicGuard(lock: disabled, node: NoNode()), work: work, iterations: $0) },
            batch("dynamic-spin") { dynamicGuardedBatch(DynamicGuard(lock: dynamicSpin, node: NoNode()), work: work, iterations: $0) },
            batch("spin") { dynamicGuardedBatch(PlainGuard(lock: spin, node: NoNode()), work: work, iterations: $0) },
            batch("dynamic-mcs") { dynamicGuardedBatch(DynamicGuard(lock: dynamicMCS, node: dynamicNode), work: work, iterations: $0) },
            batch("mcs") { dynamicGuardedBatch(PlainGuard(lock: mcs, node: node), work: work, iterations: $0) },
        ]
        let rows = InterleavedTrials.run(&batches, runner: runner, param: "message_words=\(messageWords)")
        return rows + ratios(rows)
    }

    /// The same-run ratios of one set of variants (paired trial by trial):
    /// dynamic-disabled to none, dynamic-X to X, and X to none.
    static func ratios(_ rows: [Measurement]) -> [Measurement] {
        func row(_ variant: String) -> Measurement? { rows.first { $0.variant == variant } }
        var ratios: [Measurement] = []
        for (variant, base) in [("dynamic-disabled", "none"), ("dynamic-spin", "spin"), ("dynamic-mcs", "mcs"),
                                ("spin", "none"), ("mcs", "none")] {
            if let a = row(variant), let b = row(base), let ratio = InterleavedTrials.ratio(a, to: b, name: base) {
                ratios.append(ratio)
            }
        }
        return ratios
    }
}
