import Platform
import Synchronization
import Testing
@testable import BenchKit

/// The start line alone: check-ins counted, the published tick seen by every
/// member, a cancelled start seen as such, and a bounded wait for check-ins.
@Suite(.serialized, .timeLimit(.minutes(1))) struct StartLineTests {
    final class Seen: @unchecked Sendable {
        let lock = Mutex<[UInt64?]>([])
        func add(_ value: UInt64?) { lock.withLock { $0.append(value) } }
        var values: [UInt64?] { lock.withLock { $0 } }
    }

    func members(_ count: Int, on line: StartLine, seen: Seen) throws -> [PinnedThread] {
        try (0..<count).map { _ in
            try PinnedThread.start(cpu: nil) {
                line.checkIn()
                seen.add(line.waitForStart())
            }
        }
    }

    @Test func everyMemberSeesThePublishedTick() throws {
        let line = StartLine(), seen = Seen()
        let threads = try members(3, on: line, seen: seen)
        #expect(line.waitForCheckIns(3, timeoutNs: 5_000_000_000))
        #expect(line.checkedIn == 3)
        sleepNanoseconds(5_000_000)
        #expect(seen.values.isEmpty, "a member started before the release")
        line.release(at: 12_345)
        threads.forEach { $0.join() }
        #expect(seen.values == [12_345, 12_345, 12_345])
    }

    @Test func aCancelledStartIsNil() throws {
        let line = StartLine(), seen = Seen()
        let threads = try members(2, on: line, seen: seen)
        #expect(line.waitForCheckIns(2, timeoutNs: 5_000_000_000))
        line.cancel()
        line.release(at: 1)   // too late: the cancel stands
        threads.forEach { $0.join() }
        #expect(seen.values == [nil, nil])
    }

    @Test func waitingForCheckInsIsBounded() {
        let line = StartLine()
        let start = monotonicNanos()
        #expect(!line.waitForCheckIns(1, timeoutNs: 50_000_000))
        let waited = monotonicNanos() - start
        #expect(waited >= 40_000_000 && waited < 2_000_000_000, "waited \(waited) ns for a 50 ms bound")
    }
}
