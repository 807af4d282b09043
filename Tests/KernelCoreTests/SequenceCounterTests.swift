// SequenceCounter: odd while writing, readers retry across a write, and a
// reader racing a writer never returns a torn snapshot.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Sequence counter", .serialized)
    struct SequenceCounterTests {
        @Test("odd while a write is in flight, even after; two steps per write")
        func parity() {
            let counter = CacheLineBox(SequenceCounter())
            defer { counter.deallocate() }
            // (Values in locals: #expect cannot take a ~Copyable receiver apart.)
            let initial = counter.pointee.value
            counter.pointee.beginWrite()
            let writing = counter.pointee.value
            counter.pointee.endWrite()
            let done = counter.pointee.value
            #expect(initial == 0 && writing == 1 && done == 2)
            #expect(SequenceCounter.isWriting(writing) && !SequenceCounter.isWriting(done))
        }

        @Test("a read retries if a write began or ended since it started, not otherwise")
        func retry() {
            let counter = CacheLineBox(SequenceCounter())
            defer { counter.deallocate() }
            let start = counter.pointee.readBegin()
            let retryUnchanged = counter.pointee.retry(start)
            counter.pointee.beginWrite()
            let retryWriting = counter.pointee.retry(start)
            counter.pointee.endWrite()
            let retryWritten = counter.pointee.retry(start)
            let again = counter.pointee.readBegin()
            let retryAgain = counter.pointee.retry(again)
            #expect(!retryUnchanged, "no write: no retry")
            #expect(retryWriting, "a write in flight must force a retry")
            #expect(retryWritten, "a finished write must force a retry")
            #expect(again == start + 2 && !retryAgain)
        }

        @Test("readBegin waits for the write in flight", .timeLimit(.minutes(1)))
        func readBeginWaits() throws {
            let counter = CacheLineBox(SequenceCounter())
            defer { counter.deallocate() }
            let seen = Counters(2)   // 0: reader started, 1: value readBegin returned + 1
            counter.pointee.beginWrite()
            let reader = try PinnedThread.start(cpu: nil) {
                seen.increment(0)
                let value = counter.pointee.readBegin()
                seen.slot(1).pointee.store(UInt64(value) + 1, ordering: .releasing)
            }
            #expect(waitUntil { seen[0] == 1 })
            pause(.milliseconds(20))
            #expect(seen[1] == 0, "readBegin returned while a write was in flight")
            counter.pointee.endWrite()
            #expect(waitUntil { seen[1] != 0 })
            reader.join()
            #expect(seen[1] == 3, "readBegin returned \(seen[1] - 1), not the even value 2")
        }

        /// The writer keeps two words equal, changing both under the counter;
        /// readers must never see them differ.
        @Test("readers never see a torn snapshot", .timeLimit(.minutes(1)))
        func noTornReads() throws {
            struct Data: ~Copyable {
                let counter = SequenceCounter()
                let a = Atomic<UInt64>(0)
                let b = Atomic<UInt64>(0)
            }
            let data = CacheLineBox(Data())
            defer { data.deallocate() }
            let stop = Counters(1)
            let results = Counters(3)   // 0: torn reads, 1: reads, 2: retries
            let writes: UInt64 = 200_000
            let reader = try PinnedThread.start(cpu: Int(testCPUs[testCPUs.count - 1])) {
                while stop[0] == 0 {
                    var attempts: UInt64 = 0
                    let (a, b) = data.pointee.counter.read {
                        attempts += 1
                        return (data.pointee.a.load(ordering: .relaxed), data.pointee.b.load(ordering: .relaxed))
                    }
                    if a != b { results.increment(0) }
                    results.increment(1)
                    results.slot(2).pointee.wrappingAdd(attempts - 1, ordering: .relaxed)
                }
            }
            let writer = try PinnedThread.start(cpu: Int(testCPUs[0])) {
                for value in 1...writes {
                    data.pointee.counter.beginWrite()
                    data.pointee.a.store(value, ordering: .relaxed)
                    for _ in 0..<4 { kb_pause() }
                    data.pointee.b.store(value, ordering: .relaxed)
                    data.pointee.counter.endWrite()
                }
            }
            writer.join()
            stop.increment(0)
            reader.join()
            #expect(results[0] == 0, "\(results[0]) torn reads of \(results[1])")
            #expect(results[1] > 0)
            let final = data.pointee.counter.value
            #expect(final == UInt32(truncatingIfNeeded: 2 * writes))
        }
    }
}
