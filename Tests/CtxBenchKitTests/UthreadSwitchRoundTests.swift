// Switch-to measured in the same rounds as Boost: the ratio rows divide trial
// i by trial i, Boost's ring runs whole laps of any size, and the table
// reads the paired ratio when there is one.

import Platform
import BenchKit
import RunFormat
import Testing
@testable import CtxBenchKit

@Suite(.serialized, .timeLimit(.minutes(1))) struct UthreadSwitchRoundTests {
    let clock = TSCClock.calibrate(intervalNs: 20_000_000)
    var runner: TrialRunner { TrialRunner(clock: clock, overheadTicks: 0, trials: 4, iterations: 600, warmupBatches: 1) }

    /// Runs `body` on a pinned vcore thread (uthreads must be made and run there).
    func onVcoreThread(_ body: @escaping @Sendable () throws -> [Measurement]) throws -> [Measurement] {
        final class Slot: @unchecked Sendable { var rows: [Measurement] = []; var error: (any Error)? }
        let team = ThreadTeam(cpus: [try Affinity.allowedCPUs().cpus[0]]) { _, _ in Slot() }
        try team.launch(body: { _, slot in
            do { slot.rows = try body() } catch { slot.error = error }
        })
        team.release()
        #expect(team.join(timeout: .seconds(30)).joined)
        if let error = team.workspaces[0].error { throw error }
        return team.workspaces[0].rows
    }

    @Test("every ratio row is trial i of switch-to over trial i of its base, from the same rounds")
    func pairedRows() throws {
        let runner = self.runner
        let rows = try onVcoreThread {
            let benches = try [2, 3].map { try UthreadSwitch(path: .switchTo, threads: $0, tls: false, fsBase: nil) }
            let rings = try [2, 3].map { try BoostRing(contexts: $0, stackBytes: 16 * 1024) }
            let rows = UthreadSwitchRound.measure(benches, rings: rings, runner: runner, fsBase: "none")
            for bench in benches { #expect(bench.finish()) }
            return rows
        }
        func row(_ variant: String, _ threads: Int, _ metric: String) -> Measurement? {
            rows.first { $0.variant == variant && $0.threads == threads && $0.metric == metric }
        }
        let own3 = try #require(row("uthread_switch-to", 3, "switch"))
        let own2 = try #require(row("uthread_switch-to", 2, "switch"))
        let ring3 = try #require(row("reference", 3, "switch"))
        let ring2 = try #require(row("reference", 2, "switch"))
        #expect(own3.param == "iterations=600 fs_base=none" && ring3.param == BoostRing.param)
        #expect(own3.trials.count == 4 && ring3.trials.count == 4)
        for (ratio, numerator, denominator) in [
            (row("uthread_switch-to", 3, "ratio_to_2_uthreads"), own3, own2),
            (row("uthread_switch-to", 3, "ratio_to_boost_ring"), own3, ring3),
            (row("reference", 3, "ratio_to_2_contexts"), ring3, ring2),
        ] {
            let ratio = try #require(ratio)
            #expect(ratio.unit == "ratio")
            for i in 0..<4 {
                #expect(abs(ratio.trials[i] - numerator.trials[i] / denominator.trials[i]) < 1e-12)
            }
        }
        let toBoost = try #require(row("uthread_switch-to", 2, "ratio_to_boost_jump_fcontext"))
        #expect(toBoost.trials.count == 4 && toBoost.trials.allSatisfy { $0 > 0 })
        #expect(row("uthread_switch-to", 2, "ratio_to_2_uthreads") == nil, "no ratio of 2 to itself")
        #expect(rows.filter { $0.variant == "reference" && $0.threads == 1 }.isEmpty,
                "the ping-pong's own row is the session's first reference, not repeated")
        #expect(rows.allSatisfy { $0.unit == "ratio" || $0.statistics.min > 0 })
    }

    @Test("Boost's ring runs whole laps of any size and hands control back", arguments: [2, 3, 7, 64])
    func ringSizes(contexts: Int) throws {
        let ring = try BoostRing(contexts: contexts, stackBytes: 16 * 1024)
        for iterations in [1, contexts, 10 * contexts + 1] {
            #expect(ring.runBatch(iterations: iterations) > 0)
        }
        let member = UthreadSwitchRoundMember.ring(ring)
        #expect(member.switches(near: 10 * contexts + 1) == 10 * contexts)
        #expect(member.switches(near: 1) == contexts, "at least one lap")
    }

    @Test("a ring of fewer than 2 contexts is refused with the errno")
    func ringTooSmall() {
        #expect(throws: SystemCallError.self) { try BoostRing(contexts: 1, stackBytes: 16 * 1024) }
        #expect(throws: SystemCallError.self) { try BoostRing(contexts: 2, stackBytes: 0) }
    }

    @Test("the ping-pong runs whole round trips; ticks scale to the round's iterations")
    func pingPongRounding() {
        let member = UthreadSwitchRoundMember.pingPong
        #expect(member.switches(near: 101) == 100 && member.switches(near: 1) == 2)
    }

    @Test("the targets read the paired ratio when the run has one")
    func tablePrefersPairedRatio() {
        func row(_ variant: String, _ threads: Int, _ metric: String, _ unit: String, _ value: Double, param: String = "") -> Measurement {
            Measurement(benchmark: "switch", variant: variant, threads: threads, param: param, metric: metric, unit: unit,
                        lowerIsBetter: true, statistics: SampleStatistics([value])!, trials: [value])
        }
        let rows = [
            row("reference", 1, "switch", "ns", 6, param: "peer=boost_jump_fcontext"),
            row("uthread_switch-to", 2, "switch", "ns", 12),         // 2.0x from medians taken apart
            row("uthread_switch-to", 2, "ratio_to_boost_jump_fcontext", "ratio", 1.25),
            row("uthread_switch-to", 1000, "switch", "ns", 30),
            row("uthread_switch-to", 1000, "ratio_to_2_uthreads", "ratio", 1.4),
            row("reference", 1000, "ratio_to_2_contexts", "ratio", 1.45, param: BoostRing.param),
        ]
        let table = SwitchTable.render(rows)
        #expect(table.contains("switch-to w/o TLS, 2 thr / Boost jump_fcontext (paired)"))
        #expect(table.contains("1.25x"), "the paired ratio, not 12 / 6")
        #expect(table.contains("uthread_switch-to, 1000 thr / 2 thr (paired)") && table.contains("1.4x"))
        #expect(table.contains("Boost ring, 1000 contexts / 2 (paired): 1.45x"))
        let unpaired = SwitchTable.render(rows.filter { $0.unit == "ns" })
        #expect(unpaired.contains("2.0x") && !unpaired.contains("(paired)"))
    }
}
