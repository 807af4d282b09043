import Foundation
import RunFormat
import SystemPackage
import Testing
@testable import AnalysisKit

@Suite("analysis report: run discovery, the papers' tables, rendering")
struct ReportTests {
    static func measurement(_ benchmark: String, _ variant: String, threads: Int = 1, param: String = "",
                            _ metric: String, _ unit: String, p50: Double) -> RunFormat.Measurement {
        let s = SampleStatistics(count: 3, mean: p50, std: 0, min: p50, p50: p50, p75: p50, p90: p50, p99: p50,
                                 p999: p50, max: p50)
        return RunFormat.Measurement(benchmark: benchmark, variant: variant, threads: threads, param: param,
                                     metric: metric, unit: unit, lowerIsBetter: true, statistics: s)
    }

    static let floors = [
        measurement("floor", "rdtscp", "read", "ns", p50: 26),
        measurement("floor", "cas_uncontended", "cas", "ns", p50: 2.5),
        measurement("floor", "syscall_getppid", "syscall", "ns", p50: 170),
        measurement("floor", "cas_round_trip_cpu0_cpu1", threads: 2, "round_trip", "ns", p50: 300),
    ]

    /// A temporary tree: two runs, a combined summary without meta.json (not a
    /// run: its rows repeat the runs'), a plot, and a symbolic link back to the
    /// root that the walk must not follow.
    func tree() throws -> String {
        let root = NSTemporaryDirectory() + "kbench-report-\(UUID().uuidString)"
        let files = FileManager.default
        for dir in ["floors", "locks/sweep"] { try files.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true) }
        try SummaryFile.write(Self.floors, to: FilePath(root + "/floors/summary.csv"))
        let locks = [Self.measurement("lockbench", "mcs", threads: 1, "acquire_latency", "ticks", p50: 26),
                     Self.measurement("lockbench", "mcs", threads: 1, "acquire_latency", "ns", p50: 10),
                     Self.measurement("queue", "ucq", threads: 2, "per_message", "ns", p50: 50)]
        try SummaryFile.write(locks, to: FilePath(root + "/locks/sweep/summary.csv"))
        try SummaryFile.write(Self.floors + locks, to: FilePath(root + "/summary.csv"))
        for dir in ["floors", "locks/sweep"] { try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/\(dir)/meta.json")) }
        try Data().write(to: URL(fileURLWithPath: root + "/locks/sweep/latency.png"))
        try files.createSymbolicLink(atPath: root + "/locks/loop", withDestinationPath: root)
        return root
    }

    @Test("finds every run directory once, skips combined summaries and does not follow links")
    func discovery() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let runs = try ReportRuns.collect([root])
        #expect(runs.map(\.path) == ["floors", "locks/sweep"])
        #expect(runs[1].plots == ["latency.png"])
        #expect(runs.flatMap(\.measurements).count == Self.floors.count + 3)
    }

    @Test("a directory without runs, or a missing one, is one clear error")
    func noRuns() throws {
        let empty = NSTemporaryDirectory() + "kbench-report-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: ReportError.self) { try ReportRuns.collect([empty]) }
        let missing = empty + "/nope"
        let error = #expect(throws: ReportError.self) { try ReportRuns.collect([missing]) }
        #expect(error?.description == "\(missing): not a readable directory")
    }

    @Test("a malformed summary.csv names its file and line")
    func malformedSummary() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bad = root + "/floors/summary.csv"
        let text = try String(contentsOfFile: bad, encoding: .utf8).replacing(",26,", with: ",abc,")
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        let error = #expect(throws: InputFileError.self) { try ReportRuns.collect([root]) }
        #expect(error?.description.hasPrefix(bad + ":2:") == true)
    }

    @Test("Table 6.2 shows the quantiles, the multiple of the CAS floor and the thesis' median")
    func mcsTable() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = Report(runs: try ReportRuns.collect([root]))
        let table = try #require(report.tables.first { $0.title.hasPrefix("Table 6.2") })
        #expect(table.rows == [["mcs", "1", "26", "0", "26", "26", "26", "26", "26", "26", "26", "×4", "32"]])
        let floors = try #require(report.tables.first { $0.title.hasPrefix("Floors") })
        #expect(floors.rows.map(\.[1]) == ["26", "2.5", "170", "300"])
        // The queue row belongs to no table yet: listed, not hidden, as multiples of the floors.
        let others = try #require(report.tables.first { $0.title == "Other measurements" })
        #expect(others.rows == [["queue", "ucq", "2", "", "per_message", "50", "ns", "×20", "×0.294"]])
        #expect(report.plots == ["locks/sweep/latency.png"])
    }

    @Test("text aligns numbers right; markdown escapes pipes and keeps one row per line")
    func rendering() {
        let table = ReportTable(title: "T", note: "n", header: ["name", "value"],
                                rows: [["a|b", "1"], ["long name", "1000"], ["x\ny", "n/a"]])
        // The text form is checked line by line; a newline inside a cell is the markdown case.
        let lines = table.render(.text).split(separator: "\n")
        #expect(lines[3] == "name       value")
        #expect(lines[5] == "a|b            1")
        #expect(lines[6] == "long name   1000")
        let markdown = table.render(.markdown).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(markdown.contains("| a\\|b | 1 |"))
        #expect(markdown.contains("| x y | n/a |"))
        #expect(markdown.contains("| --- | ---: |"))
    }

    @Test("multiples and formats of missing, zero and non-finite values say n/a")
    func numbers() {
        #expect(ReportNumber.multiple(10, of: 0) == "n/a")
        #expect(ReportNumber.multiple(nil, of: 2) == "n/a")
        #expect(ReportNumber.multiple(.nan, of: 2) == "n/a")
        #expect(ReportNumber.multiple(10, of: 4) == "×2.5")
        #expect(ReportNumber.format(.infinity) == "n/a")
        #expect(ReportNumber.format(1e300) == "1e+300")
        #expect(ReportNumber.percent(0.0125) == "1.25%")
    }

    @Test("Tables 4.1 and 4.2 from ctxbench switch rows, switch-to as a multiple of Boost.Context")
    func switchTables() throws {
        let rows = [
            Self.measurement("switch", "reference", param: "peer=boost_jump_fcontext", "switch", "ns", p50: 8),
            Self.measurement("switch", "uthread_switch-to", threads: 2, param: "fs_base=none", "switch", "ns", p50: 16),
            Self.measurement("switch", "uthread_locked", threads: 2, param: "fs_base=none", "switch", "ns", p50: 60),
            Self.measurement("switch", "kthread_sched_yield", threads: 2, "switch", "ns", p50: 2000),
        ]
        let report = Report(runs: [ReportRun(path: "switch", tool: "ctxbench", measurements: rows)])
        let t41 = try #require(report.tables.first { $0.title.hasPrefix("Table 4.1") })
        #expect(t41.rows == [["2", "2000", "n/a", "n/a", "60", "465", "477", "251", "340", "172"]])
        let t42 = try #require(report.tables.first { $0.title.hasPrefix("Table 4.2") })
        #expect(t42.rows[0] == ["this machine, 2 thr", "n/a", "60", "n/a", "n/a", "16", "n/a", "×2"])
        #expect(t42.rows[1] == ["thesis Akaros, 2 thr", "340", "172", "95", "88", "55", "n/a", "n/a"])
        #expect(!report.tables.contains { $0.title == "Other measurements" })
    }

    @Test("the IPC sweep has a column per size and perf beside pipe; remote-op gives message over lock")
    func crossCPUTables() throws {
        let ipc = { (mechanism: String, peer: Int, bytes: Int, p50: Double) in
            Self.measurement("ipc", "kbench", threads: 2,
                             param: "mechanism=\(mechanism);spaces=threads;cpu=0;peer=\(peer);bytes=\(bytes)",
                             "round_trip", "ns", p50: p50)
        }
        let rows = [ipc("pipe", 0, 0, 7000), ipc("pipe", 0, 252, 8000), ipc("spin", 1, 0, 70),
                    Self.measurement("ipc", "reference", threads: 2,
                                     param: "mechanism=pipe;spaces=threads;cpu=0;peer=0;bytes=0",
                                     "round_trip", "ns", p50: 8200),
                    Self.measurement("ipc", "ratio", threads: 2, param: "pipe_over_perf", "round_trip_over_reference",
                                     "ratio", p50: 0.9),
                    Self.measurement("remote_op", "lock_spin", threads: 2, "insert", "ns", p50: 10),
                    Self.measurement("remote_op", "message_polled", threads: 2, "insert", "ns", p50: 150),
                    Self.measurement("remote_op", "ratio", threads: 2, param: "message=message_polled;lock=lock_spin",
                                     "message_over_lock", "ratio", p50: 15)]
        let report = Report(runs: [ReportRun(path: "ipc", tool: "ctxbench", measurements: rows)])
        let sweep = try #require(report.tables.first { $0.title.hasPrefix("IPC round trips") })
        #expect(sweep.header == ["placement", "spaces", "mechanism", "0 B", "252 B", "perf"])
        #expect(sweep.rows == [["across CPUs", "threads", "spin", "70", "n/a", ""],
                               ["same CPU", "threads", "pipe", "7000", "8000", "8200"]])
        let remote = try #require(report.tables.first { $0.title.hasPrefix("Cross-CPU operations") })
        #expect(remote.rows == [["lock_spin", "10", ""], ["message_polled", "150", "15"]])
        // The target ratio row is in no table: listed, not hidden.
        let others = try #require(report.tables.first { $0.title == "Other measurements" })
        #expect(others.rows.map(\.[4]) == ["round_trip_over_reference"])
    }

    @Test("the queue table has one row per queue and producer/consumer shape")
    func queueTable() throws {
        let param = "producers=1;consumers=1;bytes=16"
        let rows = [Self.measurement("queue", "ucq", threads: 2, param: param, "time_per_message", "ns", p50: 112),
                    Self.measurement("queue", "ucq", threads: 2, param: param, "final_memory", "bytes", p50: 8192),
                    Self.measurement("queue", "ucq", threads: 2, param: param, "pages_mapped", "pages", p50: 40)]
        let report = Report(runs: [ReportRun(path: "queue", tool: "ctxbench", measurements: rows)])
        let table = try #require(report.tables.first { $0.title.hasPrefix("Event queues") })
        #expect(table.rows == [["1P/1C", "ucq", "112", "n/a", "n/a", "n/a", "8192"]])
        let others = try #require(report.tables.first { $0.title == "Other measurements" })
        #expect(others.rows.map(\.[4]) == ["pages_mapped"])
    }
}
