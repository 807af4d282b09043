// FIFO order of the queue locks, tryLock semantics of every lock, and a
// check that the mutual-exclusion detector itself catches a broken lock.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore
import VcoreEmulation

/// A "lock" that excludes nothing: the detector must catch it.
struct NoLock: KernelLock {
    static var name: String { "none" }
    func lock(_ node: NoNode, vcore: VcoreID) {}
    func unlock(_ node: NoNode, vcore: VcoreID) {}
    func tryLock(_ node: NoNode, vcore: VcoreID) -> Bool { true }
    func deallocate() {}
}

extension KernelCoreSuite {
    @Suite("Order and tryLock", .serialized)
    struct OrderAndTryLockTests {
        @Test("the mutual-exclusion check catches a lock that excludes nothing")
        func detectorCatchesBrokenLock() throws {
            let map = VcoreMap(count: 2)
            defer { map.deallocate() }
            let state = Shared(CriticalState())
            try MutualExclusionTests().hammer(NoLock(), map: map, state: state.pointer,
                                              iterations: 20_000, mode: .pinned)
            #expect(state.value.violations > 0 || state.value.counter < 40_000)
        }

        /// The holder takes the lock; waiters 1...n enqueue one at a time (each
        /// known to be queued before the next starts); each appends its id inside
        /// the critical section. FIFO locks must serve them in arrival order.
        @Test("queue locks serve waiters in arrival order",
              arguments: [LockKind.ticket, .mcs, .mcsPDRO, .mcsPDRN])
        func fifo(kind: LockKind) throws {
            let waiters = 4
            let map = VcoreMap(count: waiters + 1)
            defer { map.deallocate() }
            let lock = kind.make(map: map)
            defer { lock.deallocate() }
            try checkFIFO(lock, waiters: waiters, map: map)
        }

        func checkFIFO<L: KernelLock>(_ lock: L, waiters: Int, map: VcoreMap) throws {
            let nodes = (0...waiters).map { _ in L.Node.allocate() }
            defer { nodes.forEach { $0.deallocate() } }
            // served[0]: how many were served; served[1...]: their ids, in order.
            // Written only inside the critical section.
            nonisolated(unsafe) let served = UnsafeMutablePointer<Int>.allocate(capacity: waiters + 1)
            served.initialize(repeating: 0, count: waiters + 1)
            defer { served.deallocate() }
            lock.lock(nodes[0], vcore: 0)
            var threads: [PinnedThread] = []
            for id in 1...waiters {
                let node = nodes[id]
                let before = waitersQueued(lock, tails: nodes)
                threads.append(try PinnedThread.start(cpu: Int(testCPUs[id % testCPUs.count])) {
                    lock.lock(node, vcore: VcoreID(id))
                    served[0] += 1
                    served[served[0]] = id
                    lock.unlock(node, vcore: VcoreID(id))
                })
                // Wait until this waiter is in the queue before starting the next.
                let inQueue = waitUntil { waitersQueued(lock, tails: nodes) == before + 1 }
                #expect(inQueue, "\(L.name): waiter \(id) never queued")
                if !inQueue { break }
            }
            lock.unlock(nodes[0], vcore: 0)
            let done = waitUntil(timeout: .seconds(10)) {
                UnsafeRawPointer(served).assumingMemoryBound(to: Atomic<Int>.self).pointee
                    .load(ordering: .acquiring) == threads.count
            }
            #expect(done, "\(L.name): waiters did not all acquire in 10 s")
            guard done else { return }
            threads.forEach { $0.join() }
            let ids = Array(UnsafeBufferPointer(start: served + 1, count: waiters))
            #expect(ids == Array(1...waiters), "\(L.name): served in order \(ids)")
        }

        @Test("tryLock takes a free lock and fails on a held one", arguments: LockKind.allCases)
        func tryLock(kind: LockKind) throws {
            let map = VcoreMap(count: 2)
            defer { map.deallocate() }
            let lock = kind.make(map: map)
            defer { lock.deallocate() }
            checkTryLock(lock)
        }

        func checkTryLock<L: KernelLock>(_ lock: L) {
            let first = L.Node.allocate(), second = L.Node.allocate()
            defer { first.deallocate(); second.deallocate() }
            #expect(lock.tryLock(first, vcore: 0), "\(L.name): tryLock of a free lock failed")
            #expect(!lock.tryLock(second, vcore: 1), "\(L.name): tryLock of a held lock succeeded")
            lock.unlock(first, vcore: 0)
            #expect(lock.tryLock(second, vcore: 1), "\(L.name): tryLock after unlock failed")
            lock.unlock(second, vcore: 1)
            // lock after a tryLock/unlock pair still works, and tryLock fails against it.
            lock.lock(first, vcore: 0)
            #expect(!lock.tryLock(second, vcore: 1), "\(L.name): tryLock against lock() succeeded")
            lock.unlock(first, vcore: 0)
            #expect(lock.tryLock(first, vcore: 0))
            lock.unlock(first, vcore: 0)
        }
    }
}
