// The uncontended enqueue plus dequeue on one CPU: each queue's cost with no
// other thread near it, read against the CAS floor measured in the same run.

import BenchKit
import CPlatform
import CQueueReference
import KernelCore
import Platform
import RunFormat

/// The queue under an uncontended pair: kbench's own, driven by the
/// specialized Swift loop, or a peer, driven by its C loop.
enum PairQueue {
    case ucq(UCQBenchQueue), bcq(BCQBenchQueue)
    case reference(OpaquePointer)
}

/// `iterations` times: enqueue one message, dequeue it, on one thread. The
/// queue's lines stay in this CPU's cache, so this is the instruction cost of
/// the two verbs (their atomics included), the figure the issue bounds by
/// four uncontended CAS floors. Not generic: the batch picks the loop once.
struct UncontendedPair: TrialBenchmark {
    let benchmark = "queue", metric = "uncontended_pair"
    let variant: String
    let queue: PairQueue
    let message: UnsafeMutablePointer<UInt64>, out: UnsafeMutablePointer<UInt64>
    /// Enqueues refused or dequeues that found nothing (must stay 0).
    var failures: UInt64 = 0

    mutating func runBatch(iterations: Int) -> UInt64 {
        switch queue {
        case let .ucq(q): return timeUncontendedPairs(q, message, out, iterations, &failures)
        case let .bcq(q): return timeUncontendedPairs(q, message, out, iterations, &failures)
        case let .reference(handle): return kb_qref_time_pairs(handle, message, out, UInt64(iterations), &failures)
        }
    }
}

/// The Swift pair loop, specialized per queue, in TSC ticks.
@inline(never)
func timeUncontendedPairs<Q: BenchQueue>(_ queue: Q, _ message: UnsafeMutablePointer<UInt64>,
                                         _ out: UnsafeMutablePointer<UInt64>, _ iterations: Int,
                                         _ failures: inout UInt64) -> UInt64 {
    var failed: UInt64 = 0
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        if !queue.enqueue(message, producer: 0) { failed &+= 1 }
        if !queue.dequeue(into: out) { failed &+= 1 }
    }
    let ticks = kb_rdtsc_end() &- start
    failures &+= failed
    return ticks
}

enum UncontendedPairs {
    /// On the calling (pinned) thread: the CAS floor, then each queue's pair,
    /// then each pair as a multiple of the floor (trial by trial). Rows:
    /// `queue/reference:cas_floor/cas`, `queue/<queue>/uncontended_pair` (ns) and
    /// `queue/<queue>/uncontended_pair_over_cas` (ratio). Returns the rows and
    /// a warning per queue whose pair failed.
    static func measure(_ c: QueueConfiguration, runner: TrialRunner) -> (rows: [Measurement], warnings: [String]) {
        var floor = UncontendedCASFloor()
        guard var casRow = runner.measure(&floor) else { return ([], []) }
        // A queue row, not a `floor` one: `ctxbench floors` owns those (the
        // report and the gate read the floors from there).
        casRow.benchmark = "queue"
        casRow.variant = "reference:cas_floor"
        var rows = [casRow], warnings: [String] = []
        let words = c.messageBytes / 8
        let message = UnsafeMutablePointer<UInt64>.allocate(capacity: words), out = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        message.initialize(repeating: 7, count: words)
        out.initialize(repeating: 0, count: words)
        defer { message.deallocate(); out.deallocate() }
        let param = "bytes=\(c.messageBytes);iterations=\(runner.iterations)"
        for kind in c.queues {
            func run(_ queue: PairQueue) -> (Measurement?, UInt64) {
                var pair = UncontendedPair(variant: kind.variant, queue: queue, message: message, out: out)
                let row = runner.measure(&pair, param: param)
                return (row, pair.failures)
            }
            var result: (Measurement?, UInt64) = (nil, 0)
            switch kind {
            case .ucq:
                guard let layout = try? UCQLayout(messageBytes: c.messageBytes, pageBytes: c.ucqPageBytes),
                      let queue = try? UnboundedConcurrentQueue(layout: layout) else { warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue }
                result = run(.ucq(UCQBenchQueue(queue: queue)))
                queue.destroy()
            case .bcq:
                guard let queue = try? BoundedConcurrentQueue(capacity: c.ringSlots, messageBytes: c.messageBytes) else {
                    warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue
                }
                result = run(.bcq(BCQBenchQueue(queue: queue)))
                queue.destroy()
            case .ckRing, .ckFifo, .mutex:
                let code = kind.referenceCode ?? 0
                // ck_fifo never reuses an entry: one per enqueue of every batch.
                let entries = UInt64((runner.trials + runner.warmupBatches) * runner.iterations)
                guard let handle = kb_qref_create(code, UInt32(c.messageBytes), UInt32(c.ringSlots), 1, entries) else {
                    warnings.append("\(kind.rawValue): no queue for the uncontended pair"); continue
                }
                result = run(.reference(handle))
                kb_qref_destroy(handle)
            }
            guard let row = result.0 else { continue }
            if result.1 > 0 { warnings.append("\(kind.rawValue): \(result.1) enqueues or dequeues of the uncontended pair failed") }
            rows.append(row)
            if var ratio = Measurement.ratio(row, over: casRow, benchmark: "queue", param: param,
                                             metric: "uncontended_pair_over_cas") {
                ratio.variant = kind.variant
                rows.append(ratio)
            }
        }
        return (rows, warnings)
    }
}
