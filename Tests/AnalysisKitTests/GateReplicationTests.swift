import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

/// Two or more current runs: a regression must reproduce in every one, so one
/// disturbed run (the host's noise on a VM) cannot fail the gate while a real
/// slowdown, present in every run, still does.
struct GateReplicationTests {
    static let quietCentres: [Double] = [100, 100.5, 99.6, 100.2, 99.8, 100.3, 99.7, 100.1, 99.9, 100.4]

    /// Writes the ten quiet baseline runs under `tmp/base` and one current run
    /// of 5 trials around each centre (scattered from `offset`); returns the
    /// baseline and the current runs.
    static func writeRuns(in tmp: String, current: [(centre: Double, offset: Int)]) throws -> (base: String, current: [String]) {
        let base = tmp + "/base"
        try GateNoiseBandTests.writeRuns(base, centres: quietCentres)
        let current = try current.enumerated().map { index, run in
            let path = tmp + "/current-\(index + 1)"
            try GateTests.writeRun(path, metrics: [("op", true, GateTests.trials(run.centre, count: 5, offset: run.offset))])
            return path
        }
        return (base, current)
    }

    @Test func oneDisturbedRunOfTwoDoesNotFailTheGate() throws {
        try withTemporaryDirectory { tmp in
            let (base, runs) = try Self.writeRuns(in: tmp.url.path, current: [(250, 3), (100.2, 4)])
            let disturbed = runs[0], quiet = runs[1]
            // Alone, the disturbed run is a regression ...
            let alone = try GateJob(baseline: [base], current: [disturbed]).run()
            #expect(alone.verdicts.map(\.status) == [.regression])
            #expect(alone.verdicts.first?.replicatedChange == nil)
            // ... beside a second run that did not move, it is not reproduced.
            let both = try GateJob(baseline: [base], current: [disturbed, quiet]).run()
            let verdict = try #require(both.verdicts.first)
            #expect(verdict.status != .regression)
            #expect(both.exitCode == GateJob.Exit.pass)
            #expect(abs((verdict.replicatedChange ?? 1) - 0.002) < 0.003)
        }
    }

    @Test func aSlowdownInEveryRunFailsAndIsReportedAtTheSmallerChange() throws {
        try withTemporaryDirectory { tmp in
            let (base, runs) = try Self.writeRuns(in: tmp.url.path, current: [(112, 1), (110, 2)])
            let result = try GateJob(baseline: [base], current: runs).run()
            let verdict = try #require(result.verdicts.first)
            #expect(verdict.status == .regression)
            #expect(result.exitCode == GateJob.Exit.regression)
            // The decision and the table use the run nearest the baseline (+10%, not the +11% centre).
            let replicated = try #require(verdict.replicatedChange)
            #expect(abs(replicated - 0.10) < 0.005)
            #expect(verdict.decidingChange == verdict.replicatedChange)
            #expect(GateReport.text(result).contains(GateReport.percent(replicated)))
            #expect(!GateReport.text(result).contains(GateReport.percent(verdict.change)))
        }
    }

    @Test func runsMovingOppositeWaysAreNoChange() {
        #expect(GateVerdict.replicated([130, 70], baseline: 100) == 0)
        #expect(GateVerdict.replicated([130, 100], baseline: 100) == 0)
        #expect(GateVerdict.replicated([80, 90, 85], baseline: 100) == -0.1)
        #expect(GateVerdict.replicated([120], baseline: 100) == nil)
        #expect(GateVerdict.replicated([120, 130], baseline: 0) == nil)
    }
}
