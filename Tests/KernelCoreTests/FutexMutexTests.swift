// FutexMutex: mutual exclusion under contention (sleeping waiters), tryLock.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Futex mutex", .serialized)
    struct FutexMutexTests {
        @Test("tryLock takes a free mutex and fails on a held one")
        func tryLock() {
            let mutex = CacheLineBox(FutexMutex())
            defer { mutex.deallocate() }
            // (Results in locals: #expect cannot take a ~Copyable receiver apart.)
            let freeAtFirst = !mutex.pointee.isLocked
            let takenWhenFree = mutex.pointee.tryLock()
            let lockedAfterTry = mutex.pointee.isLocked
            let takenWhenHeld = mutex.pointee.tryLock()
            mutex.pointee.unlock()
            let freeAfterUnlock = !mutex.pointee.isLocked
            mutex.pointee.lock()
            let takenAgainstLock = mutex.pointee.tryLock()
            mutex.pointee.unlock()
            #expect(freeAtFirst && takenWhenFree && lockedAfterTry && freeAfterUnlock)
            #expect(!takenWhenHeld && !takenAgainstLock)
        }

        /// More threads than CPUs, so holders are descheduled inside the
        /// critical section and waiters really sleep on the word.
        @Test("excludes under contention", .timeLimit(.minutes(1)), arguments: [2, 4, 8])
        func excludes(threads: Int) throws {
            let mutex = CacheLineBox(FutexMutex())
            defer { mutex.deallocate() }
            let state = Shared(CriticalState())
            let finished = Counters(1)
            let iterations = 20_000
            nonisolated(unsafe) let critical = state.pointer
            var started: [PinnedThread] = []
            for index in 0..<threads {
                started.append(try PinnedThread.start(cpu: Int(testCPUs[index % testCPUs.count])) {
                    for _ in 0..<iterations {
                        mutex.pointee.lock()
                        criticalSection(critical, vcore: VcoreID(index))
                        mutex.pointee.unlock()
                    }
                    finished.increment(0)
                })
            }
            let done = waitUntil(timeout: .seconds(40)) { finished[0] == UInt64(threads) }
            #expect(done, "threads did not finish in 40 s (a lost wake-up?)")
            guard done else { return }
            started.forEach { $0.join() }
            #expect(state.value.violations == 0)
            #expect(state.value.counter == threads * iterations)
            let lockedAtEnd = mutex.pointee.isLocked
            #expect(!lockedAtEnd)
        }
    }
}
