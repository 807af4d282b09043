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
        for (dir, tool) in [("floors", "ctxbench"), ("locks/sweep", "lockbench")] {
            let meta = DerivedRunMetadata(tool: tool, inputs: [], provenance: Provenance(host: "test", gitCommit: nil, gitDirty: nil))
            try JSONCoding.encode(meta).write(to: URL(fileURLWithPath: root + "/\(dir)/meta.json"))
        }
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
        #expect(runs[1].plots == ["latency.png"] && runs.map(\.tool) == ["ctxbench", "lockbench"])
        #expect(runs.flatMap(\.measurements).count == Self.floors.count + 3)
    }

    @Test("a directory without runs, or a missing one, is one clear error")
    func noRuns() throws {
        let empty = NSTemporaryDirectory() + "kbench-report-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: InputFileError.self) { try ReportRuns.collect([empty]) }
        let missing = empty + "/nope"
        let error = #expect(throws: InputFileError.self) { try ReportRuns.collect([missing]) }
        #expect(error?.description.hasPrefix(missing + ": ") == true && error?.description.contains("no run directory") == true)
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

    @Test("IPIs and the core-to-core moves beside Völp's cycles, as multiples of the floors; none left over")
    func interProcessorTables() throws {
        let ipiParam = "initiator=cpu0;victim=cpu1;ops=100", c2cParam = "relation=same_die;rounds=2;iterations=500"
        let rows = Self.floors + [
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "initiator_latency", "ns", p50: 3400),
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "initiator_latency", "ticks", p50: 8300),
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "ipis_per_op", "count", p50: 1),
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "victim_time_per_ipi", "ns", p50: 850),
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "victim_time_per_ipi", "ticks", p50: 2100),
            Self.measurement("ipi", "mprotect", threads: 2, param: ipiParam, "victim_gaps_per_ipi", "count", p50: 1),
            Self.measurement("ipi", "membarrier", threads: 2, param: ipiParam, "initiator_latency", "ns", p50: 340),
            Self.measurement("c2c", "cpu0_cpu1", threads: 2, param: c2cParam, "cas_round_trip", "ns", p50: 450),
            Self.measurement("c2c", "cpu0_cpu1", threads: 2, param: c2cParam, "cas_round_trip", "ticks", p50: 1100),
            Self.measurement("c2c", "cpu1_cpu0", threads: 2, param: c2cParam, "read_modified", "ns", p50: 150),
        ]
        let report = Report(runs: [ReportRun(path: "x", tool: "ctxbench", measurements: rows)])
        let ipi = try #require(report.tables.first { $0.title.hasPrefix("IPIs") })
        #expect(ipi.rows == [["mprotect", "3400", "8300", "×20", "1", "850", "2100", "×5", "1"],
                             ["membarrier", "340", "n/a", "×2", "n/a", "n/a", "n/a", "n/a", "n/a"]])
        #expect(ipi.note.contains("1230–1250") && ipi.note.contains("290–410"))
        let c2c = try #require(report.tables.first { $0.title.hasPrefix("Core to core") })
        #expect(c2c.rows == [["cas_round_trip", "0→1", "same_die", "450", "1100", "×180", "×1.5", "2 × M to M: 179"],
                             ["read_modified", "1→0", "same_die", "150", "n/a", "×60", "×0.5", "M to S: 89.5"]])
        #expect(!report.tables.contains { $0.title == "Other measurements" })
    }

    @Test("fork-join regions as multiples of the floors and of the spinning barrier, beside Uhlig's Fig 6.5")
    func forkJoinTable() throws {
        let rows = Self.floors + [
            Self.measurement("forkjoin", "futex", threads: 2, param: "cpus=0-1;regions=200", "region", "ns", p50: 60000),
            Self.measurement("forkjoin", "futex", threads: 2, param: "cpus=0-1;regions=200", "region", "ticks", p50: 150000),
            Self.measurement("forkjoin", "spin", threads: 2, param: "cpus=0-1;regions=200", "region", "ns", p50: 600),
        ]
        let report = Report(runs: [ReportRun(path: "forkjoin", tool: "ctxbench", measurements: rows)])
        let table = try #require(report.tables.first { $0.title.hasPrefix("Fork-join") })
        #expect(table.rows == [["futex", "2", "60000", "150000", "×353", "×200", "×100"],
                               ["spin", "2", "600", "n/a", "×3.53", "×2", "×1"]])
        #expect(table.note.contains("2.5× lock-based at 2 processors"))
        #expect(!report.tables.contains { $0.title == "Other measurements" })
    }

    @Test("lockbench dynamic: lock overhead, event logging (a)-(f) alone and on every CPU, coarse against fine")
    func dynamicLockTables() throws {
        let log = "log_bytes=128 message_words=32"
        let rows = Self.floors + [
            Self.measurement("dynamic_overhead", "none", param: "message_words=32", "op", "ns", p50: 10),
            Self.measurement("dynamic_overhead", "spin", param: "message_words=32", "op", "ns", p50: 12),
            Self.measurement("dynamic_overhead", "spin", param: "message_words=32", "ratio_to_none", "ratio", p50: 1.2),
            Self.measurement("eventlog_overhead", "a", param: log, "op", "ns", p50: 9),
            Self.measurement("eventlog_overhead", "a", param: log, "ratio_to_a", "ratio", p50: 1),
            Self.measurement("eventlog_overhead", "f", param: log, "op", "ns", p50: 20),
            Self.measurement("eventlog_overhead", "f", param: log, "ratio_to_a", "ratio", p50: 2.2),
            Self.measurement("eventlog_scaling", "f", threads: 2, param: log, "op", "ns", p50: 21),
            Self.measurement("eventlog_scaling", "f", threads: 2, param: log, "ratio_to_a", "ratio", p50: 2.3),
            Self.measurement("granularity", "coarse", param: "nodes=64", "revoke_per_node", "ns", p50: 2),
            Self.measurement("granularity", "fine", param: "nodes=64", "revoke_per_node", "ns", p50: 3),
            Self.measurement("granularity", "fine", threads: 2, param: "nodes=64", "revoke_per_node", "ns", p50: 10),
            Self.measurement("granularity", "fine", threads: 2, param: "nodes=64", "helper_revoke", "ns", p50: 25),
            Self.measurement("dynamic_transition", "demote", param: "quiescent_every=1", "latency", "ns", p50: 80),
        ]
        let report = Report(runs: [ReportRun(path: "locks/dynamic", tool: "lockbench", measurements: rows)])
        let overhead = try #require(report.tables.first { $0.title.hasPrefix("Dynamic locks: overhead") })
        #expect(overhead.rows == [["none", "10", "×4", "n/a", "", ""], ["spin", "12", "×4.8", "1.2", "none", "1.16–1.64"]])
        let logging = try #require(report.tables.first { $0.title.hasPrefix("Event logging") })
        #expect(logging.header.suffix(2) == ["ns 2 CPUs", "÷ (a) 2 CPUs"])
        #expect(logging.rows == [["a", "no logging code", "9", "×3.6", "1", "n/a", "n/a"],
                                 ["f", "five entries with the TSC", "20", "×8", "2.2", "21", "2.3"]])
        let granularity = try #require(report.tables.first { $0.title.hasPrefix("Lock granularity") })
        #expect(granularity.rows == [["64", "2", "3", "×1.5", "1.15", "n/a", "10", "n/a", "25", "×10"]])
        // Transitions have no table of their own yet: listed, not hidden.
        let others = try #require(report.tables.first { $0.title == "Other measurements" })
        #expect(others.rows.map(\.[0]) == ["dynamic_transition"])
    }
}
