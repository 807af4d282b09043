import Platform
import BenchKit
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
        var expected = ["rdtscp", "cas_uncontended", "syscall_getppid"]
        if cpus.count > 1 { expected.append("cas_round_trip_cpu\(cpus[0])_cpu\(cpus[1])") }
        #expect(result.measurements.map(\.variant) == expected)
        for measurement in result.measurements {
            #expect(measurement.unit == "ns")
            #expect(measurement.statistics.count == 3)
            #expect(measurement.statistics.min > 0, "\(measurement.variant): \(measurement.statistics.min) ns")
            #expect(measurement.statistics.p50 < 1e6, "\(measurement.variant): \(measurement.statistics.p50) ns")
        }
        #expect(result.scheduling.refusal == nil)
    }

    @Test func theCASFloorSucceedsEveryTime() {
        let floor = UncontendedCASFloor()
        let ticks = floor.runBatch(iterations: 10_000)
        #expect(ticks > 0)
        // Every CAS succeeded: the word counts exactly the operations.
        #expect(floor.line.pointee.load(ordering: .relaxed) == 10_000)
    }
}
