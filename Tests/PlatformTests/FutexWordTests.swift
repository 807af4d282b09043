// FutexWord: a sleeper wakes when the word changes and never sleeps past its
// bound; the address the futex calls use is the atomic's own storage, so a
// waiter on the word is woken by a wake on it, in whatever struct it sits.

import CPlatform
import Glibc
import Synchronization
import Testing
@testable import Platform

@Suite(.serialized, .timeLimit(.minutes(1))) struct FutexWordTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Futex words behind other fields, as in a control block: if the address
    /// were computed from a layout guess instead of taken, a wake on one word
    /// would land on another and the waiter would sleep on.
    struct Block: ~Copyable {
        let flag = Atomic<Bool>(false)
        let first = FutexWord(0)
        let wide = Atomic<UInt64>(0)
        let second = FutexWord(0)
    }

    @Test func theAddressIsTheAtomicsStorage() {
        let box = CacheLineBox(Block())
        defer { box.deallocate() }
        let base = UnsafeMutableRawPointer(box.pointer)
        let first = box.pointee.first.withAddress { UnsafeMutableRawPointer($0) }
        let second = box.pointee.second.withAddress { UnsafeMutableRawPointer($0) }
        #expect(first != second)
        #expect(first >= base && second >= base && second < base + CacheLineBox<Block>.bytes)
        // A store through the atomic is seen at the address, and back.
        box.pointee.second.value.store(0xdead_beef, ordering: .relaxed)
        #expect(second.load(as: UInt32.self) == 0xdead_beef)
        #expect(first.load(as: UInt32.self) == 0)
        first.storeBytes(of: 7, as: UInt32.self)
        let seen = box.pointee.first.value.load(ordering: .relaxed)
        #expect(seen == 7)
    }

    @Test func waitReturnsAtOnceWhenTheValueDiffers() {
        let box = CacheLineBox(FutexWord(3))
        defer { box.deallocate() }
        let differs = box.pointee.wait(whileEqualTo: 4, timeoutNs: 5_000_000_000)
        let times = box.pointee.wait(whileEqualTo: 3, timeoutNs: 1_000_000)
        #expect(differs == -EAGAIN)
        #expect(times == -ETIMEDOUT)
    }

    @Test(.timeLimit(.minutes(1)))
    func aWaiterIsWokenByWakeOnItsWordAndNoOther() throws {
        let box = CacheLineBox(Block())
        defer { box.deallocate() }
        nonisolated(unsafe) let block = box.pointer
        let result = CacheLineBox(Atomic<Int32>(1))   // 1 until the waiter returns
        defer { result.deallocate() }
        // One wait, value unchanged: it returns 0 only if a wake on `second`'s
        // address reaches it (a 20 s timeout makes a lost wake fail, not hang).
        let waiter = try PinnedThread.start(cpu: nil) {
            block.pointee.flag.store(true, ordering: .releasing)
            let rc = block.pointee.second.wait(whileEqualTo: 0, timeoutNs: 20_000_000_000)
            result.pointee.store(rc, ordering: .releasing)
        }
        while !block.pointee.flag.load(ordering: .acquiring) { sched_yield() }
        var wokeOther: Int32 = 0, woke: Int32 = 0
        let deadline = monotonicNanos() + 15_000_000_000
        // Until the waiter is asleep and woken: a wake on the neighbour word
        // must find nobody; a wake on its own word finds it once it sleeps.
        while woke == 0 && monotonicNanos() < deadline {
            wokeOther += max(0, block.pointee.first.wakeAll())
            woke = block.pointee.second.wake(1)
            if woke == 0 { usleep(1_000) }
        }
        waiter.join()
        #expect(wokeOther == 0, "a wake on another word reached the waiter")
        #expect(woke == 1, "no thread slept on the word's address")
        #expect(result.pointee.load(ordering: .acquiring) == 0, "the wait did not end by the wake")
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
