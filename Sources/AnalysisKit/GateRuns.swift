import Foundation
import RunFormat

/// The runs of one side of a gate: every run directory at or below a directory
/// (a run, or a suite of runs), each with its metrics' per-trial values and its
/// environment. The combined summary.csv at a suite's top (no meta.json beside
/// it) is not a run and is skipped.
public struct GateRuns: Sendable {
    /// One run directory.
    public struct Run: Sendable {
        /// Relative to the directory given ("." for the directory itself).
        public var location: String
        /// meta.json's tool ("ctxbench", "ftq", "analysis spectrum", "cyclictest").
        public var tool: String
        /// The environment stamp: the run's own meta.json, or for a derived
        /// run (an analysis directory) the meta.json of the run it was made from.
        public var environment: RunMetadata?
        /// summary.csv's rows.
        public var measurements: [RunFormat.Measurement]
        /// trials.csv's values by metric (empty without a trials.csv).
        public var trials: [MetricKey: [Double]]
    }

    public let directory: String
    public let runs: [Run]

    /// Deepest directory level searched below `directory`.
    public static let maximumDepth = 8
    /// Most run directories one side may hold.
    public static let maximumRuns = 10_000

    /// Reads every run at or below `directory`.
    /// - Throws: `InputFileError` for a malformed summary.csv, trials.csv or
    ///   meta.json, or for a directory with no run in it.
    public init(directory: String) throws {
        self.directory = directory
        var found: [Run] = []
        try Self.collect(directory, location: ".", depth: 0, parentEnvironment: nil, into: &found)
        guard !found.isEmpty else {
            throw InputFileError(path: directory, problem: .cannotOpen(
                "no run directory (summary.csv with a meta.json) at or below it"))
        }
        runs = found
    }

    private static func collect(_ path: String, location: String, depth: Int, parentEnvironment: RunMetadata?,
                                into runs: inout [Run]) throws {
        let manager = FileManager.default
        let summary = path + "/" + SummaryFile.name, meta = path + "/meta.json"
        var environment = parentEnvironment
        if manager.fileExists(atPath: meta) {
            // A measuring tool's meta.json, else an analysis tool's (derived).
            var tool: String
            if let own = try? RunMetadata.read(path: meta) {
                environment = own
                tool = own.tool
            } else {
                do {
                    tool = try DerivedRunMetadata.read(path: meta).tool
                } catch {
                    // Neither: report why it is not a kbench meta.json.
                    _ = try RunMetadata.read(path: meta)
                    throw error
                }
            }
            if manager.fileExists(atPath: summary) {
                guard runs.count < maximumRuns else {
                    throw InputFileError(path: path, problem: .cannotOpen("more than \(maximumRuns) run directories"))
                }
                let measurements = try SummaryFile.read(path: summary)
                var trials: [MetricKey: [Double]] = [:]
                let trialsPath = path + "/" + TrialsFile.name
                if manager.fileExists(atPath: trialsPath) {
                    for row in try TrialsFile.read(path: trialsPath) {
                        trials[MetricKey(tool: tool, row), default: []].append(row.value)
                    }
                }
                runs.append(Run(location: location, tool: tool, environment: environment,
                                measurements: measurements, trials: trials))
            }
        }
        guard depth < maximumDepth,
              let names = try? manager.contentsOfDirectory(atPath: path) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let child = path + "/" + name
            var isDirectory: ObjCBool = false
            // Symbolic links are not followed: a link to an ancestor would loop.
            guard let kind = try? manager.attributesOfItem(atPath: child)[.type] as? FileAttributeType,
                  kind == .typeDirectory,
                  manager.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            try collect(child, location: location == "." ? name : location + "/" + name, depth: depth + 1,
                        parentEnvironment: environment, into: &runs)
        }
    }

    /// One side's metrics: each measurement's key, direction and trials.
    /// Keys that two runs share get the runs' locations, so neither hides the other.
    public var metrics: [MetricKey: (lowerIsBetter: Bool, trials: [Double], run: Run)] {
        var counts: [MetricKey: Int] = [:]
        for run in runs {
            for m in run.measurements { counts[MetricKey(tool: run.tool, m), default: 0] += 1 }
        }
        var result: [MetricKey: (lowerIsBetter: Bool, trials: [Double], run: Run)] = [:]
        for run in runs {
            for m in run.measurements {
                let plain = MetricKey(tool: run.tool, m)
                var key = plain
                if counts[plain, default: 0] > 1 { key.location = run.location }
                result[key] = (m.lowerIsBetter, run.trials[plain] ?? [], run)
            }
        }
        return result
    }
}
