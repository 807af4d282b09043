// Post and poke: no posted work is missed, the handler never runs twice at
// once, even when pokes race with a handler that is finishing; and the event
// queue built on it.

import Platform
import Synchronization
import Testing
import Glibc
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Post and poke", .serialized)
    struct PokeTests {
        /// Each poster posts (a counter) and pokes. When every poke has
        /// returned, the last handler run must have seen every post (a
        /// poke that found the handler running left its post to it). The handler
        /// pauses at random, so pokes land at every point of its run, the
        /// finishing window included.
        @Test("a poke racing a finishing handler never loses a post; the handler never overlaps itself",
              .timeLimit(.minutes(1)))
        func race() throws {
            let tracker = PokeTracker()
            defer { tracker.deallocate() }
            let posted = Atomic<Int>(0), handledUpTo = Atomic<Int>(0)
            let inHandler = Atomic<Int>(0), overlaps = Atomic<Int>(0), runs = Atomic<Int>(0)
            let posters = 4, posts = 20_000
            try runThreads(posters) { index in
                var noise = PauseNoise(state: UInt64(index) &+ 99)
                for _ in 0..<posts {
                    _ = posted.add(1, ordering: .sequentiallyConsistent).newValue
                    tracker.poke {
                        if inHandler.exchange(1, ordering: .acquiring) != 0 { overlaps.add(1, ordering: .relaxed) }
                        runs.add(1, ordering: .relaxed)
                        // The handler "drains" everything posted so far.
                        let seen = posted.load(ordering: .sequentiallyConsistent)
                        if seen > handledUpTo.load(ordering: .relaxed) { handledUpTo.store(seen, ordering: .relaxed) }
                        noise.maybePause()
                        inHandler.store(0, ordering: .releasing)
                    }
                }
            }
            #expect(overlaps.load(ordering: .relaxed) == 0)
            #expect(handledUpTo.load(ordering: .relaxed) == posters * posts)
            #expect(runs.load(ordering: .relaxed) <= posters * posts)
            #expect(!tracker.isRunning)
        }

        @Test("an event queue hands every event to exactly one handler run", .timeLimit(.minutes(1)))
        func eventQueue() throws {
            let queue = try EventQueue(layout: UCQLayout(messageBytes: 16, pageBytes: 256))
            defer { queue.destroy() }
            let posters = 3, perPoster = 10_000
            let book = ReceiptBook(producers: posters, perProducer: perPoster)
            let inHandler = Atomic<Int>(0), overlaps = Atomic<Int>(0), failed = Atomic<Int>(0)
            try runThreads(posters) { index in
                let event = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
                defer { event.deallocate() }
                for sequence in 0..<perPoster {
                    TestMessage.fill(event, count: 2, producer: index, sequence: sequence)
                    let ok = queue.post(event) { received in
                        if inHandler.exchange(1, ordering: .acquiring) != 0 { overlaps.add(1, ordering: .relaxed) }
                        book.record(received.assumingMemoryBound(to: UInt64.self), words: 2)
                        inHandler.store(0, ordering: .releasing)
                    }
                    if !ok { failed.add(1, ordering: .relaxed) }
                }
            }
            #expect(failed.load(ordering: .relaxed) == 0)
            #expect(overlaps.load(ordering: .relaxed) == 0)
            #expect(book.duplicates.load(ordering: .relaxed) == 0)
            #expect(book.torn.load(ordering: .relaxed) == 0)
            #expect(book.missing == 0)
            #expect(queue.mailbox.isEmpty)
        }
    }
}
