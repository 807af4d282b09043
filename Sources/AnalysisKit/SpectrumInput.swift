import Foundation
import RunFormat

/// Where `analysis spectrum` reads from and what it knows about the run: the
/// trace, its sample rate, the measured kernel's CONFIG_HZ and the interrupt
/// counts, each from the most trustworthy source available. The gate and
/// reports resolve a run the same way.
public struct SpectrumInput: Sendable {
    /// The run directory (the trace's directory when given a file).
    public let runDirectory: String
    /// The ftq.csv read.
    public let tracePath: String
    /// The run's meta.json, when there is one beside the trace.
    public let metadata: RunMetadata?
    /// Samples per second: `--sample-rate`, else meta.json's quantum; nil to
    /// infer it from the `start_ns` spacing.
    public let sampleRate: Double?
    /// CONFIG_HZ of the kernel that ran the measurement, when known.
    public let configHZ: Int?
    /// Where `configHZ` came from, for meta.json.
    public let configHZSource: String
    /// interrupts.csv beside the trace, when there is one.
    public let interrupts: InterruptDeltas?
    /// What the analysis should say about missing or surprising inputs.
    public var warnings: [String] = []

    /// Resolves `run` (a run directory or an ftq.csv file).
    /// - Parameters:
    ///   - sampleRate: `--sample-rate`, which overrides meta.json.
    ///   - configHZ: `--config-hz`, which overrides meta.json.
    ///   - localConfigHZ: this machine's CONFIG_HZ, asked only when the trace has no
    ///     meta.json (a trace from elsewhere: the caller knows how to read the kernel config).
    /// - Throws: `InputFileError` for a meta.json or interrupts.csv that does not parse.
    public init(run: String, sampleRate: Double?, configHZ: Int?, localConfigHZ: () -> Int?) throws {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory)
        let parent = (run as NSString).deletingLastPathComponent
        runDirectory = isDirectory.boolValue ? run : (parent.isEmpty ? "." : parent)
        tracePath = isDirectory.boolValue ? run + "/" + SamplerTraceFile.ftq.name : run
        let metaPath = runDirectory + "/meta.json"
        let meta = FileManager.default.fileExists(atPath: metaPath) ? try RunMetadata.read(path: metaPath) : nil
        metadata = meta
        let parameters = meta?.parameters ?? [:]

        // The sample rate: --sample-rate, else the quantum the sampler used.
        if let sampleRate {
            self.sampleRate = sampleRate
        } else if let quantumNs = parameters["quantum_ns"]?.doubleValue {
            // A quantum no sampler runs at is a corrupted meta.json, not a rate to use.
            guard TraceReader.plausibleQuantumNs.contains(quantumNs) else {
                throw InputFileError(path: metaPath, problem: .invalidJSON(
                    "parameters.quantum_ns \(quantumNs) is outside 1 ns to 1 hour"))
            }
            self.sampleRate = 1e9 / quantumNs
        } else {
            self.sampleRate = nil
        }
        if let mode = parameters["mode"]?.stringValue, mode != "ftq" {
            warnings.append("run mode is \(mode), not ftq: its spectrum is of per-sample durations")
        }

        // CONFIG_HZ of the kernel that ran the measurement, not of this one.
        if let configHZ {
            self.configHZ = configHZ
            configHZSource = "--config-hz"
        } else if let meta {
            // CONFIG_HZ is 100 to 1000 on any kernel; a wild value would only mislabel peaks.
            if let hz = meta.configHZ, !(1...100_000).contains(hz) {
                throw InputFileError(path: metaPath, problem: .invalidJSON("config_hz \(hz) is outside 1 to 100000"))
            }
            self.configHZ = meta.configHZ
            configHZSource = self.configHZ == nil ? "unknown in meta.json: inferred from the LOC rate if possible"
                                                  : "meta.json"
        } else {
            self.configHZ = localConfigHZ()
            configHZSource = "this machine's kernel (no meta.json beside the trace)"
            warnings.append("no meta.json: labelling with this machine's CONFIG_HZ=\(self.configHZ.map(String.init) ?? "unknown"); pass --config-hz if the trace came from elsewhere")
        }

        let interruptsPath = runDirectory + "/" + InterruptsFile.name
        if FileManager.default.fileExists(atPath: interruptsPath) {
            interrupts = try InterruptDeltas.read(path: interruptsPath)
        } else {
            interrupts = nil
            warnings.append("no interrupts.csv beside the trace: peaks are labelled from CONFIG_HZ only")
        }
    }
}
