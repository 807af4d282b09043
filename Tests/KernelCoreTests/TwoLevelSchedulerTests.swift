// The 2LS: every uthread runs every round, in FIFO order on one vcore; none
// runs on two vcores at once; mutex and condition variable block in the 2LS;
// a world that cannot be built says why.

import CPlatform
import Synchronization
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Two-level scheduler", .serialized)
    struct TwoLevelSchedulerTests {
        @Test("1000 uthreads each run every round, in spawn order, to completion", arguments: TwoLevelScheduler.Variant.allCases)
        func thousandInOrder(variant: TwoLevelScheduler.Variant) throws {
            let count = 1000, rounds = 5
            let scheduler = try TwoLevelScheduler(variant: variant, configuration: UthreadConfiguration(stackBytes: 64 * 1024))
            let log = UthreadLog(capacity: count * rounds)
            for _ in 0..<count {
                try scheduler.spawn { me in
                    for round in 0..<rounds {
                        log.entries.append(me.id)
                        if round < rounds - 1 { me.yield() }
                    }
                }
            }
            let outcomes = try UthreadVcores.run(scheduler)
            #expect(outcomes == [.finished])
            #expect(scheduler.live == 0)
            let expected = (0..<rounds).flatMap { _ in Array(0..<count) }
            #expect(log.entries == expected, "not every uthread ran every round in order")
            scheduler.reap()
        }

        @Test("on two vcores of the locked 2LS no uthread runs twice at once, and every one runs every round")
        func neverTwiceAtOnce() throws {
            let count = 200, rounds = 50
            let scheduler = try TwoLevelScheduler(variant: .locked,
                                                  configuration: UthreadConfiguration(vcores: 2, stackBytes: 64 * 1024))
            final class Flags: @unchecked Sendable {
                let running: UnsafeMutablePointer<Atomic<Bool>>
                let runs: UnsafeMutablePointer<Atomic<Int>>
                let overlaps = Atomic<Int>(0)
                let vcoresSeen = Atomic<Int>(0)
                init(_ n: Int) {
                    running = .allocate(capacity: n)
                    runs = .allocate(capacity: n)
                    for i in 0..<n { (running + i).initialize(to: Atomic(false)); (runs + i).initialize(to: Atomic(0)) }
                }
            }
            let flags = Flags(count)
            for _ in 0..<count {
                try scheduler.spawn { me in
                    for _ in 0..<rounds {
                        if flags.running[me.id].exchange(true, ordering: .acquiringAndReleasing) {
                            flags.overlaps.wrappingAdd(1, ordering: .relaxed)
                        }
                        flags.vcoresSeen.bitwiseOr(1 << me.vcoreID, ordering: .relaxed)
                        flags.runs[me.id].wrappingAdd(1, ordering: .relaxed)
                        for _ in 0..<50 { kb_pause() }
                        flags.running[me.id].store(false, ordering: .releasing)
                        me.yield()
                    }
                }
            }
            let outcomes = try UthreadVcores.run(scheduler)
            #expect(outcomes == [.finished, .finished])
            #expect(flags.overlaps.load(ordering: .relaxed) == 0)
            #expect((0..<count).allSatisfy { flags.runs[$0].load(ordering: .relaxed) == rounds })
            if flags.vcoresSeen.load(ordering: .relaxed) != 3 {
                try Test.cancel("one vcore ran everything (busy machine): no concurrency was exercised")
            }
        }

        @Test("a uthread mutex excludes: counters updated with yields inside the critical section stay exact",
              arguments: [1, 2])
        func mutexExcludes(vcores: Int) throws {
            let count = 50, rounds = 20
            let scheduler = try TwoLevelScheduler(variant: .locked,
                                                  configuration: UthreadConfiguration(vcores: vcores, stackBytes: 64 * 1024))
            let mutex = UthreadMutex()
            defer { mutex.deallocate() }
            final class Shared: @unchecked Sendable { var value = 0; var inside = 0; let violations = Atomic<Int>(0) }
            let shared = Shared()
            for _ in 0..<count {
                try scheduler.spawn { me in
                    for _ in 0..<rounds {
                        mutex.lock(by: me)
                        shared.inside += 1
                        if shared.inside != 1 { shared.violations.wrappingAdd(1, ordering: .relaxed) }
                        let before = shared.value
                        me.yield()                      // others run, and block on the mutex
                        shared.value = before + 1
                        shared.inside -= 1
                        mutex.unlock(by: me)
                        me.yield()
                    }
                }
            }
            let outcomes = try UthreadVcores.run(scheduler)
            #expect(outcomes.allSatisfy { $0 == .finished })
            #expect(shared.value == count * rounds)
            #expect(shared.violations.load(ordering: .relaxed) == 0)
            #expect(!mutex.isLocked)
        }

        @Test("condition variable: a producer and consumers hand over every item, none lost or doubled")
        func conditionHandsOver() throws {
            let items = 500, consumers = 4
            let scheduler = try TwoLevelScheduler(variant: .noSchedulerLocking, configuration: UthreadConfiguration(stackBytes: 64 * 1024))
            let mutex = UthreadMutex(), nonEmpty = UthreadCondition(), nonFull = UthreadCondition()
            defer { mutex.deallocate(); nonEmpty.deallocate(); nonFull.deallocate() }
            final class Buffer: @unchecked Sendable { var queue: [Int] = []; var taken: [Int] = []; var done = false }
            let buffer = Buffer()
            for _ in 0..<consumers {
                try scheduler.spawn { me in
                    while true {
                        mutex.lock(by: me)
                        while buffer.queue.isEmpty && !buffer.done { nonEmpty.wait(mutex, by: me) }
                        if buffer.queue.isEmpty { mutex.unlock(by: me); return }
                        buffer.taken.append(buffer.queue.removeFirst())
                        nonFull.signal()
                        mutex.unlock(by: me)
                    }
                }
            }
            try scheduler.spawn { me in
                for item in 0..<items {
                    mutex.lock(by: me)
                    while buffer.queue.count >= 3 { nonFull.wait(mutex, by: me) }
                    buffer.queue.append(item)
                    nonEmpty.signal()
                    mutex.unlock(by: me)
                }
                mutex.lock(by: me)
                buffer.done = true
                nonEmpty.broadcast()
                mutex.unlock(by: me)
            }
            let outcomes = try UthreadVcores.run(scheduler)
            #expect(outcomes == [.finished])
            #expect(buffer.taken.sorted() == Array(0..<items))
        }

        @Test("a uthread waiting on a condition nobody signals: the one vcore reports a deadlock, not a hang")
        func deadlockIsReported() throws {
            let scheduler = try TwoLevelScheduler(variant: .locked)
            let mutex = UthreadMutex(), never = UthreadCondition()
            defer { mutex.deallocate(); never.deallocate() }
            try scheduler.spawn { me in
                mutex.lock(by: me)
                never.wait(mutex, by: me)
            }
            try scheduler.spawn { me in me.yield() }
            let outcomes = try UthreadVcores.run(scheduler)
            #expect(outcomes == [.allBlocked(live: 1)])
        }

        @Test("bad configurations are refused with a message naming the problem")
        func badConfiguration() throws {
            func refusal(_ variant: TwoLevelScheduler.Variant, _ configuration: UthreadConfiguration) -> UthreadConfigurationError? {
                do { _ = try TwoLevelScheduler(variant: variant, configuration: configuration); return nil } catch { return error }
            }
            let page = UthreadConfiguration.pageBytes
            #expect(refusal(.locked, UthreadConfiguration(vcores: 0)) == .noVcores(0))
            #expect(refusal(.locked, UthreadConfiguration(vcores: -3)) == .noVcores(-3))
            #expect(refusal(.locked, UthreadConfiguration(vcores: Int.max)) == .tooManyVcores(Int.max, limit: UthreadConfiguration.maximumVcores))
            #expect(refusal(.locked, UthreadConfiguration(stackBytes: page - 1)) == .stackTooSmall(page - 1, page: page))
            #expect(refusal(.locked, UthreadConfiguration(stackBytes: 0)) == .stackTooSmall(0, page: page))
            #expect(refusal(.locked, UthreadConfiguration(stackBytes: Int.max)) != nil)
            #expect(refusal(.noSchedulerLocking, UthreadConfiguration(vcores: 2))
                    == .unlockedSchedulerNeedsOneVcore(.noSchedulerLocking, vcores: 2))
            #expect(refusal(.locked, UthreadConfiguration(stackBytes: page)) == nil)
            #expect(UthreadConfigurationError.stackTooSmall(100, page: page).description
                    == "uthread stack of 100 bytes is smaller than a page (\(page) bytes)")
            // TLS uthreads need one vcore and the vcore they copy.
            let two = try TwoLevelScheduler(variant: .locked, configuration: UthreadConfiguration(vcores: 2))
            #expect(throws: UthreadConfigurationError.tlsNeedsOneVcore(vcores: 2)) { try two.spawn(tls: true) { _ in } }
            let one = try TwoLevelScheduler(variant: .locked)
            #expect(throws: UthreadConfigurationError.self) { try one.spawn(tls: true) { _ in } }
            #expect(throws: UthreadConfigurationError.wrongVcore(1, count: 1)) { try one.makeVcore(id: 1) }
            #expect(throws: UthreadConfigurationError.wrongVcore(-1, count: 1)) { try one.makeVcore(id: -1) }
        }
    }
}
