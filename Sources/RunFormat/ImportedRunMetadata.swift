import Foundation

extension RunMetadata {
    /// What an importer writes in a required text field its source does not
    /// carry (a kernel release, a host); the gate treats it as unknown, not as a value.
    public static let unknownValue = "unknown"

    /// meta.json for a run converted from another tool's output (`analysis
    /// import`): what the file said about its machine, everything else unknown
    /// (null), with `parameters.imported_from` naming the tool and file so no
    /// one mistakes it for a kbench measurement.
    /// - Parameters:
    ///   - sourceTool: "rminnich/ftq", "LLNL fwq", "cyclictest", "oslat".
    ///   - sourceFile: the file read, as the user named it.
    ///   - parameters: the tool's own settings found in the file (quantum_ns, ...).
    public static func imported(sourceTool: String, sourceFile: String, commandLine: [String], host: String?,
                                kernelRelease: String?, cpuModel: String?, cpus: [Int], tscFrequencyHz: Double?,
                                tscCalibration: String?, parameters: [String: JSONValue],
                                warnings: [String]) -> RunMetadata {
        var all = parameters
        all["imported_from"] = .string(sourceTool)
        all["imported_file"] = .string(sourceFile)
        return RunMetadata(
            tool: sourceTool, gitCommit: nil, gitDirty: nil, commandLine: commandLine, startTime: Date(),
            endTime: Date(), host: host ?? unknownValue, kernelRelease: kernelRelease ?? unknownValue,
            cpuModel: cpuModel, cpus: cpus,
            tsc: TSC(frequencyHz: tscFrequencyHz, ticksPerNs: tscFrequencyHz.map { $0 / 1e9 },
                     calibration: tscCalibration),
            scheduling: Scheduling(requested: unknownValue), memoryLocked: false, parameters: all,
            warnings: ["imported from \(sourceTool) output: the environment fields its file does not record are unknown (null)"]
                + warnings,
            complete: true)
    }
}
