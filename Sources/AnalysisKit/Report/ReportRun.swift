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

/// Finds the run directories below the report's inputs: every directory with a
/// meta.json and a summary.csv. Combined summaries (the suite's top-level one,
/// which repeats the runs' rows) have no meta.json and are not read twice.
public enum ReportRuns {
    /// Deep enough for a suite directory (suite/locks/preempt-mcs/analysis);
    /// a hostile tree cannot make the walk unbounded.
    static let maximumDepth = 6
    static let maximumRuns = 4096

    public static func collect(_ inputs: [String]) throws -> [ReportRun] {
        var runs: [ReportRun] = []
        for input in inputs {
            let found = try runDirectories(under: input)
            if found.isEmpty {
                throw ReportError(path: input, message: "no run directory (meta.json and summary.csv) here or below")
            }
            for directory in found {
                let relative = directory == input ? "." : String(directory.dropFirst(input.count + 1))
                runs.append(try read(directory, as: relative))
            }
        }
        return runs
    }

    static func read(_ directory: String, as displayPath: String) throws -> ReportRun {
        let tool = try? RunMetadata.read(path: directory + "/meta.json").tool
        let measurements = try SummaryFile.read(path: directory + "/" + SummaryFile.name)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let plots = names.filter { $0.hasSuffix(".png") }.sorted()
        let peaksPath = directory + "/" + PeaksFile.name
        let peaks = FileManager.default.fileExists(atPath: peaksPath) ? try PeaksFile.read(path: peaksPath) : []
        return ReportRun(path: displayPath, tool: tool, measurements: measurements, plots: plots, peaks: peaks)
    }

    /// Directories at or below `root` holding both files, in path order;
    /// symbolic links are not followed (no loops, no escaping the tree).
    static func runDirectories(under root: String) throws -> [String] {
        var found: [String] = []
        var pending: [(String, Int)] = [(root, 0)]
        let files = FileManager.default
        while let (directory, depth) = pending.popLast() {
            guard let names = try? files.contentsOfDirectory(atPath: directory) else {
                if directory == root {
                    throw ReportError(path: root, message: "not a readable directory")
                }
                continue
            }
            if names.contains("meta.json"), names.contains(SummaryFile.name) {
                found.append(directory)
                guard found.count <= maximumRuns else {
                    throw ReportError(path: root, message: "more than \(maximumRuns) run directories")
                }
            }
            guard depth < maximumDepth else { continue }
            for name in names.sorted(by: >) where !name.hasPrefix(".") {
                let child = directory + "/" + name
                let attributes = try? files.attributesOfItem(atPath: child)
                if attributes?[.type] as? FileAttributeType == .typeDirectory {
                    pending.append((child, depth + 1))
                }
            }
        }
        return found
    }
}

/// A report input that is not a tree of run directories; one line.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}
