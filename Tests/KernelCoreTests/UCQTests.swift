// UCQ: exactly-once under contention, growth and the two-page floor,
// half-written messages, the prod_idx overflow guard, bad configuration.

import Platform
import Synchronization
import Testing
import Glibc
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("UCQ", .serialized)
    struct UCQTests {
        static let words = 4   // 32-byte messages

        @Test("every message exactly once, many producers and consumers, bursts and random pauses",
              .timeLimit(.minutes(1)), arguments: [256, 4096])
        func exactlyOnce(pageBytes: Int) throws {
            let queue = try UnboundedConcurrentQueue(layout: UCQLayout(messageBytes: Self.words * 8, pageBytes: pageBytes))
            defer { queue.destroy() }
            let producers = 3, consumers = 3, perProducer = 20_000
            let book = ReceiptBook(producers: producers, perProducer: perProducer)
            let done = Atomic<Int>(0)
            let failed = Atomic<Int>(0)
            try runThreads(producers + consumers) { index in
                var noise = PauseNoise(state: UInt64(index) &+ 1)
                let message = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.words)
                defer { message.deallocate() }
                if index < producers {
                    var sequence = 0
                    while sequence < perProducer {
                        // Bursts: 2000 messages at full speed, then a pause.
                        let end = min(perProducer, sequence + 2000)
                        while sequence < end {
                            TestMessage.fill(message, count: Self.words, producer: index, sequence: sequence)
                            if !queue.produce(message) { failed.add(1, ordering: .relaxed) }
                            sequence += 1
                            noise.maybePause()
                        }
                        usleep(200)
                    }
                    done.add(1, ordering: .releasing)
                } else {
                    while true {
                        let finished = done.load(ordering: .acquiring) == producers
                        if queue.consume(into: message) {
                            book.record(message, words: Self.words)
                            noise.maybePause()
                        } else if finished {
                            break
                        }
                    }
                }
            }
            #expect(failed.load(ordering: .relaxed) == 0)
            #expect(book.duplicates.load(ordering: .relaxed) == 0)
            #expect(book.torn.load(ordering: .relaxed) == 0)
            #expect(book.unknown.load(ordering: .relaxed) == 0)
            #expect(book.missing == 0)
            #expect(queue.isEmpty)
        }

        @Test("grows by pages under a spike and returns to the two-page floor when drained")
        func growthAndFloor() throws {
            let layout = try UCQLayout(messageBytes: 24, pageBytes: 4096)
            #expect(layout.messagesPerPage == 127)   // the thesis' packing
            let queue = try UnboundedConcurrentQueue(layout: layout)
            defer { queue.destroy() }
            #expect(queue.pages == 2)
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 3)
            defer { message.deallocate() }
            let count = layout.messagesPerPage * 20 + 5
            for sequence in 0..<count {
                TestMessage.fill(message, count: 3, producer: 0, sequence: sequence)
                #expect(queue.produce(message))
            }
            let grown = queue.statistics
            #expect(grown.currentPages == 21)          // 21 pages of messages, no spare left
            #expect(grown.pagesMapped == 19)           // the spare covered one page
            #expect(grown.peakPages == 21)
            for sequence in 0..<count {
                #expect(queue.consume(into: message))
                #expect(TestMessage.check(message, count: 3).map { $0.1 } == sequence)
            }
            #expect(!queue.consume(into: message))
            let drained = queue.statistics
            #expect(drained.currentPages == 2)
            #expect(drained.pagesUnmapped == drained.pagesMapped)
            // Steady traffic after the spike: no further mmap or munmap.
            for _ in 0..<(layout.messagesPerPage * 5) {
                #expect(queue.produce(message))
                #expect(queue.consume(into: message))
            }
            #expect(queue.statistics.pagesMapped == drained.pagesMapped)
            #expect(queue.pages == 2)
        }

        /// `consume`'s straight path claims only a good slot with a message
        /// behind it; the rest goes out of line. Here the consumers' index
        /// sits at its page's end with nothing queued (the case the straight
        /// path hands over first): an empty answer, no page moved, and the
        /// next message, which the producer puts on the next page, arrives.
        @Test("at a page's end with nothing queued, consume says empty and then follows the producer to the next page")
        func emptyAtPageEnd() throws {
            let layout = try UCQLayout(messageBytes: 24, pageBytes: 256)   // 7 messages a page
            let queue = try UnboundedConcurrentQueue(layout: layout)
            defer { queue.destroy() }
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 3)
            defer { message.deallocate() }
            for round in 0..<3 {
                for sequence in 0..<layout.messagesPerPage {
                    TestMessage.fill(message, count: 3, producer: round, sequence: sequence)
                    #expect(queue.produce(message))
                }
                for sequence in 0..<layout.messagesPerPage {
                    #expect(queue.consume(into: message))
                    #expect(TestMessage.check(message, count: 3).map { $0.1 } == sequence)
                }
                let atEnd = queue.consumerIndex.pointee.load(ordering: .relaxed)
                #expect(!layout.slotIsGood(atEnd))                 // past the page's last message
                #expect(!queue.consume(into: message))
                #expect(!queue.consume(into: message))
                #expect(queue.consumerIndex.pointee.load(ordering: .relaxed) == atEnd)
                TestMessage.fill(message, count: 3, producer: round, sequence: 99)
                #expect(queue.produce(message))
                message.update(repeating: 0, count: 3)
                #expect(queue.consume(into: message))
                #expect(TestMessage.check(message, count: 3).map { $0.1 } == 99)
                #expect(layout.page(of: queue.consumerIndex.pointee.load(ordering: .relaxed)) != layout.page(of: atEnd))
                #expect(!queue.consume(into: message))
                // Back to the start of a page: the rest of this one, then the next round.
                for _ in 1..<layout.messagesPerPage {
                    #expect(queue.produce(message))
                    #expect(queue.consume(into: message))
                }
            }
            #expect(queue.pages == 2)
            #expect(queue.statistics.pagesMapped == 0)
        }

        @Test("a consumer never returns a half-written message: the producer stalls between claim and fill",
              .timeLimit(.minutes(1)))
        func halfWritten() throws {
            let words = 16
            let layout = try UCQLayout(messageBytes: words * 8, pageBytes: 256)   // 1 message per page
            let queue = try UnboundedConcurrentQueue(layout: layout)
            defer { queue.destroy() }
            let rounds = 6
            let received = Atomic<Int>(0), torn = Atomic<Int>(0), early = Atomic<Int>(0)
            let published = Atomic<Int>(0)
            try runThreads(2) { index in
                let message = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
                defer { message.deallocate() }
                if index == 0 {
                    for sequence in 0..<rounds {
                        TestMessage.fill(message, count: words, producer: 0, sequence: sequence)
                        guard let slot = queue.claim() else { return }
                        let target = slot.message.assumingMemoryBound(to: UInt64.self)
                        for w in 0..<(words / 2) { target[w] = message[w] }   // half...
                        usleep(20_000)                                         // ...stall...
                        for w in (words / 2)..<words { target[w] = message[w] }
                        published.store(sequence + 1, ordering: .releasing)
                        queue.publish(slot)
                    }
                } else {
                    while received.load(ordering: .relaxed) < rounds {
                        guard queue.consume(into: message) else { continue }
                        // Received before its producer finished writing it?
                        if published.load(ordering: .acquiring) <= received.load(ordering: .relaxed) {
                            early.add(1, ordering: .relaxed)
                        }
                        if TestMessage.check(message, count: words)?.1 != received.load(ordering: .relaxed) {
                            torn.add(1, ordering: .relaxed)
                        }
                        received.add(1, ordering: .relaxed)
                    }
                }
            }
            #expect(received.load(ordering: .relaxed) == rounds)
            #expect(torn.load(ordering: .relaxed) == 0)
            #expect(early.load(ordering: .relaxed) == 0)
        }

        /// prod_idx set to the page's last number, as a delayed fixer and
        /// enough racing producers would leave it (or a scribbling consumer):
        /// one more add would make it look like slot 0 of the memory right
        /// after the page. The first producer to get a bad slot raises the
        /// overflow flag and waits for the hashlock (held here: the fixer is
        /// delayed); a second producer must then not add, or it would get that
        /// "good" slot outside the queue.
        @Test("the overflow flag keeps prod_idx from wrapping into the next page", .timeLimit(.minutes(1)))
        func prodIdxOverflow() throws {
            let layout = try UCQLayout(messageBytes: 16, pageBytes: 128)   // 4 messages, numbers 0...127
            let queue = try UnboundedConcurrentQueue(layout: layout)
            defer { queue.destroy() }
            let page = layout.page(of: queue.producerIndex.pointee.load(ordering: .relaxed))
            // Fill and drain the page first, so consumers wait for no message we skip.
            let filler = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { filler.deallocate() }
            TestMessage.fill(filler, count: 2, producer: 9, sequence: 0)
            for _ in 0..<layout.messagesPerPage { #expect(queue.produce(filler)) }
            for _ in 0..<layout.messagesPerPage { #expect(queue.consume(into: filler)) }
            let wrapped = page + UInt64(layout.pageBytes)          // what one more add yields
            #expect(layout.slotIsGood(wrapped))                    // ...and it looks good
            // The memory a wrapped producer would write: right after the page, inside our mapping.
            let outside = UnsafeMutableRawPointer(bitPattern: UInt(wrapped))!
            outside.initializeMemory(as: UInt8.self, repeating: 0xA5, count: layout.pageBytes)
            queue.producerIndex.pointee.store(page + UInt64(layout.pageBytes - 1), ordering: .relaxed)
            queue.hashlockTable.lock(queue.hashlockKey)            // the delayed fixer
            let firstWaiting = Atomic<Bool>(false), secondStarted = Atomic<Bool>(false)
            let results = Atomic<Int>(0)
            let threads = try (0..<2).map { index in
                try PinnedThread.start(cpu: nil) {
                    let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
                    defer { message.deallocate() }
                    TestMessage.fill(message, count: 2, producer: index, sequence: 0)
                    if index == 1 {
                        while !firstWaiting.load(ordering: .acquiring) { usleep(100) }
                        secondStarted.store(true, ordering: .releasing)
                    }
                    if queue.produce(message) { results.add(1, ordering: .relaxed) }
                }
            }
            // The first producer took the bad slot and raised the flag.
            var waited = 0
            while queue.producerOverflow.pointee.load(ordering: .acquiring) == 0 && waited < 5000 { usleep(1000); waited += 1 }
            #expect(queue.producerOverflow.pointee.load(ordering: .acquiring) == 1)
            #expect(queue.producerIndex.pointee.load(ordering: .relaxed) == wrapped)
            firstWaiting.store(true, ordering: .releasing)
            while !secondStarted.load(ordering: .acquiring) { usleep(100) }
            usleep(50_000)   // the second producer is at the lock by now
            // It did not add: prod_idx still holds the wrapped value nobody took.
            #expect(queue.producerIndex.pointee.load(ordering: .relaxed) == wrapped)
            queue.hashlockTable.unlock(queue.hashlockKey)
            for thread in threads { thread.join() }
            #expect(results.load(ordering: .relaxed) == 2)
            #expect(queue.producerOverflow.pointee.load(ordering: .relaxed) == 0)
            // Nothing was written outside the page, and both messages arrive intact.
            let bytes = UnsafeRawBufferPointer(start: outside, count: layout.pageBytes)
            #expect(bytes.allSatisfy { $0 == 0xA5 })
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { message.deallocate() }
            var producers: Set<Int> = []
            while queue.consume(into: message) {
                if let (producer, _) = TestMessage.check(message, count: 2) { producers.insert(producer) }
            }
            #expect(producers == [0, 1])
        }

        @Test("an index scribbled onto a foreign page is repaired from the producers' own record, never written")
        func corruptProducerIndex() throws {
            let layout = try UCQLayout(messageBytes: 16, pageBytes: 128)
            let queue = try UnboundedConcurrentQueue(layout: layout)
            defer { queue.destroy() }
            let page = layout.page(of: queue.producerIndex.pointee.load(ordering: .relaxed))
            let foreign = UnsafeMutableRawPointer(bitPattern: UInt(page + 128))!
            foreign.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 128)
            // A bad slot on a foreign page (the next 128 bytes of our mapping).
            queue.producerIndex.pointee.store(page + 128 + UInt64(layout.messagesPerPage), ordering: .relaxed)
            let message = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
            defer { message.deallocate() }
            TestMessage.fill(message, count: 2, producer: 0, sequence: 0)
            #expect(queue.produce(message))
            #expect(queue.statistics.invalidStates == 1)
            #expect(UnsafeRawBufferPointer(start: foreign, count: 128).allSatisfy { $0 == 0x5A })
        }

        @Test("bad configurations are rejected with what is wrong")
        func badConfiguration() {
            #expect(throws: QueueError.messageTooLarge(bytes: 256, slotBytes: 88)) {
                try UCQLayout(messageBytes: 256, pageBytes: 128)
            }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: 16, pageBytes: 3000) }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: 16, pageBytes: 64) }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: 0) }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: 12) }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: -8) }
            #expect(throws: QueueError.self) { try UCQLayout(messageBytes: 16, pageBytes: 1 << 40) }
            #expect(throws: QueueError.self) { try BoundedConcurrentQueue(capacity: 3, messageBytes: 16) }
            #expect(throws: QueueError.self) { try BoundedConcurrentQueue(capacity: 0, messageBytes: 16) }
            #expect(throws: QueueError.self) { try BoundedConcurrentQueue(capacity: 1 << 30, messageBytes: 16) }
            #expect(throws: QueueError.messageTooLarge(bytes: 8192, slotBytes: 4096)) {
                try BoundedConcurrentQueue(capacity: 4, messageBytes: 8192)
            }
            let description = QueueError.messageTooLarge(bytes: 256, slotBytes: 88).description
            #expect(description.contains("256") && description.contains("88"))
        }
    }
}
