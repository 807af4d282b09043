// Switch-to as one assembly routine (kb_uthread_switch_to): registers, FP
// control words, stack pointer and FS base survive it on the fast path and
// through vcore context (events pending before or during the switch); the
// C and Swift views of the control blocks agree; a ring of switch-tos keeps
// its order while another thread posts events.

import CPlatform
import CUthread
import Glibc
import Platform
import SeededRandom
import Synchronization
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Switch-to in assembly", .serialized)
    struct SwitchToAssemblyTests {
        @Test("the assembly's offsets and codes are those of the Swift control blocks")
        func layoutsAgree() {
            #expect(MemoryLayout<UthreadRecord>.offset(of: \UthreadRecord.core) == 0)
            #expect(MemoryLayout<VcoreState>.offset(of: \VcoreState.core) == 0)
            #expect(UthreadState.runnable.rawValue == UInt8(KB_UTHREAD_RUNNABLE))
            #expect(UthreadState.running.rawValue == UInt8(KB_UTHREAD_RUNNING))
            #expect(UthreadState.blocked.rawValue == UInt8(KB_UTHREAD_BLOCKED))
            #expect(UthreadState.exited.rawValue == UInt8(KB_UTHREAD_EXITED))
            #expect(VcoreAction.none.rawValue == UInt8(KB_VCORE_ACTION_NONE))
            #expect(VcoreAction.requeue.rawValue == UInt8(KB_VCORE_ACTION_REQUEUE))
            #expect(VcoreAction.block.rawValue == UInt8(KB_VCORE_ACTION_BLOCK))
            #expect(VcoreAction.handOff.rawValue == UInt8(KB_VCORE_ACTION_HAND_OFF))
            #expect(VcoreAction.exit.rawValue == UInt8(KB_VCORE_ACTION_EXIT))
            #expect(FSBaseMechanism.wrfsbase.rawCode == UInt8(KB_FS_WRFSBASE))
            #expect(FSBaseMechanism.archPrctl.rawCode == UInt8(KB_FS_ARCH_PRCTL))
        }

        /// Which FS path the harness' peer takes.
        enum PeerFS: String, CaseIterable, Sendable {
            case none, wrfsbase, archPrctl
        }

        @Test("random callee-saved registers, stack pointer and FP control words survive switch-to, its fast path and both ways through vcore context",
              arguments: PeerFS.allCases)
        func registersSurvive(peerFS: PeerFS) throws {
            if peerFS == .wrfsbase && !FSBaseMechanism.detected.supports(.wrfsbase) {
                try Test.cancel("wrfsbase is not usable on this machine")
            }
            var random = SeededGenerator(seed: 0x5EED_0011)
            let stacks = UnsafeMutablePointer<kb_ustack>.allocate(capacity: 2)
            stacks.initialize(repeating: kb_ustack(), count: 2)
            defer { _ = kb_ustack_unmap(stacks); _ = kb_ustack_unmap(stacks + 1); stacks.deallocate() }
            try #require(kb_ustack_map(stacks, 64 * 1024, 0, 16) == 0)
            try #require(kb_ustack_map(stacks + 1, 64 * 1024, 0, 16) == 0)
            let h = UnsafeMutablePointer<kb_uthread_probe_harness>.allocate(capacity: 1)
            defer { h.deallocate() }
            let mechanism = peerFS == .archPrctl ? KB_FS_ARCH_PRCTL : KB_FS_WRFSBASE
            kb_uthread_probe_harness_init(h, stacks.pointee.stack_top, stacks[1].stack_top,
                                          peerFS == .none ? 0 : 1, Int32(mechanism))
            // The peer posts before switching back on every third round (the
            // slow path from the peer's side), the probe before its own switch
            // on others (from the probe's side); the rest take the fast path.
            h.pointee.peer_posts_mask = 0x4924_9249_2492_4924
            let threadPointer = kb_thread_pointer()
            var posted: UInt64 = 0
            let rounds = 300
            for round in 0..<rounds {
                var regs = withUnsafeMutableBytes(of: &h.pointee.junk) {
                    UthreadSwitchTests.randomProbeRound(&random, round: round, junk: $0)
                }
                let probePosts = round % 3 == 1
                if probePosts {
                    kb_vcore_posted_add_release(&h.pointee.events, 1)
                    kb_vcore_notif_pending_store_release(&h.pointee.events, 1)
                    posted += 1
                }
                if h.pointee.peer_posts_mask & (1 << UInt64((round + 1) % 64)) != 0 { posted += 1 }
                let sent = regs
                regs.withUnsafeMutableBufferPointer {
                    kb_uthread_probe_switch_to(&h.pointee.probe, &h.pointee.peer, $0.baseAddress)
                }
                UthreadSwitchTests.expectProbeCameBack(regs, sent: sent, round: round)
                #expect(kb_thread_pointer() == threadPointer, "round \(round): FS base not the vcore's")
                #expect(kb_vcore_notif_pending_load_acquire(&h.pointee.events) == 0,
                        "round \(round): the probe resumed before the event was handled")
                #expect(h.pointee.probe.state == UInt8(KB_UTHREAD_RUNNING) && h.pointee.peer.state == UInt8(KB_UTHREAD_BLOCKED),
                        "round \(round): states \(h.pointee.probe.state), \(h.pointee.peer.state)")
                #expect(h.pointee.vcore.current == UnsafeMutableRawPointer(h).assumingMemoryBound(to: kb_uthread_core.self),
                        "round \(round): the vcore's current uthread is not the probe")
            }
            #expect(h.pointee.rounds == UInt64(rounds), "the peer ran once per round")
            #expect(h.pointee.ran_with_pending == 0, "the peer ran before an event was handled")
            #expect(h.pointee.bad_hand_offs == 0)
            #expect(h.pointee.late_hand_offs == 0)
            #expect(h.pointee.vcore_entries == posted, "every post took the slow path once")
            #expect(h.pointee.events_handled == posted)
            #expect(h.pointee.vcore.pops >= UInt64(2 * rounds))
        }

        @Test("switch-to loads each TLS uthread's FS base and the vcore's for a uthread without TLS; TLS values and errno stay each one's",
              arguments: FSBaseMechanism.allCases)
        func tlsRing(mechanism: FSBaseMechanism) throws {
            guard FSBaseMechanism.detected.supports(mechanism) else {
                try Test.cancel("\(mechanism.rawValue) is not usable on this machine")
            }
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts,
                                                  configuration: UthreadConfiguration(fsBase: mechanism))
            let log = UthreadLog()
            final class Ring: @unchecked Sendable { var members: [Uthread] = []; var vcoreTP: UInt64 = 0 }
            let ring = Ring()
            let count = 5, laps = 20
            try ThreadTeamRunner().run {
                let vcore = try scheduler.makeVcore(id: 0, tls: true)
                ring.vcoreTP = kb_thread_pointer()
                kb_tls_probe_set(0xC0FFEE)
                for index in 0..<count {
                    // Uthread 2 has no TLS: it must run with the vcore's.
                    let tls = index != 2
                    ring.members.append(try scheduler.spawn(tls: tls, on: vcore, start: index == 0 ? .runnable : .suspended) { me in
                        let expected = tls ? me.record.pointee.context.fs_base : ring.vcoreTP
                        let mine: UInt64 = tls ? 0xA000 + UInt64(me.id) : 0xC0FFEE
                        if tls { kb_tls_probe_set(mine); Glibc.errno = Int32(500 + me.id) }
                        for lap in 0..<laps {
                            if kb_thread_pointer() != expected {
                                log.failures.append("uthread \(me.id) lap \(lap): FS base \(kb_thread_pointer()), expected \(expected)")
                            }
                            if kb_tls_probe_get() != mine { log.failures.append("uthread \(me.id) lap \(lap): TLS \(kb_tls_probe_get())") }
                            if tls && Glibc.errno != Int32(500 + me.id) { log.failures.append("uthread \(me.id) lap \(lap): errno \(Glibc.errno)") }
                            log.entries.append(me.id)
                            if !(lap == laps - 1 && me.id == count - 1) {
                                me.switchTo(ring.members[(me.id + 1) % count])
                            }
                        }
                        let next = (me.id + 1) % count
                        if next != count - 1 { scheduler.wake(ring.members[next]) }
                    })
                }
                let outcome = vcore.run()
                if outcome != .finished { log.failures.append("vcore: \(outcome)") }
                if kb_thread_pointer() != ring.vcoreTP { log.failures.append("the vcore's FS base was not restored") }
                if kb_tls_probe_get() != 0xC0FFEE { log.failures.append("the vcore's TLS value was overwritten") }
            }
            #expect(log.failures.isEmpty, "\(log.failures.prefix(5))")
            #expect(log.entries == (0..<(count * laps)).map { $0 % count }, "the ring ran out of order")
        }

        @Test("a ring of switch-tos keeps its order and handles every event while another thread posts them")
        func foreignPosterDuringSwitchTo() throws {
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts)
            final class Shared: @unchecked Sendable {
                let running = Atomic<Bool>(false)
                let done = Atomic<Bool>(false)
                let posted = Atomic<UInt64>(0)
                var vcore: VcoreContext?
                var members: [Uthread] = []
                var last = -1
                var outOfOrder = 0
                var steps = 0
                var handled: UInt64 = 0
                var late: UInt64 = 0
                var outcome: VcoreContext.Outcome?
            }
            let shared = Shared()
            let count = 4
            let poster = try PinnedThread.start(cpu: nil) {
                let deadline = monotonicNanos() &+ 20_000_000_000
                while !shared.running.load(ordering: .acquiring) {
                    if monotonicNanos() > deadline { return }
                    sleepNanoseconds(100_000)
                }
                while !shared.done.load(ordering: .acquiring) {
                    shared.vcore!.postEvent()
                    shared.posted.wrappingAdd(1, ordering: .relaxed)
                    for _ in 0..<Int.random(in: 0..<200) { kb_pause() }
                }
            }
            defer { poster.join() }
            _ = try UthreadVcores.run(scheduler) { vcore in
                shared.vcore = vcore
                for index in 0..<count {
                    shared.members.append(try scheduler.spawn(start: index == 0 ? .runnable : .suspended) { me in
                        shared.running.store(true, ordering: .releasing)
                        let deadline = monotonicNanos() &+ 5_000_000_000
                        while true {
                            if shared.last != -1 && shared.last != (me.id + count - 1) % count { shared.outOfOrder += 1 }
                            shared.last = me.id
                            shared.steps += 1
                            // Enough late hand-offs seen, or out of time: unwind.
                            if me.id == count - 1 && ((vcore.lateHandOffs >= 3 && shared.steps > 100_000)
                                                      || monotonicNanos() > deadline) { break }
                            me.switchTo(shared.members[(me.id + 1) % count])
                            if shared.done.load(ordering: .acquiring) { break }
                        }
                        shared.done.store(true, ordering: .releasing)
                        let next = (me.id + 1) % count
                        if next != count - 1 { scheduler.wake(shared.members[next]) }
                    })
                }
                shared.outcome = vcore.run()
                shared.done.store(true, ordering: .releasing)
                shared.handled = vcore.eventsHandled
                shared.late = vcore.lateHandOffs
            }
            shared.vcore = nil
            #expect(shared.outcome == .finished)
            #expect(shared.outOfOrder == 0, "a switch-to resumed another uthread than its target")
            #expect(shared.handled > 0 && shared.handled <= shared.posted.load(ordering: .relaxed))
            if shared.late == 0 {
                try Test.cancel("no event landed during a switch in time (the poster thread did not run beside the vcore: busy machine)")
            }
        }
    }
}
