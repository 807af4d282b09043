import AnalysisKit
import BenchKit
import Foundation

/// Where `analysis spectrum` reads from and what it knows about the run: the
/// trace, its sample rate, the measured kernel's CONFIG_HZ and the interrupt
/// counts, each from the most trustworthy source available.
struct SpectrumInput {
    let runDirectory: String
    let tracePath: String
    let sampleRate: Double?
    let configHZ: Int?
    let configHZSource: String
    let interrupts: InterruptDeltas?
    var warnings: [String] = []

    init(run: String, sampleRate: Double?, configHZ: Int?) throws {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory)
        runDirectory = isDirectory.boolValue ? run : (run as NSString).deletingLastPathComponent.nonEmpty ?? "."
        tracePath = isDirectory.boolValue ? run + "/ftq.csv" : run
        let meta = try JSONCoding.readMeta(in: runDirectory)
        let parameters = meta?["parameters"] as? [String: Any]

        // The sample rate: --sample-rate, else the quantum the sampler used.
        if let sampleRate {
            self.sampleRate = sampleRate
        } else if let quantumNs = parameters?["quantum_ns"] as? Double, quantumNs > 0 {
            self.sampleRate = 1e9 / quantumNs
        } else {
            self.sampleRate = nil
        }
        if let mode = parameters?["mode"] as? String, mode != "ftq" {
            warnings.append("run mode is \(mode), not ftq: its spectrum is of per-sample durations")
        }

        // CONFIG_HZ of the kernel that ran the measurement, not of this one.
        if let configHZ {
            self.configHZ = configHZ
            configHZSource = "--config-hz"
        } else if let meta {
            self.configHZ = meta["config_hz"] as? Int
            configHZSource = self.configHZ == nil ? "unknown in meta.json: inferred from the LOC rate if possible"
                                                  : "meta.json"
        } else {
            self.configHZ = try? KernelConfig.running().get().hz
            configHZSource = "this machine's kernel (no meta.json beside the trace)"
            warnings.append("no meta.json: labelling with this machine's CONFIG_HZ=\(self.configHZ.map(String.init) ?? "unknown"); pass --config-hz if the trace came from elsewhere")
        }

        let interruptsPath = runDirectory + "/interrupts.csv"
        if FileManager.default.fileExists(atPath: interruptsPath) {
            interrupts = try InterruptDeltas.read(path: interruptsPath)
        } else {
            interrupts = nil
            warnings.append("no interrupts.csv beside the trace: peaks are labelled from CONFIG_HZ only")
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
