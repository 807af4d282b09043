import BenchKit
import Platform
import RunFormat
import Testing
@testable import CtxBenchKit

/// ctxbench remote-op: every mode performs the same insertions and leaves the
/// same table; the table's replay is deterministic and sees a lost insertion.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RemoteOpTests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? [0]

    @Test(.enabled(if: cpus.count > 1, "needs two CPUs: the owner's and the requester's"))
    func everyModeLeavesTheSameTable() throws {
        let runner = TrialRunner(clock: TSCClock.calibrate(intervalNs: 10_000_000), overheadTicks: 0, trials: 3,
                                 iterations: 500, warmupBatches: 1)
        var tables: [[RemoteTableSlot]] = []
        for mode in RemoteOpMode.all {
            let result = try RemoteOpSession.measure(mode, cpu: Self.cpus[0], ownerCPU: Self.cpus[1], runner: runner)
            #expect(result.operations == 2_000, "\(mode)")
            #expect(result.measurement?.statistics.count == 3)
            #expect(result.table == RemoteTable.replay(operations: 2_000), "\(mode)")
            tables.append(result.table)
        }
        #expect(Set(tables.map { $0.map(\.sum) }).count == 1)
        // Every insertion counted: the counts add up to the operations.
        #expect(tables[0].reduce(0) { $0 + Int($1.count) } == 2_000)
    }

    @Test func aLostOrDoubledInsertionChangesTheTable() {
        let full = RemoteTable.replay(operations: 1_000)
        #expect(full != RemoteTable.replay(operations: 999))
        #expect(full.filter { $0.key != 0 }.count == Int(RemoteTable.keys))
        let table = RemoteTable()
        defer { table.deallocate() }
        for n in UInt64(1)...1_000 where n != 500 {
            let (key, value) = RemoteTable.operation(n)
            table.insert(key: key, value: value)
        }
        #expect(table.contents != full, "a lost insertion went unseen")
        let (key, value) = RemoteTable.operation(500)
        table.insert(key: key, value: value)
        #expect(table.contents == full)
        table.insert(key: key, value: value)
        #expect(table.contents != full, "a doubled insertion went unseen")
    }

    @Test func ratiosAreMessageTrialsOverLockTrials() {
        func result(_ mode: RemoteOpMode, _ trials: [Double]) -> RemoteOpSession.ModeResult {
            let m = RunFormat.Measurement(benchmark: "remote_op", variant: mode.description, metric: "insert", unit: "ns",
                                          lowerIsBetter: true, statistics: SampleStatistics(trials)!, trials: trials)
            return .init(mode: mode, measurement: m, operations: 0, table: [], ownerSleeps: 0, scheduling: [])
        }
        let rows = RemoteOpSession.ratios([result(.lock("spin"), [100, 200]), result(.message(.polled), [250, 540])])
        #expect(rows.count == 1)
        #expect(rows[0].trials == [2.5, 2.7])
        #expect(rows[0].param == "message=message_polled;lock=lock_spin")
    }

    @Test func modeNamesRoundTrip() {
        for mode in RemoteOpMode.all { #expect(RemoteOpMode(mode.description) == mode) }
        #expect(RemoteOpMode("lock_rwlock") == nil)
        #expect(RemoteOpMode("") == nil)
    }
}
