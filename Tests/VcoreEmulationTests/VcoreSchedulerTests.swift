// The emulated kernel's core scheduler (VcoreMap+Cores): more vcores than
// CPUs with a truthful map. The map never shows more running vcores than
// pcores, nor two on one pcore; every vcore gets a core in round-robin
// order; exits hand their core on, so a run cannot hang waiting for a vcore
// that never gets one.

import Platform
import BenchKit
import Testing
import KernelTestSupport
import KernelCore
import CPlatform
@testable import VcoreEmulation
#if canImport(Glibc)
import Glibc
#endif

extension VcoreEmulationSuite {
    @Suite("Vcore scheduler", .serialized, .timeLimit(.minutes(1)))
    struct VcoreSchedulerTests {
        /// What the vcores saw of the map while they ran.
        final class Sightings: @unchecked Sendable {
            let progress: Counters
            /// Consistent snapshots taken, and those that broke the invariant.
            let checks = Counters(1)
            let violations = Counters(1)
            let worst = Counters(1)
            init(_ count: Int) { progress = Counters(count) }
        }

        /// Reads the map consistently (under the sequence counter, allocating
        /// nothing: a vcore may be parked holding the malloc lock) and
        /// returns how many vcores run, or -1 if two share a pcore, one runs
        /// without one, or one runs on a pcore out of range.
        static func runningCount(_ map: VcoreMap, pcores: Int) -> Int {
            while true {
                let start = map.sequence
                if start & 1 != 0 { kb_pause(); continue }
                var running = 0, seen: UInt64 = 0, broken = false
                for vcore in 0..<UInt32(map.count) where map.isPreempted(vcore) == false && map.state(vcore) == .running {
                    running += 1
                    guard let p = map.pcore(of: vcore), p < pcores, seen & (1 << UInt64(p)) == 0 else {
                        broken = true
                        continue
                    }
                    seen |= 1 << UInt64(p)
                }
                if map.sequence == start { return broken ? -1 : running }
            }
        }

        /// Starts `count` scheduled vcores on the test CPUs whose bodies spin,
        /// counting progress and checking the map every 256 iterations.
        static func start(count: Int, fifo: Int32?) throws -> (VcoreMap, VcoreGroup, Sightings) {
            let map = VcoreMap(count: count)
            let group = VcoreGroup(map: map, cpus: testCPUs, fifoPriority: fifo, placement: .scheduled)
            let pcores = map.pcoreCount
            let seen = Sightings(count)
            try group.start { vcore in
                var spins = 0
                while !vcore.shouldStop {
                    seen.progress.increment(Int(vcore.id))
                    spins += 1
                    if spins & 255 == 0 {
                        let running = runningCount(vcore.map, pcores: pcores)
                        seen.checks.increment(0)
                        if running < 0 || running > pcores { seen.violations.increment(0) }
                        if UInt64(max(running, 0)) > seen.worst[0] {
                            seen.worst.slot(0).pointee.store(UInt64(running), ordering: .relaxed)
                        }
                    }
                    kb_pause()
                }
            }
            return (map, group, seen)
        }

        @Test("placement: vcores below the pcore count start running on their pcore, the rest preempted")
        func initialPlacement() throws {
            let count = 7
            let map = VcoreMap(count: count)
            let group = VcoreGroup(map: map, cpus: testCPUs + testCPUs, placement: .scheduled)
            #expect(map.pcoreCount == testCPUs.count, "duplicate CPUs made extra pcores")
            #expect(group.cpus == (0..<count).map { testCPUs[$0 % testCPUs.count] })
            try group.launch { _ in }
            for vcore in 0..<UInt32(count) {
                let first = Int(vcore) < map.pcoreCount
                #expect(map.state(vcore) == (first ? .running : .preempted), "vcore \(vcore)")
                #expect(map.pcore(of: vcore) == (first ? Int(vcore) : nil), "vcore \(vcore)")
            }
            #expect(map.preemptionMessages == 0, "starting without a core is not a preemption message")
            // No rotation at all: the exits alone hand the cores on.
            group.release()
            let joined = group.join(timeout: .seconds(10))
            #expect(joined, "vcores waiting for a core never got one from the exits")
            #expect((0..<UInt32(count)).allSatisfy { map.state($0) == .exited })
            if joined { map.deallocate() } else { _ = map.restoreAll() }
        }

        @Test("rotation by hand: round robin, every vcore granted within one of the others, the oldest preempted")
        func fairRotation() throws {
            let count = 8
            let (map, group, seen) = try Self.start(count: count, fifo: nil)
            let pcores = map.pcoreCount
            let ticks = 40
            var preempted = 0
            for _ in 0..<ticks {
                preempted += map.rotate()
                #expect(Self.runningCount(map, pcores: pcores) == pcores)
                pause(.milliseconds(1))
            }
            let grants = (0..<UInt32(count)).map { map.grants($0) }
            group.requestStop()
            // The vcores without a core need the rotation to see the stop.
            let joined = try BoundedWait.run(.seconds(20)) {
                while !group.join(timeout: .milliseconds(2)) { map.rotate() }
            }
            #expect(joined, "vcores did not finish under rotation")
            #expect(map.schedulerTicks >= UInt64(ticks))
            // Every tick moves every pcore (more vcores wait than there are pcores).
            #expect(preempted == ticks * pcores)
            #expect(grants.reduce(0, +) == UInt64(ticks * pcores))
            #expect(grants.max()! - grants.min()! <= 1, "unfair grants \(grants)")
            #expect((0..<count).allSatisfy { seen.progress[$0] > 0 }, "a vcore never ran")
            #expect(seen.violations[0] == 0, "\(seen.violations[0]) of \(seen.checks[0]) snapshots broke the invariant")
            #expect(map.rotationPreemptionCount == UInt64(preempted))
            if joined { map.deallocate() } else { _ = map.restoreAll() }
        }

        @Test("controller: rotation every 1 ms with rounds on top: never more running vcores than pcores",
              arguments: [nil, 10] as [Int32?])
        func controllerRotation(fifo: Int32?) throws {
            if fifo != nil, geteuid() != 0 {
                try Test.cancel("SCHED_FIFO needs root (or CAP_SYS_NICE)")
            }
            let count = 8
            let (map, group, seen) = try Self.start(count: count, fifo: fifo)
            let schedule = PreemptionSchedule(victims: .rotating(count: 1), period: .milliseconds(20),
                                              duration: .milliseconds(5), initialDelay: .milliseconds(5))
            let controller = PreemptionController(map: map, schedule: testCPUs.count > 1 ? schedule : nil,
                                                  rotation: .milliseconds(1), priority: (fifo ?? 1) + 1)
            try controller.start()
            pause(.milliseconds(400))
            group.requestStop()
            let joined = group.join(timeout: .seconds(20))
            #expect(joined, "vcores did not finish while the controller rotated")
            controller.stop()
            #expect(map.schedulerTicks > 10, "only \(map.schedulerTicks) ticks")
            #expect((0..<count).allSatisfy { seen.progress[$0] > 0 },
                    "a vcore never ran: \((0..<count).map { seen.progress[$0] })")
            #expect(seen.checks[0] > 0)
            #expect(seen.violations[0] == 0, "\(seen.violations[0]) of \(seen.checks[0]) snapshots broke the invariant")
            #expect(seen.worst[0] <= UInt64(map.count))
            if testCPUs.count > 1 {
                let rounds = controller.rounds
                #expect(!rounds.isEmpty)
                #expect(rounds.allSatisfy { $0.victims.count <= 1 && $0.restoredNanos > $0.preemptedNanos })
            }
            if joined { map.deallocate() }
        }

        @Test("a revoked pcore is held by nobody until it is returned")
        func revokedCore() throws {
            if testCPUs.count < 2 { try Test.cancel("needs two CPUs") }
            let count = 5
            let (map, group, _) = try Self.start(count: count, fifo: nil)
            let victims = UnsafeMutablePointer<VcoreID>.allocate(capacity: count)
            defer { victims.deallocate() }
            let taken = map.revokeCores(1, round: 1, victims: victims)
            #expect(taken == 1 && victims[0] == 1, "pcore 1's vcore 1 is the victim")
            for _ in 0..<10 {
                map.rotate()
                let running = map.runningSnapshot()
                #expect(running.count == 1 && running.allSatisfy { $0.pcore == 0 }, "\(running)")
            }
            #expect(map.returnCores() == 1)
            #expect(map.runningSnapshot().count == 2)
            group.requestStop()
            let joined = try BoundedWait.run(.seconds(20)) {
                while !group.join(timeout: .milliseconds(2)) { map.rotate() }
            }
            #expect(joined)
            if joined { map.deallocate() }
        }
    }
}
