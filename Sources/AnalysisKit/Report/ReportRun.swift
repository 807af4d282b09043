import Foundation
import RunFormat

/// One run directory the report reads: its summary rows, its plots, and the
/// peaks of an FTQ spectrum when it has them.
public struct ReportRun: Sendable {
    /// The directory as the reader will find it: relative to the report's
    /// input path, so a report written into a suite directory links correctly.
    public var path: String
    public var tool: String?
    public var measurements: [RunFormat.Measurement]
    /// PNG files of the directory, by name.
    public var plots: [String]
    public var peaks: [PeaksFile.Row]

    public init(path: String, tool: String?, measurements: [RunFormat.Measurement], plots: [String] = [], peaks: [PeaksFile.Row] = []) {
        self.path = path
        self.tool = tool
        self.measurements = measurements
        self.plots = plots
        self.peaks = peaks
    }
}

/// The runs below the report's inputs, found as the gate finds them
/// (`GateRuns`: every directory with a meta.json and a summary.csv, links not
/// followed, depth and count bounded; a combined summary without meta.json is
/// not read twice), with what only the report shows: plots and FTQ peaks.
public enum ReportRuns {
    /// - Throws: `InputFileError` for an input with no run, or a malformed file.
    public static func collect(_ inputs: [String]) throws -> [ReportRun] {
        try inputs.flatMap { input in
            try GateRuns(directory: input).runs.map { run in
                try read(run, in: run.location == "." ? input : input + "/" + run.location)
            }
        }
    }

    static func read(_ run: GateRuns.Run, in directory: String) throws -> ReportRun {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let plots = names.filter { $0.hasSuffix(".png") }.sorted()
        let peaksPath = directory + "/" + PeaksFile.name
        let peaks = FileManager.default.fileExists(atPath: peaksPath) ? try PeaksFile.read(path: peaksPath) : []
        return ReportRun(path: run.location, tool: run.tool, measurements: run.measurements, plots: plots, peaks: peaks)
    }
}
