import Platform
import BenchKit
import RunFormat
import Testing
@testable import CtxBenchKit

/// ctxbench ipi: every operation runs its trials on two CPUs; a victim figure
/// exists only where IPIs were observed; the rows say which is which.
@Suite(.serialized, .timeLimit(.minutes(1))) struct IPITests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? []
    static let clock = TSCClock.calibrate(intervalNs: 50_000_000)

    static func settings(operations: Int = 50) -> IPISession.Settings {
        IPISession.Settings(initiatorCPU: cpus[0], victimCPU: cpus[1], trials: 2, operations: operations,
                            gapThresholdNs: 200, clock: clock, overheadTicks: 0)
    }

    @Test(.enabled(if: cpus.count > 1, "needs two CPUs"), arguments: IPIOperation.allCases)
    func everyOperationRunsItsTrials(operation: IPIOperation) throws {
        var settings = Self.settings(operations: operation == .futexWake ? 10 : 50)
        settings.settleNs = 100_000
        let (trials, scheduling) = try IPISession.measure(operation, settings: settings)
        #expect(trials.count == 2 && scheduling.count == 2)
        for trial in trials {
            #expect(trial.latencyNs > 0)
            #expect(trial.observation.victimCPU == Self.cpus[1] && trial.observation.operations == settings.operations)
            // No IPI, no victim figure; and never one for the futex wake (its victim is idle).
            if !trial.observation.observed || !operation.hasGapLoop {
                #expect(trial.victimNsPerIPI == nil && trial.victimGapsPerIPI == nil)
            }
            #expect(trial.missedWakes == 0 || operation == .futexWake)
        }
    }

    static func trial(latency: Double, ipis: Double, victimNs: Double?) throws -> IPISession.Trial {
        func counts(_ cal: UInt64) throws -> InterruptCounts {
            try InterruptCounts(parsing: "CPU0 CPU1\nCAL: 0 \(cal) Function call interrupts\n")
        }
        let observation = try IPIObservation(before: counts(0), afterOperations: counts(UInt64(ipis * 100)),
                                             afterQuiet: counts(UInt64(ipis * 100)), victimCPU: 1, operations: 100,
                                             operationsNs: 1e6, quietNs: 1e6)
        return IPISession.Trial(latencyNs: latency, observation: observation, victimNsPerIPI: victimNs,
                                victimGapsPerIPI: victimNs.map { _ in 1 }, missedWakes: 0)
    }

    @Test func rowsWithoutIPIsHaveNoVictimFigure() throws {
        guard Self.cpus.count > 1 else { return }
        let quiet = try [Self.trial(latency: 400, ipis: 0, victimNs: nil), Self.trial(latency: 420, ipis: 0, victimNs: nil)]
        let rows = IPISession.measurements(.mprotect, trials: quiet, settings: Self.settings())
        #expect(rows.map(\.metric) == ["initiator_latency", "initiator_latency", "ipis_per_op"])
        #expect(rows[2].statistics.max == 0 && rows[2].unit == "count")
        let loud = try [Self.trial(latency: 9000, ipis: 1, victimNs: 1500), Self.trial(latency: 9100, ipis: 1, victimNs: 1700)]
        let loudRows = IPISession.measurements(.membarrier, trials: loud, settings: Self.settings())
        #expect(loudRows.map(\.metric) == ["initiator_latency", "initiator_latency", "ipis_per_op",
                                           "victim_time_per_ipi", "victim_time_per_ipi", "victim_gaps_per_ipi"])
        #expect(loudRows[3].statistics.p50 == 1600 && loudRows[4].unit == "ticks")
        #expect(loudRows[2].statistics.min == 1)
    }

    @Test func munmapIsCappedToItsPagePool() throws {
        guard Self.cpus.count > 1 else { return }
        var settings = Self.settings(operations: 1_000_000)
        settings.trials = 3
        #expect(IPISession.operationsPerTrial(.munmap, settings) == IPISession.maximumMunmapPages / 4)
        #expect(IPISession.operationsPerTrial(.membarrier, settings) == 1_000_000)
    }
}
