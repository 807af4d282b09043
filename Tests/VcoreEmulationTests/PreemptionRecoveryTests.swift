// The thesis' §6.2 claim, made deterministic: a preempted vcore holding or
// queued on an MCS lock stops everyone; the PDR locks keep going.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
import KernelCore
@testable import VcoreEmulation

extension VcoreEmulationSuite {
    @Suite("Preemption recovery", .serialized)
    struct PreemptionRecoveryTests {
        /// Which vcore the emulated kernel takes away.
        enum Victim: String, Sendable, CustomTestStringConvertible {
            /// Vcore 0, while it holds the lock.
            case holder
            /// Vcore 1, while it waits in the queue right behind the holder.
            case waiter
            var testDescription: String { rawValue }
        }

        static let vcores = 4

        /// Vcore 0 takes the lock and holds it until released; vcore 1 queues
        /// behind it; the victim is preempted (and known to be parked); then the
        /// holder is told to release and vcores 2 and 3 start contending. Over the
        /// next 50 ms plain MCS must make no acquisition at all (the lock is held
        /// by, or handed to, a vcore that does not run), and each PDR lock must make
        /// some. Once the kernel restores the victim, MCS must resume.
        ///
        /// One test per case, not a parameterized test: a recovery check on a
        /// busy machine is cancelled, and Swift Testing 6.3 reports a cancelled
        /// test case of a parameterized test as passed (see below).
        @Test("a preempted holder stalls MCS") func mcsHolder() throws { try stallOrRecover(kind: .mcs, victim: .holder) }
        @Test("a preempted waiter stalls MCS") func mcsWaiter() throws { try stallOrRecover(kind: .mcs, victim: .waiter) }
        @Test("a preempted holder does not stall spin-PDR") func spinPDRHolder() throws { try stallOrRecover(kind: .spinPDR, victim: .holder) }
        @Test("a preempted holder does not stall MCS-PDRO") func mcsPDROHolder() throws { try stallOrRecover(kind: .mcsPDRO, victim: .holder) }
        @Test("a preempted waiter does not stall MCS-PDRO") func mcsPDROWaiter() throws { try stallOrRecover(kind: .mcsPDRO, victim: .waiter) }
        @Test("a preempted holder does not stall MCS-PDRN") func mcsPDRNHolder() throws { try stallOrRecover(kind: .mcsPDRN, victim: .holder) }
        @Test("a preempted waiter does not stall MCS-PDRN") func mcsPDRNWaiter() throws { try stallOrRecover(kind: .mcsPDRN, victim: .waiter) }

        func stallOrRecover(kind: LockKind, victim: Victim) throws {
            let map = VcoreMap(count: Self.vcores)
            let lock = kind.make(map: map)
            try scenario(lock, map: map, victim: victim, expectStall: kind == .mcs)
        }

        func scenario<L: KernelLock>(_ lock: L, map: VcoreMap, victim: Victim, expectStall: Bool) throws {
            let nodes = (0..<Self.vcores).map { _ in L.Node.allocate() }
            let acquisitions = Counters(Self.vcores)
            let flags = Counters(3)           // 0: holding, 1: release, 2: others may go
            let state = Shared(CriticalState())
            nonisolated(unsafe) let critical = state.pointer
            let group = VcoreGroup(map: map, cpus: testCPUs)
            try group.start { vcore in
                let id = Int(vcore.id), node = nodes[id]
                switch id {
                case 0:
                    lock.lock(node, vcore: vcore.id)
                    acquisitions.increment(id)
                    criticalSection(critical, vcore: vcore.id)
                    flags.increment(0)
                    while flags[1] == 0 && !vcore.shouldStop { kb_pause() }
                    lock.unlock(node, vcore: vcore.id)
                case 1:
                    while flags[0] == 0 && !vcore.shouldStop { kb_pause() }
                default:
                    while flags[2] == 0 && !vcore.shouldStop { kb_pause() }
                }
                while !vcore.shouldStop {
                    lock.lock(node, vcore: vcore.id)
                    acquisitions.increment(id)
                    criticalSection(critical, vcore: vcore.id)
                    lock.unlock(node, vcore: vcore.id)
                }
            }
            defer {
                group.requestStop()
                map.restoreAll()
                let joined = group.join(timeout: .seconds(10))
                #expect(joined, "\(L.name): vcores did not stop")
                if joined {
                    #expect(state.value.violations == 0)
                    #expect(UInt64(state.value.counter) == acquisitions.total, "\(L.name): lost updates")
                    nodes.forEach { $0.deallocate() }
                    lock.deallocate()
                    map.deallocate()
                }
            }
            #expect(waitUntil { flags[0] == 1 }, "vcore 0 never took the lock")
            let target: VcoreID
            switch victim {
            case .holder:
                target = 0
            case .waiter:
                target = 1
                let queued = waitUntil { waitersQueued(lock, tails: nodes) == 1 }
                #expect(queued, "vcore 1 never queued")
            }
            #expect(map.preempt(target))
            // A PDR waiter may change to the victim before its signal lands: then
            // the waiter is the one parked. Either way one vcore is stopped.
            #expect(waitUntil { (0..<VcoreID(Self.vcores)).contains { map.isParked($0) } }, "nobody parked")
            flags.increment(1)
            flags.increment(2)

            pause(.milliseconds(10))
            let before = acquisitions.total
            let (_, foreign) = foreignCPUMilliseconds { pause(.milliseconds(50)) }
            let during = acquisitions.total - before
            // A recovery that shows no acquisition while other processes held
            // the CPUs for much of the window says nothing about the lock: the
            // check is cancelled with its reason (the stall case needs no guard:
            // load cannot make a stalled lock acquire).
            if !expectStall && during == 0 && foreign > 20 {
                try Test.cancel("\(L.name): no acquisition in 50 ms, but other processes took \(Int(foreign)) ms of CPU meanwhile (busy machine)")
            }
            // Changes of vcore move the preemption around; they never end it.
            #expect(map.preemptedVcores.count == 1)
            if expectStall {
                #expect(during == 0, "\(L.name): \(during) acquisitions while vcore \(target) was preempted")
                #expect(map.isPreempted(target) && map.preemptionMessages == 1)
            } else {
                #expect(during > 0, "\(L.name): no acquisition in 50 ms with vcore \(target) preempted")
                // By a waiter's change, or by an event handler's one-way
                // change after an unlock (a preempted waiter, MCS-PDRN).
                #expect(map.changeCount + map.oneWayChangeCount > 0,
                        "\(L.name): recovered without changing vcores?")
            }
            map.restoreAll()
            let restored = acquisitions.total
            #expect(waitUntil(timeout: .seconds(2)) { acquisitions.total > restored },
                    "\(L.name): no progress after every vcore was restored")
        }

        /// Lock throughput under the thesis' experiment, scaled down: 4 vcores on
        /// 2 CPUs, the emulated kernel preempting 2 vcores for 10 ms every 12 ms,
        /// acquisitions counted per 10 ms window over 300 ms.
        ///
        /// Plain MCS stalls whenever a preempted vcore is in its queue: many
        /// windows at zero. A PDR lock recovers within a window, every time.
        /// The vcores run SCHED_FIFO so that other processes on this shared
        /// machine cannot take their CPUs, with one exception we allow for:
        /// Linux (6.12+) runs starved SCHED_OTHER tasks from a deadline
        /// "fair server" for up to 50 ms a second, above any FIFO thread, so
        /// with other load on the machine one window may be lost to it. The
        /// deterministic test above is the strict one.
        ///
        /// One test per lock, not one parameterized test: on a busy machine
        /// the check is cancelled (`Test.cancel`), and Swift Testing 6.3
        /// reports a cancelled *test* ("was cancelled" with the reason) but
        /// reports a cancelled *test case* of a parameterized test as passed.
        @Test("throughput under periodic preemption: spin-pdr keeps going")
        func periodicPreemptionSpinPDR() throws { try periodicPreemption(kind: .spinPDR) }
        @Test("throughput under periodic preemption: mcs-pdro keeps going")
        func periodicPreemptionMCSPDRO() throws { try periodicPreemption(kind: .mcsPDRO) }
        @Test("throughput under periodic preemption: mcs-pdrn keeps going")
        func periodicPreemptionMCSPDRN() throws { try periodicPreemption(kind: .mcsPDRN) }
        @Test("throughput under periodic preemption: mcs stops")
        func periodicPreemptionMCS() throws { try periodicPreemption(kind: .mcs) }

        func periodicPreemption(kind: LockKind) throws {
            let map = VcoreMap(count: Self.vcores)
            let lock = kind.make(map: map)
            let (fine, foreign) = try foreignCPUMilliseconds {
                try throughput(lock, map: map, run: .milliseconds(300), window: .milliseconds(5))
            }
            defer { if !fine.isEmpty { lock.deallocate(); map.deallocate() } }
            // Other processes took more than 50 ms of CPU during the 300 ms run
            // (the deadline fair server lets them, even over FIFO vcores): the
            // windows then measure them, not the lock. The test case is cancelled:
            // the framework reports it skipped, with this reason, in its totals.
            guard foreign <= 50 else {
                try Test.cancel("\(kind) throughput windows not checked: the machine was busy (\(Int(foreign)) ms of other CPU time during the run)")
            }
            let windows = stride(from: 0, to: fine.count - 1, by: 2).map { fine[$0] + fine[$0 + 1] }
            let stalled = windows.filter { $0 == 0 }.count
            if kind == .mcs {
                // 5 ms windows: a 10 ms stall rarely lines up with a 10 ms window.
                let stalledFine = fine.filter { $0 == 0 }.count
                #expect(stalledFine >= 5, "MCS stalled in only \(stalledFine) windows of 5 ms: \(fine)")
            } else {
                #expect(stalled <= 1, "\(kind): \(stalled) windows of 10 ms without an acquisition: \(windows)")
            }
            #expect(map.preemptionMessages >= map.preemptionCount && map.preemptionCount >= 30,
                    "\(map.preemptionCount) preemptions, \(map.preemptionMessages) messages")
        }

        /// Runs every vcore acquiring in a loop for `run` under the periodic
        /// schedule; returns acquisitions per `window`, from the first round on.
        func throughput<L: KernelLock>(_ lock: L, map: VcoreMap, run: Duration, window: Duration) throws -> [UInt64] {
            let windowNanos = window.nanoseconds
            let count = Int(run.nanoseconds / windowNanos)
            // One row of window counts per vcore, each written by its vcore only.
            nonisolated(unsafe) let counts = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.vcores * count)
            counts.initialize(repeating: 0, count: Self.vcores * count)
            defer { counts.deallocate() }
            let state = Shared(CriticalState())
            nonisolated(unsafe) let critical = state.pointer
            let start = Counters(1)
            let group = VcoreGroup(map: map, cpus: testCPUs)
            try group.start { vcore in
                let node = L.Node.allocate()
                let row = counts + Int(vcore.id) * count
                while start[0] == 0 && !vcore.shouldStop { kb_pause() }
                let origin = start[0]
                while !vcore.shouldStop {
                    lock.lock(node, vcore: vcore.id)
                    criticalSection(critical, vcore: vcore.id)
                    let index = Int((monotonicNanos() &- origin) / windowNanos)
                    if index < count { row[index] += 1 }
                    lock.unlock(node, vcore: vcore.id)
                }
                // Nodes of MCS-PDRO may be read by a successor after our unlock:
                // leak rather than free while others may still run (a test only).
                if L.Node.self == NoNode.self { node.deallocate() }
            }
            // Two of the four vcores (one per CPU) are preempted 10 ms of every
            // 12: then the two that run have a CPU each, as vcores do on Akaros.
            // In the 2 ms gaps all four share the two CPUs and Linux time-slices
            // them (at its 4 ms tick), which no vcore map can see.
            let schedule = PreemptionSchedule(victims: .rotating(count: 2), period: .milliseconds(12),
                                              duration: .milliseconds(10))
            let controller = PreemptionController(map: map, schedule: schedule)
            start.slot(0).pointee.store(monotonicNanos(), ordering: .relaxed)
            try controller.start()
            pause(run)
            controller.stop()
            group.requestStop()
            map.restoreAll()
            let joined = group.join(timeout: .seconds(10))
            #expect(joined, "\(L.name): vcores did not stop")
            #expect(state.value.violations == 0)
            guard joined else { return [] }
            return (0..<count).map { window in (0..<Self.vcores).reduce(0) { $0 + counts[$1 * count + window] } }
        }
    }
}
