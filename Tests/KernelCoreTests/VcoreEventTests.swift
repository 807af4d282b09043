// notif_pending: an event posted while a uthread runs is handled by vcore
// context before the next uthread is popped, on the yield path, on the
// switch-to path, and when another kernel thread posts it.

import Platform
import Synchronization
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Vcore events (notif_pending)", .serialized)
    struct VcoreEventTests {
        final class Seen: @unchecked Sendable {
            var handledAtStart: [Int: UInt64] = [:]
            var posted: UInt64 = 0
            var vcore: VcoreContext?
        }

        @Test("posted while a uthread runs, handled before the uthread it yields to runs",
              arguments: TwoLevelScheduler.Variant.allCases)
        func yieldPath(variant: TwoLevelScheduler.Variant) throws {
            let scheduler = try TwoLevelScheduler(variant: variant)
            let seen = Seen()
            let outcomes = try UthreadVcores.run(scheduler) { vcore in
                seen.vcore = vcore
                for _ in 0..<10 {
                    try scheduler.spawn { me in
                        seen.handledAtStart[me.id] = me.eventsHandledByVcore
                        seen.vcore!.postEvent()
                        seen.posted += 1
                        me.yield()
                    }
                }
            }
            #expect(outcomes == [.finished])
            // Uthread i starts after i posts, each by an earlier uthread.
            for id in 0..<10 { #expect(seen.handledAtStart[id] == UInt64(id), "uthread \(id)") }
            seen.vcore = nil
        }

        @Test("posted before a switch-to: the target runs only after the event was handled",
              arguments: TwoLevelScheduler.Variant.allCases)
        func switchToPath(variant: TwoLevelScheduler.Variant) throws {
            let scheduler = try TwoLevelScheduler(variant: variant)
            let seen = Seen()
            final class Ring: @unchecked Sendable { var members: [Uthread] = [] }
            let ring = Ring()
            let count = 6, laps = 3
            let outcomes = try UthreadVcores.run(scheduler) { vcore in
                seen.vcore = vcore
                for index in 0..<count {
                    ring.members.append(try scheduler.spawn(start: index == 0 ? .runnable : .suspended) { me in
                        for lap in 0..<laps {
                            let key = lap * count + me.id
                            seen.handledAtStart[key] = me.eventsHandledByVcore
                            seen.vcore!.postEvent()
                            seen.posted += 1
                            if !(lap == laps - 1 && me.id == count - 1) {
                                me.switchTo(ring.members[(me.id + 1) % count])
                            }
                        }
                        // Unwind the ring: the last wakes the first, each the
                        // next, which returns from its last switch-to and ends.
                        let next = (me.id + 1) % count
                        if next != count - 1 { scheduler.wake(ring.members[next]) }
                    })
                }
            }
            #expect(outcomes == [.finished])
            for key in 0..<(count * laps) {
                #expect(seen.handledAtStart[key] == UInt64(key), "step \(key): the event posted before it was not handled first")
            }
            seen.vcore = nil
        }

        @Test("posted by another kernel thread while a uthread spins: handled before the next uthread runs")
        func foreignPoster() throws {
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts)
            final class Handshake: @unchecked Sendable {
                let running = Atomic<Bool>(false)
                let posted = Atomic<Bool>(false)
                var handledBySecond: UInt64 = .max
                var vcore: VcoreContext?
                var timedOut = false
            }
            let hand = Handshake()
            let poster = try PinnedThread.start(cpu: nil) {
                let deadline = monotonicNanos() &+ 20_000_000_000
                while !hand.running.load(ordering: .acquiring) { if monotonicNanos() > deadline { return }; sleepNanoseconds(100_000) }
                hand.vcore!.postEvent()
                hand.posted.store(true, ordering: .releasing)
            }
            defer { poster.join() }
            let outcomes = try UthreadVcores.run(scheduler) { vcore in
                hand.vcore = vcore
                try scheduler.spawn { me in
                    hand.running.store(true, ordering: .releasing)
                    let deadline = monotonicNanos() &+ 20_000_000_000
                    while !hand.posted.load(ordering: .acquiring) {
                        if monotonicNanos() > deadline { hand.timedOut = true; break }
                    }
                    me.yield()
                }
                try scheduler.spawn { me in hand.handledBySecond = me.eventsHandledByVcore }
            }
            if hand.timedOut { try Test.cancel("the poster thread did not run in 20 s (busy machine)") }
            #expect(outcomes == [.finished])
            #expect(hand.handledBySecond == 1)
            hand.vcore = nil
        }
    }
}
