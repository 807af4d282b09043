// The switch itself: every callee-saved register, the stack pointer, both FP
// control words and the FS base survive a round trip through a peer that
// clobbers all of them; and the guard page under a uthread stack stops an
// overflow (in a child process).

import BenchKit
import CUthread
import Glibc
import SeededRandom
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Uthread switch", .serialized)
    struct UthreadSwitchTests {
        /// Values the FP control words can hold without trapping: all
        /// exceptions masked; random precision and rounding (x87), random
        /// rounding, flush-to-zero and denormals-are-zero (MXCSR).
        static func randomControlWords(_ random: inout SeededGenerator) -> (UInt64, UInt64) {
            let fcw = 0x003F | UInt64.random(in: 0...3, using: &random) << 8 | UInt64.random(in: 0...3, using: &random) << 10
            let mxcsr = 0x1F80 | UInt64.random(in: 0...3, using: &random) << 13 | UInt64.random(in: 0...1, using: &random) << 15
                | UInt64.random(in: 0...1, using: &random) << 6
            return (fcw, mxcsr)
        }

        /// One round of a register probe: random values to send (regs[0..7],
        /// the probe layout) and, in `junk`, different values for the peer to
        /// clobber every register and FP control word with.
        static func randomProbeRound(_ random: inout SeededGenerator, round: Int, junk: UnsafeMutableRawBufferPointer) -> [UInt64] {
            var regs = [UInt64](repeating: 0, count: 9)
            for i in 0..<6 { regs[i] = random.next() }
            (regs[6], regs[7]) = randomControlWords(&random)
            let (junkFCW, junkMXCSR) = randomControlWords(&random)
            let words = junk.bindMemory(to: UInt64.self)
            for i in 0..<6 { words[i] = ~regs[i] ^ UInt64(round) }
            words[6] = junkFCW
            words[7] = junkMXCSR
            return regs
        }

        /// What a probe found after its switch came back: what it sent, and
        /// the stack pointer it left with.
        static func expectProbeCameBack(_ regs: [UInt64], sent: [UInt64], round: Int) {
            #expect(Array(regs[0..<6]) == Array(sent[0..<6]), "round \(round): callee-saved registers changed")
            #expect(regs[6] & 0x0F3F == sent[6] & 0x0F3F, "round \(round): x87 control word \(regs[6]) != \(sent[6])")
            #expect(regs[7] & 0xFFC0 == sent[7] & 0xFFC0, "round \(round): MXCSR \(regs[7]) != \(sent[7])")
            #expect(regs[8] == 1, "round \(round): stack pointer moved")
        }

        /// Runs `body` with a probe pair whose peer is a fresh context on a
        /// 64 KiB stack of its own.
        static func withProbePair(_ body: (UnsafeMutablePointer<kb_uctx_probe_pair>) throws -> Void) throws {
            let stack = UnsafeMutablePointer<kb_ustack>.allocate(capacity: 1)
            stack.initialize(to: kb_ustack())
            defer { _ = kb_ustack_unmap(stack); stack.deallocate() }
            try #require(kb_ustack_map(stack, 64 * 1024, 0, 16) == 0)
            let pair = UnsafeMutablePointer<kb_uctx_probe_pair>.allocate(capacity: 1)
            pair.initialize(to: kb_uctx_probe_pair())
            defer { pair.deallocate() }
            kb_uctx_make(&pair.pointee.peer, stack.pointee.stack_top, kb_uctx_probe_peer, UnsafeMutableRawPointer(pair))
            try body(pair)
        }

        @Test("random callee-saved registers, stack pointer and FP control words come back after the peer clobbered them")
        func registersSurvive() throws {
            var random = SeededGenerator(seed: 0x5EED_0010)
            try Self.withProbePair { pair in
                let threadPointer = kb_thread_pointer()
                for round in 0..<200 {
                    var regs = withUnsafeMutableBytes(of: &pair.pointee.junk) { Self.randomProbeRound(&random, round: round, junk: $0) }
                    let sent = regs
                    regs.withUnsafeMutableBufferPointer { kb_uctx_probe_switch(&pair.pointee.probe, &pair.pointee.peer, $0.baseAddress) }
                    Self.expectProbeCameBack(regs, sent: sent, round: round)
                    #expect(kb_thread_pointer() == threadPointer)
                }
                #expect(pair.pointee.rounds == 200, "the peer ran once per round")
            }
        }

        /// The registers a context holds, in the probe layout (regs[0..7]).
        static func savedRegisters(_ context: kb_uctx) -> [UInt64] {
            [context.rbx, context.rbp, context.r12, context.r13, context.r14, context.r15,
             UInt64(context.fpu_cw), UInt64(context.mxcsr)]
        }

        @Test("a switch stores the registers it leaves in the context left: the probe's values in its own, the peer's junk in the peer's")
        func registersLiveInTheContext() throws {
            var random = SeededGenerator(seed: 0x5EED_0011)
            try Self.withProbePair { pair in
                for round in 0..<50 {
                    var regs = withUnsafeMutableBytes(of: &pair.pointee.junk) { Self.randomProbeRound(&random, round: round, junk: $0) }
                    let sent = regs
                    let junk = withUnsafeBytes(of: pair.pointee.junk) { Array($0.bindMemory(to: UInt64.self)) }
                    regs.withUnsafeMutableBufferPointer { kb_uctx_probe_switch(&pair.pointee.probe, &pair.pointee.peer, $0.baseAddress) }
                    let probe = Self.savedRegisters(pair.pointee.probe), peer = Self.savedRegisters(pair.pointee.peer)
                    #expect(Array(probe[0..<6]) == Array(sent[0..<6]), "round \(round): the probe's context")
                    #expect(probe[6] & 0x0F3F == sent[6] & 0x0F3F && probe[7] & 0xFFC0 == sent[7] & 0xFFC0,
                            "round \(round): the probe's FP control words")
                    #expect(Array(peer[0..<6]) == Array(junk[0..<6]), "round \(round): the peer's context")
                    #expect(peer[6] & 0x0F3F == junk[6] & 0x0F3F && peer[7] & 0xFFC0 == junk[7] & 0xFFC0,
                            "round \(round): the peer's FP control words")
                }
            }
        }

        @Test("a uthread's control block puts the queue link, vcore, state, stack pointer and first registers in its first cache line")
        func controlBlockLayout() throws {
            typealias Core = kb_uthread_core
            let context = try #require(MemoryLayout<Core>.offset(of: \Core.ctx))
            let firstLine = [MemoryLayout<Core>.offset(of: \Core.run_next), MemoryLayout<Core>.offset(of: \Core.vcore),
                             MemoryLayout<Core>.offset(of: \Core.state), MemoryLayout<Core>.offset(of: \Core.has_tls),
                             MemoryLayout<Core>.offset(of: \Core.ctx.sp).map { $0 + 7 },
                             MemoryLayout<Core>.offset(of: \Core.ctx.rbx).map { $0 + 7 }]
            #expect(firstLine.allSatisfy { ($0 ?? 64) < 64 }, "\(firstLine)")
            #expect(context + MemoryLayout<kb_uctx>.size <= 128, "the whole context within two lines")
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts, configuration: UthreadConfiguration(stackBytes: 16 * 1024))
            let uthreads = try (0..<4).map { _ in try scheduler.spawn(start: .suspended) { _ in } }
            #expect(uthreads.allSatisfy { UInt(bitPattern: $0.record) % 64 == 0 }, "records start a cache line")
        }

        @Test("each FS-loading switch loads the target's FS base and the way back restores the vcore's",
              arguments: FSBaseMechanism.allCases)
        func fsBaseFollowsTheContext(mechanism: FSBaseMechanism) throws {
            guard FSBaseMechanism.detected.supports(mechanism) else {
                try Test.cancel("\(mechanism.rawValue) is not usable on this machine")
            }
            let scheduler = try TwoLevelScheduler(variant: .locked, configuration: UthreadConfiguration(fsBase: mechanism))
            let log = UthreadLog()
            let outcomes = try UthreadVcores.run(scheduler, tls: true) { vcore in
                let vcoreThreadPointer = kb_thread_pointer()
                for _ in 0..<3 {
                    try scheduler.spawn(tls: true, on: vcore) { me in
                        for _ in 0..<5 {
                            let inside = kb_thread_pointer()
                            if inside != me.record.pointee.context.fs_base || inside == vcoreThreadPointer {
                                log.failures.append("uthread \(me.id): FS base \(inside), expected its block \(me.record.pointee.context.fs_base)")
                            }
                            me.yield()
                        }
                    }
                }
            }
            #expect(outcomes == [.finished])
            #expect(log.failures.isEmpty, "\(log.failures)")
        }

        @Test("a vcore's FS base is its own again after running TLS uthreads")
        func vcoreFSBaseRestored() throws {
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts)
            final class Seen: @unchecked Sendable { var before: UInt64 = 0; var after: UInt64 = 0 }
            let seen = Seen()
            let team = ThreadTeamRunner()
            try team.run {
                let vcore = try scheduler.makeVcore(id: 0, tls: true)
                for _ in 0..<4 { try scheduler.spawn(tls: true, on: vcore) { me in me.yield(); me.yield() } }
                seen.before = kb_thread_pointer()
                _ = vcore.run()
                seen.after = kb_thread_pointer()
            }
            #expect(seen.before != 0 && seen.before == seen.after)
        }

        @Test("the guard page under a uthread stack turns an overflow into SIGSEGV (in a child process)")
        func guardPageCatchesOverflow() throws {
            let result = kb_uctx_probe_overflow_in_child(16 * 4096, 20_000)
            if result == -ETIMEDOUT { try Test.cancel("the child did not finish in 20 s (busy machine)") }
            #expect(result == SIGSEGV, "child ended with \(result) (signal number, 1000+exit status, or -errno)")
        }
    }
}

/// One pinned thread, for code that must run off the main thread (vcores
/// with TLS templates), joined with a bound.
struct ThreadTeamRunner {
    func run(_ body: @escaping @Sendable () throws -> Void) throws {
        final class Slot: @unchecked Sendable { var error: (any Error)? }
        let team = BenchKit.ThreadTeam(cpus: try UthreadVcores.cpus(1)) { _, _ in Slot() }
        try team.launch(body: { _, slot in
            do { try body() } catch { slot.error = error }
        })
        team.release()
        let joined = team.join(timeout: .seconds(30))
        guard joined.joined else { throw UthreadTestTimeout(abandoned: joined.abandoned) }
        if let error = team.workspaces[0].error { throw error }
    }
}
