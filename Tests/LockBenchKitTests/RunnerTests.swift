// The runner's own checks: mutual exclusion (a broken lock fails loudly),
// the watchdog (a lock never released ends the run with a diagnostic), and
// the outputs computed from what a run recorded.

import Platform
import BenchKit
import KernelCore
import VcoreEmulation
import Testing
@testable import LockBenchKit

extension LockBenchSuite {
    @Suite("Runner", .serialized)
    struct RunnerTests {
        func configuration(_ lock: LockName = .spin, threads: Int = 2, iterations: Int = 2_000) -> LockRunConfiguration {
            LockRunConfiguration(lock: lock, threads: threads, length: .iterations(iterations), cpus: testCPUs)
        }

        @Test("every lock excludes, 2 pinned threads: counter matches acquisitions", arguments: LockName.allCases)
        func everyLockExcludes(lock: LockName) throws {
            let result = try LockRunner.run(configuration(lock, iterations: 3_000), clock: testClock)
            #expect(result.complete)
            #expect(result.mutualExclusionHeld, "\(result.exclusionFailure ?? "")")
            #expect(result.totalAcquisitions == 6_000 && result.counter == 6_000)
            #expect(result.threads.allSatisfy { $0.count == 3_000 })
            #expect(result.exclusionFailure == nil)
        }

        /// Whether both threads acquired within one throughput window: only
        /// then could their critical sections overlap at all.
        static func threadsOverlapped(_ result: LockRunResult) -> Bool {
            (result.windows.first?.indices ?? 0..<0).contains { result.everyThreadAcquired(inWindow: $0) }
        }

        @Test("a lock that never excludes is reported broken, by name")
        func brokenLockFailsLoudly() throws {
            var config = configuration(iterations: 20_000)
            config.holdNs = 300
            // The check needs the two threads to run at once. On the shared
            // VM the host once ran them one after the other for the whole
            // 17 ms run (thread 1 in windows 0-8, thread 0 in 8-17): up to
            // three runs, and a machine that never runs both is reported,
            // not passed.
            var result: LockRunResult?
            for _ in 0..<3 {
                let map = VcoreMap(count: 2)
                defer { map.deallocate() }
                let run = try LockRunner.run(BrokenLock(), map: map, configuration: config, clock: testClock)
                result = run
                if Self.threadsOverlapped(run) { break }
            }
            guard let result, Self.threadsOverlapped(result) else {
                try Test.cancel("the two pinned threads never ran at the same time in 3 runs: the host gave them one CPU")
            }
            #expect(result.joined)
            #expect(!result.mutualExclusionHeld)
            #expect(result.canaryViolations > 0 || result.counter < result.totalAcquisitions)
            let failure = try #require(result.exclusionFailure)
            // The lock that broke, not the configured one (spin).
            #expect(failure.contains("lock broken broke mutual exclusion"), "\(failure)")
            #expect(!failure.contains("lock spin"), "\(failure)")
            #expect(result.lockName == "broken" && result.configuration.lock == .spin)
        }

        @Test("the watchdog ends a run on a lock never released: diagnostic names lock, holder, waiters")
        func watchdogFiresOnANeverReleasedLock() throws {
            var config = configuration(iterations: 1_000)
            config.watchdogSeconds = 1
            config.joinTimeoutSeconds = 0.5
            let map = VcoreMap(count: 2)
            let lock = NeverReleasedLock()
            let start = monotonicNanos()
            let result = try LockRunner.run(lock, map: map, configuration: config, clock: testClock)
            let seconds = Double(monotonicNanos() - start) / 1e9
            #expect(seconds < 1 + 3, "the watchdog took \(seconds) s")
            let stall = try #require(result.stall)
            #expect(stall.contains("lock never-released: no acquisition for"))
            #expect(stall.contains("holder: vcore"), "\(stall)")
            #expect(stall.contains("waiters: thread"), "\(stall)")
            #expect(!result.complete)
            #expect(result.totalAcquisitions == 1)
            #expect(!result.joined)
            // Let the abandoned threads go (they poll the group's stop flag).
            lock.abandon()
        }

        @Test("summary rows: latency in ticks and ns with every quantile, hold time, throughput; Table 6.1 row")
        func measurementsAndTable() throws {
            let result = try LockRunner.run(configuration(.ticket, threads: 1, iterations: 5_000), clock: testClock)
            let rows = LockOutput.measurements(result, clock: testClock, overheadTicks: 20)
            let ticks = try #require(rows.first { $0.metric == "acquire_latency" && $0.unit == "ticks" })
            let ns = try #require(rows.first { $0.metric == "acquire_latency" && $0.unit == "ns" })
            #expect(ticks.statistics.count == 5_000)
            #expect(ticks.variant == "ticket" && ticks.threads == 1)
            #expect(abs(ns.statistics.p50 * testClock.ticksPerNs - ticks.statistics.p50) < 1e-6 * max(1, ticks.statistics.p50))
            #expect(ticks.statistics.min <= ticks.statistics.p50 && ticks.statistics.p999 <= ticks.statistics.max)
            #expect(rows.contains { $0.metric == "hold_time" })
            #expect(rows.contains { $0.metric == "throughput" && !$0.lowerIsBetter })
            let row = LockOutput.tableRow(lock: "ticket", threads: 1, ticks.statistics)
            #expect(row.count == LockOutput.tableHeader.count)
            let throughput = LockOutput.throughputTable(result)
            #expect(throughput.header == ["time_ms", "total_per_ms", "thread0_per_ms", "preempted"])
            #expect(throughput.rowCount == result.windows[0].count)
            #expect(result.windows[0].reduce(0) { $0 + UInt64($1) } == 5_000)
        }

        @Test("preemption specs: N:PERIOD_MS:DURATION_MS")
        func preemptionSpecs() throws {
            #expect(try PreemptionSpec(parsing: "2:50:10") == PreemptionSpec(victims: 2, periodMs: 50, durationMs: 10))
            for bad in ["2:10", "a:b:c", "2:10:10", "2:10:20", "0:10:5", "2:-10:5", "2:10:0", ""] {
                #expect(throws: SpecError.self, "\(bad)") { try PreemptionSpec(parsing: bad) }
            }
        }
    }
}
