// Event logs: exact counts; nothing lost when the log is sized for the
// back-log, every overrun reported when it is not; a reader racing the
// producer never returns a torn record.

import CPlatform
import Platform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Event logging", .serialized)
    struct EventLogTests {
        @Test("same domain records nothing; domain 0 is never recorded; counts exact")
        func domains() {
            let log = EventLog(domains: 4, cpuSlots: 1, backlog: 8, recordWords: 4)
            defer { log.deallocate() }
            log.configure(2, .records(words: 4))
            log.configure(0, .records(words: 4))
            for _ in 0..<5 { log.event(from: 2, to: 2, cpu: 0, parameter: 7) }
            for _ in 0..<3 { log.event(from: 1, to: 0, cpu: 0, parameter: 7) }
            for _ in 0..<4 { log.event(from: 2, to: 3, cpu: 0, parameter: 7) }   // domain 3 is off
            #expect(log.count(2, cpu: 0) == 0 && log.count(0, cpu: 0) == 0 && log.count(3, cpu: 0) == 0)
            #expect(log.buffer(cpu: 0).appended == 0)
            for _ in 0..<6 { log.event(from: 1, to: 2, cpu: 0, parameter: 9) }
            #expect(log.count(2, cpu: 0) == 6)
            var reader = EventLogReader(log: log)
            let batch = reader.read(cpu: 0)
            #expect(batch.count == 6 && batch.lost == 0)
            #expect(Array(batch.record(5)) == [6, 1 << 16 | 2, 9, 5])
        }

        @Test("accounting only counts and logs nothing")
        func countOnly() {
            let log = EventLog(domains: 2, cpuSlots: 1, backlog: 4, recordWords: 1)
            defer { log.deallocate() }
            log.configure(1, .countOnly)
            for _ in 0..<10 { log.event(from: 0, to: 1, cpu: 0, parameter: 0) }
            #expect(log.count(1, cpu: 0) == 10 && log.buffer(cpu: 0).appended == 0)
        }

        /// Produces `total` records in bursts of `burst`, the reader reading
        /// after each burst; returns what it read and lost.
        static func bursts(backlog: Int, burst: Int, total: Int) -> (read: [UInt32], lost: UInt64) {
            let log = EventLog(domains: 2, cpuSlots: 1, backlog: backlog, recordWords: 1)
            defer { log.deallocate() }
            log.configure(1, .records(words: 1))
            var reader = EventLogReader(log: log)
            var read: [UInt32] = []
            var produced = 0
            while produced < total {
                for _ in 0..<min(burst, total - produced) { log.event(from: 0, to: 1, cpu: 0, parameter: 0) }
                produced += min(burst, total - produced)
                read += reader.read(cpu: 0).words
            }
            return (read, reader.lost[0])
        }

        @Test("a log sized for the back-log loses nothing")
        func sized() {
            let (read, lost) = Self.bursts(backlog: 32, burst: 32, total: 1_000)
            #expect(lost == 0)
            #expect(read == (1...1_000).map { UInt32($0) }, "every record, in order, once")
        }

        @Test("a log smaller than the back-log reports every overrun")
        func undersized() {
            let (read, lost) = Self.bursts(backlog: 8, burst: 20, total: 1_000)
            // 50 bursts of 20 into 8 slots: 12 lost each time, exactly.
            #expect(lost == 50 * 12)
            #expect(read.count + Int(lost) == 1_000)
            #expect(read.suffix(8) == (993...1_000).map { UInt32($0) }[...], "the newest records are kept")
        }

        @Test("a reader racing the producer never returns a torn record and accounts for all",
              .timeLimit(.minutes(1)))
        func racingReader() throws {
            let log = EventLog(domains: 2, cpuSlots: 1, backlog: 16, recordWords: 4)
            defer { log.deallocate() }
            log.configure(1, .records(words: 4))
            let total = 2_000_000
            let finished = Counters(1)
            let producer = try PinnedThread.start(cpu: Int(testCPUs[testCPUs.count - 1])) {
                for index in 0..<total { log.event(from: 0, to: 1, cpu: 0, parameter: UInt32(truncatingIfNeeded: index)) }
                finished.increment(0)
            }
            var reader = EventLogReader(log: log)
            var read = 0, torn = 0, reads = 0
            var lastSequence: UInt64?
            func drain() {
                let batch = reader.read(cpu: 0)
                reads += 1
                for index in 0..<batch.count {
                    let record = batch.record(index)
                    let sequence = batch.firstSequence + UInt64(index)
                    let words = Array(record)
                    // count = sequence + 1, parameter = sequence, sequence word = sequence.
                    if words != [UInt32(truncatingIfNeeded: sequence + 1), 1, UInt32(truncatingIfNeeded: sequence),
                                 UInt32(truncatingIfNeeded: sequence)] { torn += 1 }
                    if let last = lastSequence, sequence <= last { torn += 1 }
                    lastSequence = sequence
                }
                read += batch.count
            }
            while finished[0] == 0 { drain() }
            producer.join()
            drain()
            #expect(torn == 0, "records torn or out of order")
            #expect(UInt64(read) + reader.lost[0] == UInt64(total), "read \(read) + lost \(reader.lost[0]) != \(total)")
            #expect(reads > 10, "the reader barely ran beside the producer")
        }
    }
}
