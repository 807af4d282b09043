// The epoch token ring: an epoch ends only when every vcore passed a
// quiescent state; a stalled vcore holds it back and is named; callbacks run
// after their epoch and not before.

import CPlatform
import Platform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Epoch ring", .serialized)
    struct EpochRingTests {
        @Test("an epoch ends only after every vcore passed a quiescent state, in token order")
        func fullRound() {
            let ring = EpochRing(vcores: 3)
            defer { ring.deallocate() }
            // Out of turn: vcores 1 and 2 do not hold the token; nothing moves.
            #expect(!ring.quiescent(2))
            #expect(!ring.quiescent(1))
            #expect(ring.epoch == 0 && ring.tokenHolder == 0 && ring.passes == 0)
            #expect(!ring.quiescent(0))
            #expect(ring.tokenHolder == 1 && ring.epoch == 0)
            // Vcore 0 again: it already passed; the token waits for 1.
            #expect(!ring.quiescent(0))
            #expect(!ring.quiescent(1))
            #expect(ring.epoch == 0)
            #expect(ring.quiescent(2), "the last vcore's pass ends the epoch")
            #expect(ring.epoch == 1 && ring.tokenHolder == 0 && ring.passes == 3)
        }

        @Test("one vcore: every quiescent state ends an epoch")
        func oneVcore() {
            let ring = EpochRing(vcores: 1)
            defer { ring.deallocate() }
            for expected in 1...5 as ClosedRange<UInt64> {
                #expect(ring.quiescent(0))
                #expect(ring.epoch == expected)
            }
        }

        @Test("the epoch waits for a stalled vcore, and the stall names it")
        func stalledVcore() throws {
            let vcores = 3, stalled: VcoreID = 1
            let ring = EpochRing(vcores: vcores)
            defer { ring.deallocate() }
            let flags = Counters(2)   // 0: stop, 1: resume the stalled vcore
            var threads: [PinnedThread] = []
            for vcore in 0..<vcores {
                let id = VcoreID(vcore)
                threads.append(try PinnedThread.start(cpu: Int(testCPUs[vcore % testCPUs.count])) {
                    while flags[0] == 0 {
                        if id == stalled && flags[1] == 0 {
                            sleepNanoseconds(100_000)   // stuck between operations: passes nothing
                            continue
                        }
                        ring.quiescent(id)
                        sleepNanoseconds(10_000)
                    }
                })
            }
            defer {
                flags.increment(0)
                for thread in threads { thread.join() }
            }
            let target = ring.fullEpochTarget
            let first = ring.wait(untilEpoch: target, timeoutNs: 200_000_000)
            guard case .stalled(let stall) = first else {
                Issue.record("epoch \(target) reached while vcore \(stalled) passed no quiescent state: \(first)")
                return
            }
            #expect(stall.holder == stalled)
            #expect(stall.description.contains("vcore \(stalled) holds the token"))
            #expect(ring.stallReport(waitedSeconds: 0.2).contains("vcore \(stalled)"))
            #expect(ring.epoch < target)
            flags.increment(1)
            let second = ring.wait(untilEpoch: target, timeoutNs: 10_000_000_000)
            guard case .reached(let epoch) = second else {
                Issue.record("epoch did not end after vcore \(stalled) resumed: \(second)")
                return
            }
            #expect(epoch >= target)
        }

        @Test("a vcore waiting for an epoch passes its own quiescent states")
        func waiterInRing() {
            let ring = EpochRing(vcores: 1)
            defer { ring.deallocate() }
            #expect(ring.wait(untilEpoch: 3, as: 0, timeoutNs: 1_000_000_000) == .reached(3))
        }

        @Test("a callback runs after its epoch and not before")
        func callbackAfterEpoch() {
            let ring = EpochRing(vcores: 2)
            defer { ring.deallocate() }
            let callbacks = EpochCallbacks(ring: ring)
            let ran = Counters(1)
            ran.slot(0).pointee.store(.max, ordering: .relaxed)
            // Mid-round: vcore 0 passed before the callback was registered, so
            // the round now under way does not count for it.
            ring.quiescent(0)
            let target = callbacks.afterNextEpoch { ran.slot(0).pointee.store(ring.epoch, ordering: .relaxed) }
            #expect(target == 2)
            var passes = 0
            var vcore: VcoreID = 1
            while ring.epoch < target {
                #expect(callbacks.runDue() == 0, "ran at epoch \(ring.epoch), before \(target)")
                #expect(ran[0] == .max)
                ring.quiescent(vcore)
                vcore ^= 1
                passes += 1
            }
            #expect(passes == 3, "one pass to end the round under way, two for the full round")
            #expect(callbacks.runDue() == 1)
            #expect(ran[0] == target)
            #expect(callbacks.runDue() == 0 && callbacks.pendingCount == 0, "a callback runs once")
        }

        @Test("an epoch is wanted from a transition or a wait until it comes, and never goes backwards")
        func wantedEpoch() {
            let ring = EpochRing(vcores: 2, oversubscribed: true)
            defer { ring.deallocate() }
            #expect(!ring.epochWanted, "nobody waits at first: nobody yields")
            let lock = DynamicLock(base: SpinLock(), ring: ring, home: 0)
            defer { lock.deallocate() }
            #expect(lock.demote())
            #expect(ring.epochWanted, "a demotion wants the epoch it waits for")
            ring.want(epoch: 1)   // a lower want does not lower it
            for _ in 0..<2 { ring.quiescent(0); ring.quiescent(1) }
            #expect(ring.epoch == 2 && !ring.epochWanted, "reached: vcores stop yielding")
            #expect(lock.settle() == .disabled)
            _ = ring.wait(untilEpoch: 5, timeoutNs: 1_000)
            #expect(ring.epochWanted, "a wait that timed out still wants its epoch")
            let plain = EpochRing(vcores: 2)
            #expect(!plain.oversubscribed, "rings do not yield unless asked")
            plain.deallocate()
        }
    }
}
