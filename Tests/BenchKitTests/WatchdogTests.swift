import Platform
import Synchronization
import Testing
@testable import BenchKit

@Suite struct WatchdogTests {
    final class Counter: Sendable { let value = Atomic<UInt64>(0) }

    @Test func firesWhenProgressStops() throws {
        let counter = Counter()
        let stalled = Counter()
        let start = monotonicRawNanoseconds()
        let watchdog = try Watchdog(timeoutSeconds: 0.3, progress: { counter.value.load(ordering: .relaxed) },
                                    onStall: { seconds in
            #expect(seconds >= 0.3)
            stalled.value.store(1, ordering: .releasing)
        })
        while stalled.value.load(ordering: .acquiring) == 0, monotonicRawNanoseconds() - start < 5_000_000_000 {
            sleepNanoseconds(20_000_000)
        }
        #expect(watchdog.hasFired)
        #expect(stalled.value.load(ordering: .acquiring) == 1)
        watchdog.stop()
    }

    @Test func staysQuietWhileProgressContinues() throws {
        let counter = Counter()
        let watchdog = try Watchdog(timeoutSeconds: 0.3, progress: { counter.value.load(ordering: .relaxed) },
                                    onStall: { _ in })
        for _ in 0..<40 {
            counter.value.add(1, ordering: .relaxed)
            sleepNanoseconds(20_000_000)
        }
        #expect(!watchdog.hasFired)
        watchdog.stop()
    }
}
