// Lock cascades: operations over sets of parts stay exclusive per part while
// the granularity switches at random between coarse and fine.

import CPlatform
import Platform
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Lock cascades", .serialized)
    struct LockCascadeTests {
        @Test("a switch takes both levels for one full epoch, then one")
        func switchSteps() {
            let ring = EpochRing(vcores: 2)
            defer { ring.deallocate() }
            let cascade = LockCascade(coarse: SpinLock(), parts: 4, fine: SpinLock.self, ring: ring)
            defer { cascade.deallocate() }
            var hold = cascade.enter(NoNode(), vcore: 0)
            #expect(hold.coarse && !hold.fine && cascade.coarseLock.isLocked)
            cascade.exit(NoNode(), vcore: 0, hold: hold)
            #expect(cascade.switchToFine())
            #expect(!cascade.switchToCoarse(), "a switch is under way")
            hold = cascade.enter(NoNode(), vcore: 1)
            #expect(hold.coarse && hold.fine, "both levels during the switch")
            cascade.lockPart(2, NoNode(), vcore: 1, hold: hold)
            #expect(cascade.fineLocks[2].isLocked)
            cascade.unlockPart(2, NoNode(), vcore: 1, hold: hold)
            cascade.exit(NoNode(), vcore: 1, hold: hold)
            for _ in 0..<2 { ring.quiescent(0); ring.quiescent(1) }
            #expect(cascade.settle() == .fine)
            hold = cascade.enter(NoNode(), vcore: 0)
            #expect(!hold.coarse && hold.fine && !cascade.coarseLock.isLocked)
            cascade.exit(NoNode(), vcore: 0, hold: hold)
        }

        @Test("fine locks are allocated on the first switch to fine and freed one epoch after the switch back")
        func fineLocksOnDemand() {
            let ring = EpochRing(vcores: 2)
            defer { ring.deallocate() }
            let cascade = LockCascade(coarse: SpinLock(), parts: 8, fine: SpinLock.self, ring: ring)
            defer { cascade.deallocate() }
            func round() { ring.quiescent(0); ring.quiescent(1) }
            #expect(!cascade.fineLocksAllocated, "coarse from the start: no fine locks yet")
            #expect(cascade.reclaim(), "nothing to free")
            #expect(cascade.switchToFine())
            #expect(cascade.fineLocksAllocated && cascade.fineLockAllocations == (1, 0))
            round(); round()
            #expect(cascade.settle() == .fine)
            #expect(!cascade.reclaim() && cascade.fineLocksAllocated, "fine: nothing is retired")
            #expect(cascade.switchToCoarse())
            round(); round()
            // An operation that read "to coarse" holds both levels, and may still be inside when the switch ends.
            let hold = cascade.enter(NoNode(), vcore: 1)
            #expect(hold.coarse && hold.fine)
            cascade.lockPart(3, NoNode(), vcore: 1, hold: hold)
            #expect(cascade.settle() == .coarse)
            #expect(cascade.fineLocksAllocated, "the first reclaim only stamps the retirement epoch")
            #expect(!cascade.reclaim(), "not before a full epoch")
            cascade.unlockPart(3, NoNode(), vcore: 1, hold: hold)   // its memory is still there
            cascade.exit(NoNode(), vcore: 1, hold: hold)
            ring.quiescent(0)
            #expect(!cascade.reclaim(), "half a round is not an epoch")
            ring.quiescent(1); round()
            #expect(cascade.reclaim() && !cascade.fineLocksAllocated, "freed after the full epoch")
            #expect(cascade.fineLockAllocations == (1, 1))
            // Switching back allocates afresh; a retirement cancelled by a switch to fine keeps the memory.
            #expect(cascade.switchToFine())
            #expect(cascade.fineLockAllocations == (2, 1))
            round(); round(); cascade.settle()
            #expect(cascade.switchToCoarse())
            round(); round()
            #expect(cascade.settle() == .coarse)          // stamps the retirement
            #expect(cascade.switchToFine(), "back to fine before the memory went")
            round(); round()
            #expect(!cascade.reclaim() && cascade.fineLocksAllocated, "a cascade on its way to fine keeps its locks")
            #expect(cascade.fineLockAllocations == (2, 1), "reused, not reallocated")
            let started = LockCascade(coarse: SpinLock(), parts: 2, fine: SpinLock.self, ring: ring, granularity: .fine)
            #expect(started.fineLocksAllocated, "a cascade that starts fine has its locks")
            started.deallocate()
        }

        @Test("each part exclusive through random switches of granularity, 2 vcores")
        func randomSwitchesTwo() throws { try randomSwitches(vcores: 2) }

        @Test("each part exclusive through random switches of granularity, 3 vcores")
        func randomSwitchesThree() throws { try randomSwitches(vcores: 3) }

        func randomSwitches(vcores: Int) throws {
            let parts = 8
            let ring = EpochRing(vcores: vcores)
            let cascade = LockCascade(coarse: MCSLock(), parts: parts, fine: SpinLock.self, ring: ring)
            defer { cascade.deallocate(); ring.deallocate() }
            let states = CacheLineArray(count: parts) { _ in CriticalState() }
            defer { states.deallocate() }
            let updates = Counters(vcores), switches = Counters(vcores), done = Counters(1), stop = Counters(1)
            let iterations = 10_000
            var threads: [PinnedThread] = []
            for vcore in 0..<vcores {
                let id = VcoreID(vcore)
                threads.append(try PinnedThread.start(cpu: Int(testCPUs[vcore % testCPUs.count])) {
                    let node = QueueNode.allocate()
                    defer { node.deallocate() }
                    var dice = TransitionDice(seed: 0xC0FFEE &* UInt64(vcore + 1))
                    for _ in 0..<iterations where stop[0] == 0 {
                        if dice.oneIn(32) {
                            let switched = dice.next() & 1 == 0 ? cascade.switchToFine() : cascade.switchToCoarse()
                            if switched { switches.increment(vcore) }
                        }
                        // One operation: a run of 1-3 consecutive parts, as an unmap of a range.
                        let first = Int(dice.next() % UInt64(parts))
                        let length = 1 + Int(dice.next() % 3)
                        let hold = cascade.enter(node, vcore: id)
                        for part in first..<min(parts, first + length) {
                            cascade.lockPart(part, NoNode(), vcore: id, hold: hold)
                            criticalSection(states.pointer(at: part), vcore: id)
                            cascade.unlockPart(part, NoNode(), vcore: id, hold: hold)
                            updates.increment(vcore)
                        }
                        cascade.exit(node, vcore: id, hold: hold)
                        ring.quiescent(id)
                        if vcores > testCPUs.count { sched_yield() }
                    }
                    done.increment(0)
                    while done[0] < UInt64(vcores) && stop[0] == 0 { ring.quiescent(id); sched_yield() }
                })
            }
            let finished = waitUntil(timeout: .seconds(40)) { done[0] == UInt64(vcores) }
            stop.increment(0)
            for thread in threads { thread.join() }
            #expect(finished, "vcores did not finish in 40 s")
            let violations = (0..<parts).reduce(0) { $0 + states[$1].violations }
            let counted = (0..<parts).reduce(0) { $0 + states[$1].counter }
            #expect(violations == 0, "two vcores inside one part at once")
            #expect(UInt64(counted) == updates.total, "lost updates: \(counted) of \(updates.total)")
            if switches.total <= 10 {
                try Test.cancel("only \(switches.total) switches on a busy machine: exclusion held but was hardly tested")
            }
        }
    }
}
