// The throughput timeline under emulated preemption (thesis Figs 6.4-6.6),
// as the runner computes it: plain MCS has windows without an acquisition
// while a preempted vcore holds or waits in its queue; PDR locks do not.

import Platform
import BenchKit
import KernelCore
import Testing
@testable import LockBenchKit

extension LockBenchSuite {
    @Suite("Preemption timeline", .serialized)
    struct PreemptionTimelineTests {
        /// 4 vcores on 2 CPUs; 2 preempted for 10 ms of every 12 (so the two that
        /// run have a CPU each, as on Akaros), 300 ms in 5 ms windows. As in
        /// KernelCoreTests, the check is skipped (by the framework, with its reason) when other
        /// processes took more than 50 ms of CPU during the run.
        ///
        /// One test per lock, not one parameterized test: on a busy machine
        /// the check is cancelled (`Test.cancel`), and Swift Testing 6.3
        /// reports a cancelled *test* ("was cancelled" with the reason) but
        /// reports a cancelled *test case* of a parameterized test as passed.
        @Test("MCS has zero windows under preemption")
        func timelineMCS() throws { try timeline(lock: .mcs) }
        @Test("MCS-PDRN recovers in every window")
        func timelineMCSPDRN() throws { try timeline(lock: .mcsPDRN) }
        @Test("spin-PDR recovers in every window")
        func timelineSpinPDR() throws { try timeline(lock: .spinPDR) }

        func timeline(lock: LockName) throws {
            var config = LockRunConfiguration(lock: lock, threads: 4, length: .duration(seconds: 0.3, maxAttempts: 50_000),
                                              cpus: testCPUs)
            config.preempt = PreemptionSpec(victims: 2, periodMs: 12, durationMs: 10)
            config.windowNs = 5_000_000
            let (result, foreign) = try foreignCPUMilliseconds { try LockRunner.run(config, clock: testClock) }
            #expect(result.joined && result.stall == nil)
            #expect(result.mutualExclusionHeld, "\(result.exclusionFailure ?? "")")
            #expect(result.preemptionCount >= 15 && result.preemptionMessages >= result.preemptionCount,
                    "\(result.preemptionCount) preemptions, \(result.preemptionMessages) messages")
            #expect(!result.rounds.isEmpty)
            let table = LockOutput.throughputTable(result)
            #expect(table.header.last == "preempted")
            #expect(table.rows.contains { $0.last == "1" }, "no window marked preempted")
            // A busy machine cannot support the timeline check: the test case is
            // cancelled, so the framework reports it skipped with this reason
            // (in its totals), never passed.
            guard foreign <= 50 else {
                try Test.cancel("\(lock) timeline not checked: the machine was busy (\(Int(foreign)) ms of other CPU time during the run)")
            }
            // From the first round on (the controller waits one period), windows paired into 10 ms.
            let fine = Array(result.totalPerWindow.dropFirst(3).dropLast())
            if lock == .mcs {
                let zero = fine.filter { $0 == 0 }.count
                #expect(zero >= 5, "MCS stalled in only \(zero) windows of 5 ms: \(fine)")
            } else {
                let paired = stride(from: 0, to: fine.count - 1, by: 2).map { fine[$0] + fine[$0 + 1] }
                let zero = paired.filter { $0 == 0 }.count
                #expect(zero <= 1, "\(lock): \(zero) windows of 10 ms without an acquisition: \(paired)")
                #expect(result.changeCount > 0)
            }
        }
    }
}
