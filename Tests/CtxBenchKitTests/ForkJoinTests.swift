import Platform
import BenchKit
import KernelCore
import Testing
@testable import CtxBenchKit

/// forkjoin runs every worker in every region, with every barrier, at team
/// sizes up to oversubscription; and its check refuses a run that lost one.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ForkJoinTests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? [0]
    let runner = TrialRunner(clock: TSCClock.calibrate(intervalNs: 50_000_000), overheadTicks: 0,
                             trials: 2, iterations: 200, warmupBatches: 1)

    @Test(arguments: ForkJoinBarrier.allCases, [2, 3, 5])
    func everyWorkerRunsEveryRegion(barrier: ForkJoinBarrier, participants: Int) throws {
        guard barrier.applies(participants: participants) else {
            #expect(barrier == .tree && participants < 3)
            return
        }
        let result = try ForkJoinSession.measure(barrier, participants: participants, cpus: Self.cpus, runner: runner)
        // Warm-up plus trials, every one of them by every participant.
        let regions = UInt64((runner.warmupBatches + runner.trials) * runner.iterations)
        #expect(result.regionsRun == Array(repeating: regions, count: participants))
        #expect(result.oversubscribed == (barrier != .futex && participants > Set(Self.cpus).count))
        let measurement = try #require(result.measurement)
        #expect(measurement.variant == barrier.rawValue && measurement.threads == participants)
        #expect(measurement.statistics.count == runner.trials && measurement.statistics.min > 0)
        #expect(result.scheduling.count == participants)
    }

    @Test func theTreeNeedsThreeThreads() {
        #expect(!ForkJoinBarrier.tree.applies(participants: 2))
        #expect(ForkJoinBarrier.tree.applies(participants: 3))
        #expect(ForkJoinBarrier.futex.applies(participants: 2) && ForkJoinBarrier.spin.applies(participants: 2))
    }

    @Test func aWorkerThatMissedARegionFailsTheRun() {
        #expect(throws: ForkJoinCheckError.self) {
            try ForkJoinSession.check(regionsRun: [100, 100, 99], mismatches: [0, 0, 0], barrier: "spin")
        }
        #expect(throws: ForkJoinCheckError.self) {
            try ForkJoinSession.check(regionsRun: [100, 101], mismatches: [0, 0], barrier: "spin")
        }
        // The same count, but out of step somewhere (a region run twice and another missed).
        #expect(throws: ForkJoinCheckError.self) {
            try ForkJoinSession.check(regionsRun: [100, 100], mismatches: [0, 2], barrier: "tree")
        }
        #expect(throws: Never.self) {
            try ForkJoinSession.check(regionsRun: [100, 100, 100], mismatches: [0, 0, 0], barrier: "futex")
        }
    }
}
