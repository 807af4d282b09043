import Platform
import BenchKit
import RunFormat
import Testing
@testable import CtxBenchKit

/// Every floor measures a positive cost per operation, on a pinned thread.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FloorsTests {
    let runner = TrialRunner(clock: TSCClock.calibrate(intervalNs: 50_000_000), overheadTicks: 0,
                             trials: 3, iterations: 2_000, warmupBatches: 1)

    @Test func everyFloorIsAPositiveCostPerOperation() throws {
        let cpus = try Affinity.allowedCPUs().cpus
        let result = try FloorsSession.measure(cpu: cpus[0], partnerCPU: cpus.count > 1 ? cpus[1] : nil,
                                               runner: runner)
        var expected = ["rdtscp", "cas_uncontended", "syscall_getppid", "reference", "ratio"]
        if cpus.count > 1 { expected.append("cas_round_trip_cpu\(cpus[0])_cpu\(cpus[1])") }
        #expect(result.measurements.map(\.variant) == expected)
        for measurement in result.measurements {
            #expect(measurement.unit == (measurement.variant == "ratio" ? "ratio" : "ns"))
            #expect(measurement.statistics.count == 3)
            #expect(measurement.statistics.min > 0, "\(measurement.variant): \(measurement.statistics.min) ns")
            #expect(measurement.statistics.p50 < 1e6, "\(measurement.variant): \(measurement.statistics.p50) ns")
        }
        #expect(result.scheduling.refusal == nil)
    }

    /// The system-call floor runs trial by trial beside its C twin, and the
    /// ratio row is trial i over trial i: an injected delay in the Swift loop
    /// (the gate's test hook) moves the ratio, and the C twin does not move.
    @Test func theSyscallFloorsRatioToItsCTwinShowsAnInjectedDelay() throws {
        let cpu = try Affinity.allowedCPUs().cpus[0]
        var runner = self.runner
        runner.trials = 8
        func rows(_ delay: InjectedDelay) throws -> (swift: Measurement, twin: Measurement, ratio: Measurement) {
            let m = try FloorsSession.measure(cpu: cpu, partnerCPU: nil, runner: runner, delay: delay).measurements
            return (try #require(m.first { $0.variant == "syscall_getppid" }),
                    try #require(m.first { $0.variant == "reference" }),
                    try #require(m.first { $0.variant == "ratio" }))
        }
        let plain = try rows(InjectedDelay.none)
        #expect(plain.ratio.trials.count == 8 && plain.twin.trials.count == 8)
        #expect(plain.twin.param.hasPrefix("peer=c_twin_getppid;"))
        #expect(plain.ratio.param.hasPrefix("syscall_getppid_over_c_twin;"))
        for (i, ratio) in plain.ratio.trials.enumerated() {
            #expect(abs(ratio - plain.swift.trials[i] / plain.twin.trials[i]) < 1e-12)
        }
        // A delay as long as the call itself, about: far beyond any noise of a ratio.
        let slowed = try rows(InjectedDelay(steps: 400))
        let before = plain.ratio.statistics.p50, after = slowed.ratio.statistics.p50
        #expect(after > before * 1.2, "ratio \(after) against \(before)")
    }

    @Test func theCASFloorSucceedsEveryTime() {
        let floor = UncontendedCASFloor()
        let ticks = floor.runBatch(iterations: 10_000)
        #expect(ticks > 0)
        // Every CAS succeeded: the word counts exactly the operations.
        #expect(floor.line.pointee.load(ordering: .relaxed) == 10_000)
    }
}
