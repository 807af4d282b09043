import Platform
import BenchKit
import KernelCore
import Testing
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
        #expect(result.messages == 20_000)
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
    }
}
