// The vcore group as a thread team: vcores registered before the start and
// gone from the map after, one start tick, CPUs shared round robin, SCHED_FIFO,
// and a preempted vcore that finishes only once it runs again.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
import KernelCore
import VcoreEmulation
import BenchKit
#if canImport(Glibc)
import Glibc
#endif

extension VcoreEmulationSuite {
    @Suite("Vcore group", .serialized, .timeLimit(.minutes(1)))
    struct VcoreGroupTests {
        /// What each vcore saw, one counter per vcore (each writes only its own).
        final class Sightings: @unchecked Sendable {
            /// 1 + the CPU the vcore ran its `onReady` on.
            let readyCPU: Counters
            /// 1 when the map said "running" on this vcore's CPU in `onReady`.
            let registered: Counters
            /// The start tick the body saw.
            let startTick: Counters
            /// 1 + the SCHED_FIFO priority `onReady` ran at (0: another policy).
            let fifoPriority: Counters

            init(_ count: Int) {
                (readyCPU, registered, startTick, fifoPriority) = (Counters(count), Counters(count), Counters(count),
                                                                   Counters(count))
            }
        }

        static func launch(_ group: VcoreGroup, recording seen: Sightings) throws {
            let map = group.map
            try group.launch(onReady: { vcore in
                let id = Int(vcore.id)
                seen.readyCPU.slot(id).pointee.store(UInt64(Affinity.currentCPU() + 1), ordering: .relaxed)
                let running = map.state(vcore.id) == .running && map.cpu(vcore.id) == vcore.cpu
                seen.registered.slot(id).pointee.store(running ? 1 : 0, ordering: .relaxed)
                let policy = SchedulingState.current()
                seen.fifoPriority.slot(id).pointee.store(policy.policy == "SCHED_FIFO" ? UInt64(policy.priority + 1) : 0,
                                                          ordering: .relaxed)
            }) { vcore in
                seen.startTick.slot(Int(vcore.id)).pointee.store(vcore.startTick, ordering: .relaxed)
            }
        }

        @Test("more vcores than CPUs: each registers on its CPU, all start at one tick, all leave the map")
        func sharedCPUs() throws {
            let count = testCPUs.count * 2 + 1
            let map = VcoreMap(count: count)
            let group = VcoreGroup(map: map, cpus: testCPUs)
            #expect(group.cpus == (0..<count).map { testCPUs[$0 % testCPUs.count] })
            let seen = Sightings(count)
            try Self.launch(group, recording: seen)
            // Launched: registered and asleep, nobody has begun.
            #expect((0..<count).allSatisfy { seen.startTick[$0] == 0 && map.state(VcoreID($0)) == .running })
            let start = group.release()
            let joined = group.join(timeout: .seconds(10))
            #expect(joined)
            #expect(group.finishedCount == count)
            for id in 0..<count {
                #expect(seen.readyCPU[id] == UInt64(group.cpus[id]) + 1, "vcore \(id) ran elsewhere")
                #expect(seen.registered[id] == 1, "vcore \(id) was not registered before the start")
                #expect(seen.startTick[id] == start, "vcore \(id) saw another start")
                #expect(seen.fifoPriority[id] == 0, "vcore \(id) runs SCHED_FIFO unasked")
                #expect(map.state(VcoreID(id)) == .exited)
            }
            if joined { map.deallocate() }
        }

        @Test("with a priority every vcore runs SCHED_FIFO at it, CPUs shared or not",
              .enabled(if: geteuid() == 0, "SCHED_FIFO needs root (or CAP_SYS_NICE)"))
        func fifo() throws {
            let count = testCPUs.count + 1
            let map = VcoreMap(count: count)
            let group = VcoreGroup(map: map, cpus: testCPUs, fifoPriority: 7)
            let seen = Sightings(count)
            try Self.launch(group, recording: seen)
            group.release()
            let joined = group.join(timeout: .seconds(10))
            #expect(joined)
            #expect((0..<count).allSatisfy { seen.fifoPriority[$0] == 7 + 1 })
            #expect(SchedulingState.current().policy == "SCHED_OTHER", "the coordinator's policy changed")
            if joined { map.deallocate() }
        }

        @Test("a vcore preempted when asked to stop finishes only once restored; join may be retried")
        func preemptedVcoreFinishesAfterRestore() throws {
            let map = VcoreMap(count: 2)
            let group = VcoreGroup(map: map, cpus: testCPUs)
            let progress = Counters(2)
            try group.start { vcore in
                while !vcore.shouldStop {
                    progress.increment(Int(vcore.id))
                    kb_pause()
                }
            }
            #expect(waitUntil(timeout: .seconds(2)) { progress[1] > 0 })
            #expect(map.preempt(1))
            #expect(waitUntil(timeout: .seconds(2)) { map.isParked(1) }, "the signal never parked vcore 1")
            group.requestStop()
            #expect(waitUntil(timeout: .seconds(2)) { group.finishedCount == 1 }, "vcore 0 did not return")
            #expect(!group.join(timeout: .milliseconds(50)), "a parked vcore finished")
            #expect(map.state(1) == .preempted)
            #expect(map.restore(1))
            let joined = group.join(timeout: .seconds(5))
            #expect(joined, "the restored vcore did not return")
            #expect(group.finishedCount == 2 && map.state(1) == .exited && map.state(0) == .exited)
            if joined { map.deallocate() } else { _ = map.restoreAll() }
        }
    }
}
