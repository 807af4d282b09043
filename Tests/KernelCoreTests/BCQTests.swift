// BCQ: a full queue is reported, a corrupt consumer index never makes a
// producer write out of bounds, exactly-once under contention.

import Platform
import Synchronization
import Testing
import Glibc
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("BCQ", .serialized)
    struct BCQTests {
        @Test("a full queue is an overflow reported to the producer, not a lost message")
        func fullIsReported() throws {
            let queue = try BoundedConcurrentQueue(capacity: 4, messageBytes: 16)
            defer { queue.destroy() }
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { message.deallocate() }
            for sequence in 0..<4 {
                TestMessage.fill(message, count: 2, producer: 0, sequence: sequence)
                #expect(queue.enqueue(message) == .enqueued)
            }
            #expect(queue.enqueue(message) == .full)
            #expect(queue.dequeue(into: message))
            #expect(TestMessage.check(message, count: 2)?.1 == 0)
            TestMessage.fill(message, count: 2, producer: 0, sequence: 4)
            #expect(queue.enqueue(message) == .enqueued)
            for sequence in 1...4 {
                #expect(queue.dequeue(into: message))
                #expect(TestMessage.check(message, count: 2)?.1 == sequence)
            }
            #expect(!queue.dequeue(into: message))
        }

        /// Guard pages bracket the slots: a producer write outside them would
        /// kill the test process. Every value of the consumers' indexes, from
        /// the plausible to the absurd, may only make produces fail.
        @Test("a corrupted consumer index never makes a producer write out of bounds")
        func corruptedConsumerIndex() throws {
            let queue = try BoundedConcurrentQueue(capacity: 8, messageBytes: 16)
            defer { queue.destroy() }
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { message.deallocate() }
            var noise = PauseNoise(state: 12)
            var enqueued = 0, full = 0
            let hostile: [UInt32] = [0, 1, 7, 8, 9, UInt32.max, UInt32.max - 7, 1 << 31, 0xDEAD_BEEF]
            for round in 0..<2000 {
                let prod = queue.producerIndex.pointee.load(ordering: .relaxed)
                let value = round < hostile.count ? hostile[round] : prod &+ UInt32(truncatingIfNeeded: noise.next() % 64) &- 32
                queue.consumerPublicIndex.pointee.store(value, ordering: .relaxed)
                queue.consumerPrivateIndex.pointee.store(UInt32(truncatingIfNeeded: noise.next()), ordering: .relaxed)
                TestMessage.fill(message, count: 2, producer: 0, sequence: round)
                switch queue.enqueue(message, maxAttempts: 4) {
                case .enqueued: enqueued += 1
                case .full: full += 1
                case .contended: Issue.record("no other producer: the CAS cannot lose")
                }
                // Whatever it did, the producer index moved by at most one.
                let after = queue.producerIndex.pointee.load(ordering: .relaxed)
                #expect(after == prod || after == prod &+ 1)
                // Only "room" lets it through: prod - consumed < capacity.
                #expect((after == prod &+ 1) == (prod &- value < 8))
            }
            #expect(enqueued > 0 && full > 0)
        }

        /// Consumers polling a queue that is nearly always empty, while one
        /// thread produces and consumes through it, more threads than CPUs so
        /// pollers are preempted anywhere, including between their two index
        /// loads. A poller that read the producers' index before its own
        /// could compare a stale one with an index others had moved past and
        /// claim a slot no producer had taken (then wait on it for as long as
        /// nobody produced: this hung the exactly-once test under load). So:
        /// the consumers' claim index never passes the producers' index, and
        /// when the producing thread stops, every poller returns.
        @Test("a consumer never claims past the producers' index, however it is preempted", .timeLimit(.minutes(1)))
        func neverClaimsPastProducers() throws {
            let queue = try BoundedConcurrentQueue(capacity: 8, messageBytes: 16)
            defer { queue.destroy() }
            let pollers = 4
            let stop = Atomic<Bool>(false), pollersDone = Atomic<Int>(0), overclaims = Atomic<Int>(0)
            let deadline = ContinuousClock.now + .milliseconds(400)
            try runThreads(pollers + 2) { index in
                let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
                defer { message.deallocate() }
                TestMessage.fill(message, count: 2, producer: 0, sequence: index)
                switch index {
                case 0:   // produce one, take it back, as long as the test runs
                    while ContinuousClock.now < deadline {
                        for _ in 0..<64 {
                            while queue.enqueue(message) != .enqueued { kb_spin() }
                            _ = queue.dequeue(into: message)
                        }
                    }
                    stop.store(true, ordering: .releasing)
                    // Pollers stuck on a slot nobody took would wait forever:
                    // produce until every one has returned (counted above).
                    while pollersDone.load(ordering: .acquiring) < pollers {
                        if queue.enqueue(message) == .enqueued { _ = queue.dequeue(into: message) }
                        usleep(1000)
                    }
                case 1:   // the claim index against the producers', ours read first
                    while !stop.load(ordering: .acquiring) {
                        let claimed = queue.consumerPrivateIndex.pointee.load(ordering: .acquiring)
                        let prod = queue.producerIndex.pointee.load(ordering: .acquiring)
                        if prod &- claimed > UInt32(1 << 31) { overclaims.add(1, ordering: .relaxed) }
                    }
                default:
                    while !stop.load(ordering: .acquiring) { _ = queue.dequeue(into: message) }
                    pollersDone.add(1, ordering: .releasing)
                }
            }
            #expect(overclaims.load(ordering: .relaxed) == 0)
            let claimed = queue.consumerPrivateIndex.pointee.load(ordering: .relaxed)
            #expect(queue.producerIndex.pointee.load(ordering: .relaxed) &- claimed < UInt32(1 << 31))
        }

        @Test("every message exactly once, many producers and consumers", .timeLimit(.minutes(1)))
        func exactlyOnce() throws {
            let queue = try BoundedConcurrentQueue(capacity: 64, messageBytes: 32)
            defer { queue.destroy() }
            let producers = 3, consumers = 2, perProducer = 5_000
            let book = ReceiptBook(producers: producers, perProducer: perProducer)
            let done = Atomic<Int>(0)
            try runThreads(producers + consumers) { index in
                var noise = PauseNoise(state: UInt64(index) &+ 7)
                let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 4)
                defer { message.deallocate() }
                if index < producers {
                    for sequence in 0..<perProducer {
                        TestMessage.fill(message, count: 4, producer: index, sequence: sequence)
                        while queue.enqueue(message) != .enqueued { kb_spin() }
                        noise.maybePause()
                    }
                    done.add(1, ordering: .releasing)
                } else {
                    while true {
                        let finished = done.load(ordering: .acquiring) == producers
                        if queue.dequeue(into: message) {
                            book.record(message, words: 4)
                        } else if finished {
                            break
                        }
                    }
                }
            }
            #expect(book.duplicates.load(ordering: .relaxed) == 0)
            #expect(book.torn.load(ordering: .relaxed) == 0)
            #expect(book.missing == 0)
        }
    }
}
