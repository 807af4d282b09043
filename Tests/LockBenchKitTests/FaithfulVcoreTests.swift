// SCHED_FIFO vcores under emulated preemption, the suite's setting: the runs
// finish (a vcore in the emulated kernel that sleeps in sched_setaffinity
// is not starved by a spinning vcore of its priority), PDR locks acquire in
// every 1 ms window of (nearly) every round, plain MCS stalls in most rounds.

import Platform
import CPlatform
import BenchKit
import KernelCore
import Testing
@testable import LockBenchKit
#if canImport(Glibc)
import Glibc
#endif

/// Whether this process may run threads SCHED_FIFO (asked on a thread that then ends).
let fifoPermitted: Bool = {
    final class Box: @unchecked Sendable { var ok = false }
    let box = Box()
    guard let probe = try? PinnedThread.start(cpu: nil, { box.ok = kb_set_scheduler(0, SCHED_FIFO, 1) == 0 })
    else { return false }
    probe.join()
    return box.ok
}()

extension LockBenchSuite {
    @Suite("Faithful vcores", .serialized, .timeLimit(.minutes(2)))
    struct FaithfulVcoreTests {
        static func run(_ lock: LockName) throws -> (LockRunResult, PreemptionRecovery) {
            var config = LockRunConfiguration(lock: lock, threads: 2, length: .duration(seconds: 2, maxAttempts: 2_000_000),
                                              cpus: testCPUs)
            config.preempt = PreemptionSpec(victims: 1, periodMs: 50, durationMs: 10)
            config.fifoPriority = 50
            let result = try LockRunner.run(config, clock: testClock)
            return (result, PreemptionRecovery(result, ticksPerNs: testClock.ticksPerNs))
        }

        /// Runs the PDR setting up to `attempts` times and returns every
        /// run made, stopping at the first whose stalled rounds are within
        /// 1 in 10. Why more than one: the host takes the FIFO vcores' CPUs
        /// now and then, behind the map's back (Linux' fair server lends
        /// them to starved ordinary tasks, RT throttling stops them 50 ms a
        /// second, the hypervisor takes a vCPU), which on the Zen 5 VM
        /// stalled 5-6 of 40-42 rounds in about one run of eight, in 1 ms
        /// windows scattered over rounds, with nothing else running. A PDR
        /// lock that does not recover stalls in most rounds of every run,
        /// as MCS does, so it still fails all of them.
        static func runPDR(_ lock: LockName, attempts: Int) throws -> [(LockRunResult, PreemptionRecovery)] {
            var runs: [(LockRunResult, PreemptionRecovery)] = []
            for _ in 0..<attempts {
                let run = try Self.run(lock)
                runs.append(run)
                if run.1.stalledRounds * 10 <= run.1.rounds { break }
            }
            return runs
        }

        /// Whether a run can judge a lock's rounds: outside them, where
        /// nothing is preempted, both vcores acquired in at least 9 windows
        /// of 10. A host that runs them one at a time for milliseconds (CI
        /// once saw it for a whole run) stalls rounds whatever the lock.
        static func hostRanBothVcores(_ recovery: PreemptionRecovery) -> Bool {
            recovery.windowsOutsideRounds > 0
                && recovery.concurrentWindowsOutsideRounds * 10 >= recovery.windowsOutsideRounds * 9
        }

        @Test("FIFO vcores, 2 CPUs, --preempt 1:50:10: PDR locks stall in at most 1 round of 10 (best of 3 runs), MCS in most",
              .enabled(if: fifoPermitted, "needs SCHED_FIFO (root or CAP_SYS_NICE)"),
              .enabled(if: testCPUs.count == 2, "needs two CPUs"),
              arguments: [LockName.mcsPDRN, .mcsPDRO, .mcs])
        func suiteSetting(lock: LockName) throws {
            let runs = lock == .mcs ? [try Self.run(lock)] : try Self.runPDR(lock, attempts: 3)
            for (result, recovery) in runs {
                #expect(result.joined && result.stall == nil, "\(lock): \(result.stall ?? "threads not joined")")
                #expect(result.mutualExclusionHeld, "\(result.exclusionFailure ?? "")")
                // The controller is SCHED_FIFO before the vcores start: 2 s of 50 ms rounds.
                #expect(recovery.rounds >= 38, "\(lock): \(recovery.rounds) rounds")
            }
            // Counted inside the rounds, where a busy machine cannot add stalls
            // to a FIFO vcore the map shows running; outside them is the host's.
            let (_, recovery) = try #require(runs.last)
            if lock == .mcs {
                #expect(recovery.stalledRounds * 2 > recovery.rounds,
                        "MCS stalled in only \(recovery.stalledRounds) of \(recovery.rounds) rounds")
            } else {
                // Zero on a quiet machine, most runs.
                let stalls = runs.map {
                    "\($0.1.stalledRounds) of \($0.1.rounds) rounds (\($0.1.stalledWindowsInRounds) windows; both vcores ran in "
                        + "\($0.1.concurrentWindowsOutsideRounds) of \($0.1.windowsOutsideRounds) windows outside the rounds)"
                }
                if recovery.stalledRounds * 10 > recovery.rounds && !runs.contains(where: { Self.hostRanBothVcores($0.1) }) {
                    try Test.cancel("\(lock): the host ran the two vcores one at a time in every run: \(stalls.joined(separator: ", "))")
                }
                #expect(recovery.stalledRounds * 10 <= recovery.rounds,
                        "\(lock): every run had rounds with a 1 ms window without an acquisition: \(stalls.joined(separator: ", "))")
                #expect(!recovery.recoveryNs.isEmpty)
            }
        }

        @Test("recovery analysis: windows inside and outside rounds, recovery time from round start")
        func analysis() {
            var config = LockRunConfiguration(lock: .mcs, threads: 1, length: .duration(seconds: 0.01, maxAttempts: 10),
                                              cpus: [0])
            config.windowNs = 1_000_000
            // 1 tick per ns; acquisitions at 0.5, 1.5, 6.5 and 9.5 ms.
            let acquired: [UInt64] = [500_000, 1_500_000, 6_500_000, 9_500_000]
            let ticks = acquired.flatMap { [$0 - 10, $0, $0 + 10] }
            var windows = [UInt32](repeating: 0, count: 11)
            for a in acquired { windows[Int(a / 1_000_000)] += 1 }
            var result = LockRunResult(configuration: config,
                                       threads: [ThreadAttempts(thread: 0, cpu: 0, acquisitions: 4, ticks: ticks)],
                                       windows: [windows], windowNs: 1_000_000, counter: 4, canaryViolations: 0,
                                       originTicks: 0, elapsedNs: 10_500_000, stall: nil, interrupted: false, joined: true)
            // One round 2.0-4.0 ms (plus 1 ms grace: windows 2, 3, 4 are its).
            result.rounds = [PreemptionWindow(victims: [0], startMs: 2.0, endMs: 4.0)]
            let recovery = PreemptionRecovery(result, ticksPerNs: 1)
            #expect(recovery.stalledWindowsInRounds == 3)
            #expect(recovery.stalledWindowsOutsideRounds == 3)   // 5, 7, 8 (10 ends past the 10 ms run)
            #expect(recovery.stalledRounds == 1)
            #expect(recovery.windowsOutsideRounds == 7)            // 0, 1, 5-9
            #expect(recovery.concurrentWindowsOutsideRounds == 4)  // 0, 1, 6, 9: the one thread acquired
            #expect(recovery.recoveryNs == [4_500_000])
        }
    }
}
