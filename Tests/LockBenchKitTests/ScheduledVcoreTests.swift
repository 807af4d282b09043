// More vcores than CPUs, scheduled by the emulated kernel: every lock keeps
// mutual exclusion with 8 vcores on 2 CPUs under rotation and rounds, every
// vcore acquires, and the run ends (joined, no stall) within its time limit.

import Platform
import BenchKit
import KernelCore
import Testing
@testable import LockBenchKit
#if canImport(Glibc)
import Glibc
#endif

extension LockBenchSuite {
    @Suite("Scheduled vcores", .serialized, .timeLimit(.minutes(2)))
    struct ScheduledVcoreTests {
        static func configuration(_ lock: LockName, threads: Int = 8, seconds: Double = 0.5) -> LockRunConfiguration {
            var config = LockRunConfiguration(lock: lock, threads: threads,
                                              length: .duration(seconds: seconds, maxAttempts: 20_000), cpus: testCPUs)
            config.rotationMs = 1
            if testCPUs.count > 1 { config.preempt = PreemptionSpec(victims: 1, periodMs: 20, durationMs: 5) }
            config.fifoPriority = fifoPermitted ? 50 : nil
            config.watchdogSeconds = 10
            return config
        }

        @Test("8 vcores on the CPUs, 1 ms rotation, rounds on top: mutual exclusion, every vcore acquires, the run ends",
              arguments: LockName.allCases)
        func exclusionUnderRotation(lock: LockName) throws {
            let config = Self.configuration(lock)
            #expect(config.isScheduled)
            let result = try LockRunner.run(config, clock: testClock)
            #expect(result.joined && result.stall == nil, "\(lock): \(result.stall ?? "threads not joined")")
            #expect(result.mutualExclusionHeld, "\(result.exclusionFailure ?? "")")
            #expect(result.schedulerTicks > 0)
            #expect(result.rotationPreemptionCount > 0, "\(lock): the scheduler never rotated")
            #expect(result.rotationPreemptionCount <= result.preemptionCount)
            let starved = result.threads.filter { $0.acquisitions == 0 }.map(\.thread)
            #expect(starved.isEmpty, "\(lock): vcores \(starved) never acquired")
        }

        @Test("summary rows for the storm table: messages, message rate, changes, kernel and rotation preemptions")
        func stormRows() throws {
            let config = Self.configuration(.mcsPDRN, seconds: 0.3)
            let result = try LockRunner.run(config, clock: testClock)
            #expect(result.joined)
            let rows = LockOutput.measurements(result, clock: testClock, overheadTicks: 0)
            let metrics = Set(rows.map(\.metric))
            for metric in ["preemption_messages", "preemption_message_rate", "vcore_changes", "one_way_changes", "kernel_preemptions",
                           "rotation_preemptions", "throughput"] {
                #expect(metrics.contains(metric), "no \(metric) row")
            }
            let rate = rows.first { $0.metric == "preemption_message_rate" }?.statistics.mean ?? -1
            let expected = Double(result.preemptionMessages) / (result.measuredNs / 1e9)
            #expect(abs(rate - expected) <= 1e-6 * max(1, expected))
            #expect(config.paramDescription.contains("rotate_ms=1"))
        }
    }
}
