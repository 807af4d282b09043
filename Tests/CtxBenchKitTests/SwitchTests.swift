// ctxbench switch: every configuration yields a positive cost per switch,
// the uthreads of a benchmark all exit at the end, kernel threads by both
// mechanisms finish in bounded time, and bad plans are refused by option.

import Platform
import BenchKit
import KernelCore
import RunFormat
import Testing
@testable import CtxBenchKit

@Suite(.serialized, .timeLimit(.minutes(1))) struct SwitchTests {
    let clock = TSCClock.calibrate(intervalNs: 50_000_000)
    var runner: TrialRunner { TrialRunner(clock: clock, overheadTicks: 0, trials: 3, iterations: 2_000, warmupBatches: 1) }

    @Test("a small plan measures references, every uthread path and kernel threads, in ns and ticks")
    func smallPlan() throws {
        let cpu = try Affinity.allowedCPUs().cpus[0]
        let plan = SwitchPlan(uthreadCounts: [1, 3], kernelThreadCounts: [1, 3], kernelSwitchesPerTrial: 300,
                              kernelTrials: 2, stackBytes: 64 * 1024)
        let result = try SwitchSession.measure(cpu: cpu, plan: plan, runner: runner, clock: clock)
        let ns = result.measurements.filter { $0.unit == "ns" }
        let ticks = result.measurements.filter { $0.unit == "ticks" }
        let ratios = result.measurements.filter { $0.unit == "ratio" }
        #expect(ticks.count == ns.count, "every ns row has its ticks twin, and only ns rows")
        #expect(ns.count + ticks.count + ratios.count == result.measurements.count)
        let ratioKeys = Set(ratios.map { "\($0.variant)@\($0.threads):\($0.metric)" })
        #expect(ratioKeys.contains("uthread_switch-to@3:ratio_to_boost_ring")
                && !ratioKeys.contains("uthread_switch-to_tls@3:ratio_to_boost_ring"),
                "Boost's ring once, in the first TLS pass")
        for variant in ["uthread_locked", "uthread_no-sched-locking", "uthread_no-locking-no-asserts", "uthread_switch-to"] {
            for tls in ["", "_tls"] {
                #expect(ratioKeys.contains("\(variant)\(tls)@3:ratio_to_boost_jump_fcontext"), "\(variant)\(tls): paired with Boost")
            }
        }
        #expect(ratioKeys.contains("uthread_locked@1:ratio_to_boost_jump_fcontext"))
        #expect(!ratioKeys.contains { $0.contains("ratio_to_2_uthreads") }, "no 2-uthread row to divide by in this plan")
        let keys = Set(ns.map { "\($0.variant)@\($0.threads)" })
        for variant in ["uthread_locked", "uthread_no-sched-locking", "uthread_no-locking-no-asserts"] {
            for tls in ["", "_tls"] {
                #expect(keys.contains("\(variant)\(tls)@1") && keys.contains("\(variant)\(tls)@3"), "\(variant)\(tls)")
            }
        }
        #expect(keys.contains("uthread_switch-to@3") && !keys.contains("uthread_switch-to@1"))
        #expect(keys.contains("kthread_sched_yield@3") && keys.contains("kthread_futex_handoff@3"))
        let peers = Set(ns.filter { $0.variant == "reference" }.map(\.param))
        #expect(peers.isSuperset(of: ["peer=swapcontext", "peer=boost_jump_fcontext", "peer=arch_prctl_set_fs", "peer=syscall_getppid",
                                      BoostRing.param]))
        #expect(Set(ns.map { "\($0.variant)@\($0.threads):\($0.param)" }).count == ns.count, "row keys are unique")
        for m in ns {
            #expect(m.statistics.min > 0 && m.statistics.p50 < 1e7, "\(m.variant)@\(m.threads): \(m.statistics.p50) ns")
        }
        #expect(result.skipped.count == 2, "switch-to at 1 thread, with and without TLS")
        let table = SwitchTable.render(result.measurements)
        #expect(table.contains("Table 4.1") && table.contains("Table 4.2") && table.contains("switch-to w/o TLS"))
    }

    @Test("a uthread benchmark runs exactly the switches asked and every uthread exits at finish",
          arguments: [UthreadSwitch.Path.yield(.locked), .yield(.noLockingNoAsserts), .switchTo])
    func benchmarkFinishes(path: UthreadSwitch.Path) throws {
        final class Slot: @unchecked Sendable { var ok = false; var ticks: UInt64 = 0; var error: (any Error)? }
        let team = ThreadTeam(cpus: [try Affinity.allowedCPUs().cpus[0]]) { _, _ in Slot() }
        try team.launch(body: { _, slot in
            do {
                let bench = try UthreadSwitch(path: path, threads: 5, tls: true, fsBase: nil)
                #expect(bench.batchIterations(12) == 10)
                slot.ticks = bench.runBatch(iterations: 10) &+ bench.runBatch(iterations: 50)
                slot.ok = bench.finish()
            } catch { slot.error = error }
        })
        team.release()
        #expect(team.join(timeout: .seconds(30)).joined)
        if let error = team.workspaces[0].error { throw error }
        #expect(team.workspaces[0].ok, "every uthread exited")
        #expect(team.workspaces[0].ticks > 0)
    }

    @Test("kernel threads by both mechanisms: a positive cost per switch, bounded", arguments: KernelThreadSwitch.Mechanism.allCases)
    func kernelThreads(mechanism: KernelThreadSwitch.Mechanism) throws {
        let cpu = try Affinity.allowedCPUs().cpus[0]
        let ns = try KernelThreadSwitch.trial(mechanism, threads: 4, cpu: cpu, switchesPerTrial: 400,
                                              scheduling: .inherit, clock: clock)
        let value = try #require(ns)
        #expect(value > 0 && value < 1e8)
    }

    @Test("bad plans are refused, one line naming the option")
    func badPlans() {
        #expect(SwitchPlan().problems().isEmpty)
        #expect(SwitchPlan(uthreadCounts: [0]).problems() == ["--threads: 0 threads; at least 1 is needed"])
        #expect(SwitchPlan(uthreadCounts: []).problems() == ["--threads: no thread counts"])
        #expect(SwitchPlan(kernelThreadCounts: [100_000]).problems() == ["--kernel-threads: 100000 threads; at most 4096"])
        #expect(SwitchPlan(kernelSwitchesPerTrial: -1).problems().first?.hasPrefix("--kernel-switches") == true)
        #expect(SwitchPlan(kernelTrials: 0).problems().first?.hasPrefix("--kernel-trials") == true)
        #expect(SwitchPlan(stackBytes: 100).problems().first?.contains("smaller than a page") == true)
        #expect(SwitchPlan(tls: []).problems() == ["--tls: choose with, without or both"])
        #expect(SwitchPlan(uthreadCounts: [4096, 4095, 2]).problems()
                == ["--threads: 8193 uthreads in all; at most 8192, since each path runs its counts side by side"])
        #expect(SwitchPlan(uthreadCounts: [4096, 4096, 4096, 2]).problems().isEmpty, "repeated counts run once")
        #expect(throws: UthreadConfigurationError.noUthreads(0)) {
            _ = try UthreadSwitch(path: .yield(.locked), threads: 0, tls: false, fsBase: nil)
        }
        #expect(throws: UthreadConfigurationError.switchToNeedsTwo(1)) {
            _ = try UthreadSwitch(path: .switchTo, threads: 1, tls: false, fsBase: nil)
        }
    }
}
