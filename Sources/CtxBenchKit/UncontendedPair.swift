// The uncontended enqueue plus dequeue on one CPU: each queue's cost with no
// other thread near it, read against the CAS floor measured in the same run.

import BenchKit
import CPlatform
import CQueueReference
import KernelCore
import Platform
import RunFormat

/// What an uncontended pair batch times: the CAS floor itself, kbench's own
/// queue, driven by the specialized Swift loop, or a peer, driven by its C loop.
enum PairQueue {
    case casFloor(UncontendedCASFloor)
    case ucq(UCQBenchQueue), bcq(BCQBenchQueue)
    case reference(OpaquePointer)
    /// The design's floor: its locked instructions back to back, alone or
    /// with the pair's plain stores between them (`kb_qref_time_locked_floor`).
    case lockedFloor(lockedOps: UInt32, withStores: Bool)
}

/// `iterations` times: enqueue one message, dequeue it, on one thread. The
/// queue's lines stay in this CPU's cache, so this is the instruction cost of
/// the two verbs (their atomics included), the figure the issue bounds by
/// four uncontended CAS floors. The floor is one of these batches too, so it is
/// timed the same way (same timer reads, same iterations) and interleaved
/// with the pairs trial by trial. Not generic: the batch picks the loop once.
struct UncontendedPair: TrialBenchmark {
    let benchmark = "queue"
    let variant: String, metric: String
    let queue: PairQueue
    let message: UnsafeMutablePointer<UInt64>, out: UnsafeMutablePointer<UInt64>
    /// Bytes of `message`.
    let bytes: Int
    /// Enqueues refused or dequeues that found nothing (must stay 0).
    var failures: UInt64 = 0

    mutating func runBatch(iterations: Int) -> UInt64 {
        switch queue {
        case let .casFloor(floor): return floor.runBatch(iterations: iterations)
        case let .ucq(q): return timeUncontendedPairs(q, message, out, iterations, &failures)
        case let .bcq(q): return timeUncontendedPairs(q, message, out, iterations, &failures)
        case let .reference(handle): return kb_qref_time_pairs(handle, message, out, UInt64(iterations), &failures)
        case let .lockedFloor(lockedOps, withStores):
            return kb_qref_time_locked_floor(lockedOps, withStores, UInt32(truncatingIfNeeded: bytes),
                                             message, out, UInt64(iterations))
        }
    }
}

/// The Swift pair loop, specialized per queue, in TSC ticks.
@inline(never)
func timeUncontendedPairs<Q: BenchQueue>(_ queue: Q, _ message: UnsafeMutablePointer<UInt64>,
                                         _ out: UnsafeMutablePointer<UInt64>, _ iterations: Int,
                                         _ failures: inout UInt64) -> UInt64 {
    // Failures are counted where they happen, in memory, not in a local:
    // a local count lived in a register across the queue's out-of-line
    // slow paths and was stored to the stack on every pair (objdump), one
    // more store for the queue's next locked instruction to wait for.
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        if !queue.enqueue(message, producer: 0) { countFailure(&failures) }
        if !queue.dequeue(into: out) { countFailure(&failures) }
    }
    return kb_rdtsc_end() &- start
}

/// One more failed enqueue or dequeue (cold: never in a correct pair).
@inline(never)
func countFailure(_ failures: inout UInt64) { failures &+= 1 }

enum UncontendedPairs {
    /// On the calling (pinned) thread: the CAS floor and each queue's pair,
    /// interleaved trial by trial, then each pair as a multiple of the floor
    /// (trial i of a pair over trial i of the floor, taken in the same round).
    /// Rows: `queue/reference:cas_floor/cas`, `queue/<queue>/uncontended_pair`
    /// (ns) and `queue/<queue>/uncontended_pair_over_cas` (ratio). Returns the
    /// rows and a warning per queue whose pair failed.
    static func measure(_ c: QueueConfiguration, runner: TrialRunner) -> (rows: [Measurement], warnings: [String]) {
        var warnings: [String] = []
        let words = c.messageBytes / 8
        let message = UnsafeMutablePointer<UInt64>.allocate(capacity: words), out = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        message.initialize(repeating: 7, count: words)
        out.initialize(repeating: 0, count: words)
        defer { message.deallocate(); out.deallocate() }
        // A queue row, not a `floor` one: `ctxbench floors` owns those (the
        // report and the gate read the floors from there).
        let floorVariant = "reference:cas_floor"
        var batches = [UncontendedPair(variant: floorVariant, metric: "cas", queue: .casFloor(UncontendedCASFloor()),
                                       message: message, out: out, bytes: c.messageBytes)]
        var cleanups: [() -> Void] = []
        defer { for cleanup in cleanups { cleanup() } }
        for kind in c.queues {
            let queue: PairQueue
            switch kind {
            case .ucq:
                guard let layout = try? UCQLayout(messageBytes: c.messageBytes, pageBytes: c.ucqPageBytes),
                      let ucq = try? UnboundedConcurrentQueue(layout: layout) else { warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue }
                queue = .ucq(UCQBenchQueue(queue: ucq))
                cleanups.append { ucq.destroy() }
            case .bcq:
                guard let bcq = try? BoundedConcurrentQueue(capacity: c.ringSlots, messageBytes: c.messageBytes) else {
                    warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue
                }
                queue = .bcq(BCQBenchQueue(queue: bcq))
                cleanups.append { bcq.destroy() }
            case .ckRing, .ckFifo, .mutex:
                let code = kind.referenceCode ?? 0
                // ck_fifo never reuses an entry: one per enqueue of every batch.
                let entries = UInt64((runner.trials + runner.warmupBatches) * runner.iterations)
                guard let handle = kb_qref_create(code, UInt32(c.messageBytes), UInt32(c.ringSlots), 1, entries) else {
                    warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue
                }
                queue = .reference(handle)
                cleanups.append { kb_qref_destroy(handle) }
            }
            batches.append(UncontendedPair(variant: kind.variant, metric: "uncontended_pair", queue: queue,
                                           message: message, out: out, bytes: c.messageBytes))
        }
        // What a pair of this design cannot go below here: UCQ's three locked
        // instructions (fetch-and-add, CAS, consumed count), BCQ's two (two
        // CAS), back to back, then with the stores a pair makes between them.
        for (kind, lockedOps) in [(QueueKind.ucq, UInt32(3)), (.bcq, 2)] where c.queues.contains(kind) {
            for withStores in [false, true] {
                let variant = "reference:\(withStores ? "\(kind.rawValue)_pair_model" : "locked_ops_\(lockedOps)")"
                batches.append(UncontendedPair(variant: variant, metric: "uncontended_pair",
                                               queue: .lockedFloor(lockedOps: lockedOps, withStores: withStores),
                                               message: message, out: out, bytes: c.messageBytes))
            }
        }
        let param = "bytes=\(c.messageBytes);iterations=\(runner.iterations)"
        let measured = InterleavedTrials.run(&batches, runner: runner, param: param)
        guard let floorRow = measured.first(where: { $0.variant == floorVariant }) else { return ([], warnings) }
        var rows = [floorRow]
        for batch in batches.dropFirst() {
            if batch.failures > 0 { warnings.append("\(batch.variant): \(batch.failures) enqueues or dequeues of the uncontended pair failed") }
            guard let row = measured.first(where: { $0.variant == batch.variant }) else { continue }
            rows.append(row)
            if var ratio = Measurement.ratio(row, over: floorRow, benchmark: "queue", param: param,
                                             metric: "uncontended_pair_over_cas") {
                ratio.variant = batch.variant
                rows.append(ratio)
            }
        }
        return (rows, warnings)
    }
}
