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
}
