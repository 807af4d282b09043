import Synchronization
import Testing
@testable import Platform

/// A futex word: a sleeper wakes when the word changes, and never sleeps
/// past its bound when it does not.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FutexWordTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    @Test func aSleeperWakesWhenTheWordChanges() throws {
        let word = CacheLineBox(FutexWord())
        defer { word.deallocate() }
        let woke = Flag()
        let sleeper = try PinnedThread.start(cpu: nil) {
            while word.pointee.value.load(ordering: .acquiring) == 0 {
                word.pointee.wait(whileEqualTo: 0, timeoutNs: 10_000_000_000)
            }
            woke.value.store(true, ordering: .releasing)
        }
        sleepNanoseconds(50_000_000)
        #expect(!woke.isSet, "woke before the word changed")
        let start = monotonicNanos()
        word.pointee.value.store(1, ordering: .releasing)
        word.pointee.wakeAll()
        sleeper.join()
        #expect(woke.isSet)
        // Woken, not timed out: far sooner than the 10 s bound.
        #expect(monotonicNanos() - start < 2_000_000_000)
    }

    @Test func aWaitIsBoundedAndReturnsAtOnceWhenTheValueDiffers() {
        let word = CacheLineBox(FutexWord(7))
        defer { word.deallocate() }
        var start = monotonicNanos()
        word.pointee.wait(whileEqualTo: 7, timeoutNs: 20_000_000)
        let waited = monotonicNanos() - start
        #expect(waited >= 15_000_000 && waited < 2_000_000_000, "waited \(waited) ns for a 20 ms bound")
        start = monotonicNanos()
        word.pointee.wait(whileEqualTo: 8, timeoutNs: 5_000_000_000)
        #expect(monotonicNanos() - start < 1_000_000_000, "slept although the word differs")
    }
}
