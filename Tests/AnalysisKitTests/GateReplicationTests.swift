import Foundation
import RunFormat
import Testing
@testable import AnalysisKit

/// Two or more current runs: a regression must reproduce in every one, so one
/// disturbed run (the host's noise on a VM) cannot fail the gate while a real
/// slowdown, present in every run, still does.
struct GateReplicationTests {
    static let quietCentres: [Double] = [100, 100.5, 99.6, 100.2, 99.8, 100.3, 99.7, 100.1, 99.9, 100.4]

    @Test func oneDisturbedRunOfTwoDoesNotFailTheGate() throws {
        try withTemporaryDirectory { tmp in
            let base = tmp.url.path + "/base"
            try GateNoiseBandTests.writeRuns(base, centres: Self.quietCentres)
            let disturbed = tmp.url.path + "/disturbed", quiet = tmp.url.path + "/quiet"
            try GateTests.writeRun(disturbed, metrics: [("op", true, GateTests.trials(250, count: 5, offset: 3))])
            try GateTests.writeRun(quiet, metrics: [("op", true, GateTests.trials(100.2, count: 5, offset: 4))])
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
            let base = tmp.url.path + "/base"
            try GateNoiseBandTests.writeRuns(base, centres: Self.quietCentres)
            let first = tmp.url.path + "/c1", second = tmp.url.path + "/c2"
            try GateTests.writeRun(first, metrics: [("op", true, GateTests.trials(112, count: 5, offset: 1))])
            try GateTests.writeRun(second, metrics: [("op", true, GateTests.trials(110, count: 5, offset: 2))])
            let result = try GateJob(baseline: [base], current: [first, second]).run()
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
