import Platform
import BenchKit
import KernelCore
import Testing
import Glibc
@testable import CtxBenchKit

/// `ctxbench queue`'s rounds: every queue delivers every message exactly once
/// (checked by the ledgers), the ledgers catch what they must, and bad
/// configurations name the option.
@Suite(.serialized, .timeLimit(.minutes(1))) struct QueueSessionTests {
    let clock = TSCClock.calibrate(intervalNs: 50_000_000)

    func configuration(_ kind: QueueKind, producers: Int = 2, consumers: Int = 1, burst: Int = 0,
                       pageBytes: Int = 256) throws -> QueueConfiguration {
        let cpus = try Affinity.allowedCPUs().cpus
        return QueueConfiguration(queues: [kind], producers: producers, consumers: consumers, messages: 20_000,
                                  messageBytes: 32, burst: burst, ringSlots: 64, ucqPageBytes: pageBytes, rounds: 1,
                                  producerCPUs: [cpus[0]], consumerCPUs: [cpus.count > 1 ? cpus[1] : cpus[0]])
    }

    @Test("every queue delivers every message once, in order per producer with one consumer",
          arguments: QueueKind.allCases)
    func exactlyOnce(kind: QueueKind) throws {
        let result = try QueueRound.run(kind, configuration(kind), scheduling: .inherit, clock: clock)
        // ck_ring MPMC with both producers on one CPU may collapse (a producer
        // preempted between claim and publish): then the round stops at its
        // budget, and what it delivered was still checked exactly once.
        #expect(result.messages == 20_000 || (kind == .ckRing && result.collapsed), "\(result.messages) delivered")
        #expect(result.elapsedTicks > 0)
        #expect(!result.latencyTicks.isEmpty)
    }

    @Test("spikes grow the UCQ by pages, and draining returns it to the two-page floor")
    func burstGrowsAndShrinks() throws {
        let c = try configuration(.ucq, producers: 2, consumers: 2, burst: 5_000)
        let result = try QueueRound.run(.ucq, c, scheduling: .inherit, clock: clock)
        #expect(result.messages == 20_000)
        #expect(result.pagesMapped > 0)
        #expect(result.pagesUnmapped == result.pagesMapped)
        #expect(result.finalBytes == 2 * SharedMemory.pageBytes)
        #expect(result.peakBytes > result.finalBytes)
    }

    @Test("the ledgers catch a duplicate, a lost message and a consumer's own finding")
    func ledgersCatchViolations() {
        let a = QueueLedger(producers: 2, perProducer: 70, total: 140)
        let b = QueueLedger(producers: 2, perProducer: 70, total: 140)
        func mark(_ ledger: QueueLedger, _ producer: Int, _ sequence: Int) {
            ledger.bits[producer * ledger.wordsPerProducer + sequence >> 6] |= 1 << UInt64(sequence & 63)
        }
        for producer in 0..<2 { for sequence in 0..<70 { mark(sequence % 2 == 0 ? a : b, producer, sequence) } }
        #expect(QueueLedger.firstViolation([a, b]) == nil)
        mark(b, 1, 68)   // a also has it
        #expect(QueueLedger.firstViolation([a, b]) == QueueViolation(kind: .duplicate, producer: 1, sequence: 68))
        let c = QueueLedger(producers: 1, perProducer: 70, total: 70)
        for sequence in 0..<70 where sequence != 65 { mark(c, 0, sequence) }
        #expect(QueueLedger.firstViolation([c]) == QueueViolation(kind: .lost, producer: 0, sequence: 65))
        c.state.violation = QueueViolation(kind: .torn, producer: 0, sequence: 3)
        #expect(QueueLedger.firstViolation([c])?.kind == .torn)
        #expect(QueueViolation(kind: .lost, producer: 2, sequence: 4711).description
                == "producer 2 sequence 4711 was never received")
    }

    @Test("bad configurations name the option and what is wrong")
    func badConfiguration() throws {
        var c = try configuration(.ucq)
        #expect(c.problem() == nil)
        c.producers = 0
        #expect(c.problem()?.option == "--producers")
        c = try configuration(.ucq); c.consumers = 1_000_000
        #expect(c.problem()?.option == "--consumers")
        c = try configuration(.ucq); c.messageBytes = 512; c.ucqPageBytes = 256
        #expect(c.problem()?.option == "--ucq-page-bytes")
        #expect(c.problem()?.reason.contains("does not fit in a slot") == true)
        c = try configuration(.bcq); c.messageBytes = 8
        #expect(c.problem()?.option == "--message-bytes")
        c = try configuration(.bcq); c.messageBytes = 20
        #expect(c.problem()?.option == "--message-bytes")
        c = try configuration(.bcq); c.messages = -1
        #expect(c.problem()?.option == "--messages")
        c = try configuration(.bcq); c.messages = Int.max
        #expect(c.problem()?.option == "--messages")
        c = try configuration(.bcq); c.burst = -5
        #expect(c.problem()?.option == "--burst")
        c = try configuration(.bcq); c.ringSlots = 1000
        #expect(c.problem()?.option == "--ring-slots")
        c = try configuration(.bcq); c.queues = []
        #expect(c.problem()?.option == "--queue")
        c = try configuration(.bcq); c.rounds = 0
        #expect(c.problem()?.option == "--rounds")
        for budget in [0, -1, .nan, .infinity, 1e300] {
            c = try configuration(.bcq); c.roundBudgetSeconds = budget
            #expect(c.problem()?.option == "--round-budget-s")
        }
        c = try configuration(.bcq); c.pairTrials = -1
        #expect(c.problem()?.option == "--pair-trials")
        c = try configuration(.bcq); c.pairTrials = 1_000_000
        #expect(c.problem()?.option == "--pair-trials")
    }

    /// A peer forced to collapse: producer 0 stalls between claiming a UCQ
    /// slot and publishing it, so the consumer waits behind it (as ck_ring
    /// MPMC's does behind a preempted producer). The round must stop at its
    /// budget, with every thread joined, and become a collapsed result with
    /// what it delivered, exactly once.
    @Test("a round past its budget is stopped cleanly and recorded as collapsed, exactly-once still checked")
    func collapsedRoundIsARow() throws {
        var c = try configuration(.ucq, producers: 2, consumers: 1)
        c.roundBudgetSeconds = 0.3
        let queue = try UnboundedConcurrentQueue(layout: UCQLayout(messageBytes: c.messageBytes, pageBytes: 4096))
        defer { queue.destroy() }
        let stalling = StallingQueue(queue: queue, stallEvery: 50, duplicate: nil)
        let start = monotonicNanos()
        let result = try QueueRound.drive(stalling, .ucq, c, .inherit, clock, 20)
        #expect(result.collapsed)
        #expect(result.messages > 0 && result.messages < c.total, "delivered \(result.messages) of \(c.total)")
        #expect(monotonicNanos() - start < 20_000_000_000, "the stop did not wait for the whole round")

        let rows = QueueSession.measurements(.ucq, [result], c, clock: clock, collapsed: true)
        #expect(rows.allSatisfy { $0.param.hasSuffix(";collapsed") })
        #expect(rows.first { $0.metric == "delivered" }?.statistics.p50 == Double(result.messages))
    }

    @Test("a collapsed round that delivered a message twice still fails exactly-once")
    func collapsedRoundStillChecked() throws {
        var c = try configuration(.ucq, producers: 2, consumers: 1)
        c.roundBudgetSeconds = 0.3
        let queue = try UnboundedConcurrentQueue(layout: UCQLayout(messageBytes: c.messageBytes, pageBytes: 4096))
        defer { queue.destroy() }
        let stalling = StallingQueue(queue: queue, stallEvery: 50, duplicate: 3)
        #expect(throws: QueueViolation(kind: .duplicate, producer: 1, sequence: 3)) {
            _ = try QueueRound.drive(stalling, .ucq, c, .inherit, clock, 20)
        }
    }

    @Test("the uncontended enqueue plus dequeue of every queue, and its ratio to the CAS floor measured beside it")
    func uncontendedPairs() throws {
        var c = try configuration(.ucq)
        c.queues = QueueKind.allCases
        let runner = TrialRunner(clock: clock, overheadTicks: 0, trials: 3, iterations: 1_000, warmupBatches: 1)
        let (rows, warnings) = UncontendedPairs.measure(c, runner: runner)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(rows.first?.variant == "reference:cas_floor" && rows.first?.metric == "cas")
        for kind in QueueKind.allCases {
            let pair = rows.first { $0.variant == kind.variant && $0.metric == "uncontended_pair" }
            let ratio = rows.first { $0.variant == kind.variant && $0.metric == "uncontended_pair_over_cas" }
            #expect(pair != nil && ratio != nil, "\(kind)")
            #expect((ratio?.statistics.p50 ?? 0) > 0)
        }
        // The design's floors, interleaved with the rest: every trial paired with one of the CAS floor's.
        let floorTrials = rows.first?.trials.count ?? 0
        for variant in ["reference:locked_ops_3", "reference:ucq_pair_model", "reference:locked_ops_2", "reference:bcq_pair_model"] {
            let ratio = rows.first { $0.variant == variant && $0.metric == "uncontended_pair_over_cas" }
            #expect((ratio?.statistics.p50 ?? 0) > 0, "\(variant)")
            #expect(ratio?.trials.count == floorTrials, "\(variant)")
        }
        #expect(floorTrials == runner.trials)
    }
}

/// A UCQ whose producer 0 stalls (sleeps 20 ms) between claiming a slot and
/// publishing it every `stallEvery` messages, and, given `duplicate`,
/// producer 1 enqueues that sequence twice. Test-only: the collapse of a peer
/// on demand.
struct StallingQueue: BenchQueue {
    let queue: UnboundedConcurrentQueue
    let stallEvery: UInt64
    let duplicate: UInt64?

    func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool {
        let sequence = message.load(as: UInt64.self) & 0xFFFF_FFFF_FFFF
        guard let slot = queue.claim() else { return false }
        slot.message.copyMemory(from: message, byteCount: queue.layout.messageBytes)
        if producer == 0 && sequence % stallEvery == stallEvery - 1 { usleep(20_000) }
        queue.publish(slot)
        if producer == 1, let duplicate, sequence == duplicate { return queue.produce(message) }
        return true
    }
    func dequeue(into out: UnsafeMutableRawPointer) -> Bool { queue.consume(into: out) }
}
