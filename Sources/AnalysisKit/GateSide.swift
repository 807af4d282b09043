import Foundation
import RunFormat

/// One side of a gate as repeated runs: the unit the gate's noise band is
/// measured in. Trials within one run share that run's thread placement on
/// the host and are correlated, so only separate runs show how much a metric
/// moves from run to run.
///
/// Each directory given is one run (a run directory or a suite output),
/// unless it holds sub-directories named `run-*`: then each of those is one
/// run (a recorded baseline, `results/baseline/<class>/run-01` ...).
public struct GateSide: Sendable {
    /// What one run of the side measured, by metric.
    public struct Metric: Sendable {
        public var lowerIsBetter: Bool
        /// Per-trial values, one array per run that has the metric (runs without it are left out).
        public var runs: [[Double]]
        /// The first run directory that has it (its environment stamp).
        public var run: GateRuns.Run
    }

    /// The side's runs, each with its label (the directory, or `dir/run-02`).
    public let replicates: [(label: String, runs: GateRuns)]

    /// Most runs one side may hold.
    public static let maximumReplicates = 1_000
    /// Sub-directories with this prefix are the runs of a multi-run directory.
    public static let replicatePrefix = "run-"

    /// - Throws: `InputFileError` when a directory (or one of its `run-*`)
    ///   holds no run, or a file in it is malformed.
    public init(directories: [String]) throws {
        var found: [(String, GateRuns)] = []
        for directory in directories {
            let replicates = Self.replicateDirectories(directory)
            for path in replicates.isEmpty ? [directory] : replicates {
                guard found.count < Self.maximumReplicates else {
                    throw InputFileError(path: directory, problem: .cannotOpen("more than \(Self.maximumReplicates) runs"))
                }
                found.append((path, try GateRuns(directory: path)))
            }
        }
        guard !found.isEmpty else {
            throw InputFileError(path: directories.first ?? ".", problem: .cannotOpen("no run directory given"))
        }
        replicates = found
    }

    /// `directory/run-*` sub-directories (not symbolic links), sorted by name.
    static func replicateDirectories(_ directory: String) -> [String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasPrefix(replicatePrefix) }.sorted().map { directory + "/" + $0 }.filter { path in
            (try? manager.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory
        }
    }

    /// Every metric of any run, with its trials per run, in the runs' order.
    public var metrics: [MetricKey: Metric] {
        var result: [MetricKey: Metric] = [:]
        for (_, runs) in replicates {
            for (key, value) in runs.metrics {
                if result[key] == nil {
                    result[key] = Metric(lowerIsBetter: value.lowerIsBetter, runs: [value.trials], run: value.run)
                } else {
                    result[key]!.runs.append(value.trials)
                }
            }
        }
        return result
    }
}
