import Foundation
import Testing
@testable import RunFormat

/// meta.json: encode → decode gives the same value; unknowns are explicit
/// nulls; non-finite numbers are null, never 0.
@Suite struct RunMetadataCodingTests {
    static func sample(unknown: Bool) -> RunMetadata {
        RunMetadata(
            tool: "ftq", gitCommit: unknown ? nil : "0123abc", gitDirty: unknown ? nil : true,
            commandLine: ["ftq", "--cpu", "1"], startTime: Date(timeIntervalSince1970: 1_700_000_000),
            endTime: unknown ? nil : Date(timeIntervalSince1970: 1_700_000_010), host: "vm", kernelRelease: "6.1.0",
            cpuModel: unknown ? nil : "AMD EPYC", cpus: [1], smtSiblings: ["1": unknown ? nil : "1"],
            tsc: RunMetadata.TSC(frequencyHz: unknown ? nil : 2.45e9, ticksPerNs: 2.45, calibration: "paired reads",
                                 calibrationUncertainty: unknown ? .nan : 1e-6, invariant: true, cpuidInvariantBit: false,
                                 constantTSC: true, nonstopTSC: true, readOverheadMinTicks: 30,
                                 readOverheadMedianTicks: unknown ? nil : 34, crossCPUSpreadNs: .infinity,
                                 crossCPUUncertaintyNs: 12.5),
            clocksource: "tsc", isolcpus: unknown ? nil : "", cpusIsolated: false, nohzFull: "", rcuNocbs: nil,
            configHZ: unknown ? nil : 250, configSource: unknown ? nil : "/boot/config-6.1.0",
            cpufreqGovernor: ["1": nil],
            cstates: ["1": unknown ? nil : [RunMetadata.IdleState(name: "POLL", latencyUs: 0, enabled: true)]],
            irqsOnMeasuredCPUs: [RunMetadata.IRQRoute(irq: "24", cpus: "0-1", description: "virtio0")],
            scheduling: RunMetadata.Scheduling(requested: "SCHED_FIFO 50",
                                               obtained: ["sampler0@cpu1": .init(policy: "SCHED_FIFO", priority: 50)]),
            memoryLocked: true,
            cpuTimeDuringRunMs: unknown ? nil : ["1": ["user": 9990, "steal": 0.5]],
            parameters: ["quantum_ns": 100_000.0, "mode": "ftq", "lost": .double(.nan), "list": [1, "x", .null]],
            warnings: ["CONFIG_HZ unknown"], complete: !unknown)
    }

    /// `sample` as it must read back: non-finite numbers became null.
    static func expected(_ meta: RunMetadata) -> RunMetadata {
        var meta = meta
        if meta.tsc.calibrationUncertainty?.isFinite == false { meta.tsc.calibrationUncertainty = nil }
        meta.tsc.crossCPUSpreadNs = nil
        meta.parameters["lost"] = .null
        return meta
    }

    @Test(arguments: [false, true])
    func roundTrip(unknown: Bool) throws {
        let meta = Self.sample(unknown: unknown)
        let data = try meta.json()
        let decoded = try JSONCoding.decode(RunMetadata.self, from: data)
        #expect(decoded == Self.expected(meta))
        // And again: decoding what was decoded and re-encoded changes nothing.
        #expect(try JSONCoding.decode(RunMetadata.self, from: decoded.json()) == decoded)
    }

    @Test func everyKeyIsWrittenAndUnknownsAreNull() throws {
        let object = try #require(JSONSerialization.jsonObject(with: Self.sample(unknown: true).json()) as? [String: Any])
        #expect(Set(object.keys) == Set(RunMetadata.keys))
        for key in ["git_commit", "git_dirty", "end_time_utc", "cpu_model", "config_hz", "isolcpus", "rcu_nocbs",
                    "cpu_time_during_run_ms"] {
            #expect(object[key] is NSNull, "\(key) must be an explicit null")
        }
        let tsc = try #require(object["tsc"] as? [String: Any])
        #expect(tsc["frequency_hz"] is NSNull)
        #expect(tsc["calibration_uncertainty"] is NSNull, "NaN is written as null, not 0")
        #expect(tsc["cross_cpu_spread_ns"] is NSNull, "inf is written as null, not 0")
        #expect((object["parameters"] as? [String: Any])?["lost"] is NSNull)
        #expect((object["smt_siblings"] as? [String: Any])?["1"] is NSNull)
        #expect((object["cpufreq_governor"] as? [String: Any])?["1"] is NSNull)
    }

    @Test func knownValuesKeepTheirShape() throws {
        let text = String(decoding: try Self.sample(unknown: false).json(), as: UTF8.self)
        for fragment in ["\"git_dirty\" : true", "\"config_hz\" : 250", "\"latency_us\" : 0",
                         "\"start_time_utc\" : \"2023-11-14T22:13:20Z\"", "\"quantum_ns\" : 100000",
                         "\"read_overhead_min_ticks\" : 30", "\"requested\" : \"SCHED_FIFO 50\""] {
            #expect(text.contains(fragment), "meta.json lacks \(fragment)")
        }
    }

    @Test func aRunWithoutGitDirtyStillReads() throws {
        var object = try #require(JSONSerialization.jsonObject(with: Self.sample(unknown: false).json()) as? [String: Any])
        object.removeValue(forKey: "git_dirty")
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONCoding.decode(RunMetadata.self, from: data).gitDirty == nil)
    }

    @Test func aCommittedReferenceRunReads() throws {
        // The repository's reference run, written before RunMetadata was Codable.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let path = root + "/results/reference-amd-epyc-vm-2026-11-25/ftq/meta.json"
        try #require(FileManager.default.fileExists(atPath: path))
        let meta = try RunMetadata.read(path: path)
        #expect(meta.tool == "ftq")
        #expect(meta.parameters["quantum_ns"]?.doubleValue ?? 0 > 0)
        let derived = try DerivedRunMetadata.read(path: root + "/results/reference-amd-epyc-vm-2026-11-25/ftq/analysis/meta.json")
        #expect(derived.tool == "analysis spectrum")
    }

    @Test func badMetaJSONNamesTheFileAndKey() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let path = try scratch.write("meta.json", #"{"tool": "ftq", "version": 1}"#)
        let error = try #require(throws: InputFileError.self) { try RunMetadata.read(path: path) }
        #expect(error.description.hasPrefix(path + ": not a kbench meta.json"))
        #expect(error.description.contains("version"))
        let garbage = try scratch.write("bad.json", "not json")
        #expect(throws: InputFileError.self) { try RunMetadata.read(path: garbage) }
        #expect(throws: InputFileError.self) { try RunMetadata.read(path: scratch.path + "/none.json") }
    }

    @Test func derivedMetadataRoundTrips() throws {
        var meta = DerivedRunMetadata(tool: "analysis spectrum", inputs: ["../ftq.csv"],
                                      parameters: ["zoom_hz": [3000, 500.5], "sample_rate_hz": .double(.infinity)],
                                      provenance: Provenance(host: "vm", gitCommit: nil, gitDirty: nil),
                                      commandLine: ["analysis"], startTime: Date(timeIntervalSince1970: 0))
        meta.warnings = ["w"]
        let decoded = try JSONCoding.decode(DerivedRunMetadata.self, from: JSONCoding.encode(meta))
        meta.parameters["sample_rate_hz"] = .null
        #expect(decoded == meta)
        let object = try #require(JSONSerialization.jsonObject(with: JSONCoding.encode(meta)) as? [String: Any])
        #expect(object["git_commit"] is NSNull && object["git_dirty"] is NSNull && object["end_time_utc"] is NSNull)
    }

    @Test func relativePaths() {
        #expect(RunPaths.relative("/tmp/run/analysis", to: "/tmp/run") == "analysis")
        #expect(RunPaths.relative("/tmp/run/ftq.csv", to: "/tmp/run/analysis") == "../ftq.csv")
        #expect(RunPaths.relative("/tmp/run/./analysis/", to: "/tmp/run/") == "analysis")
        #expect(RunPaths.relative("/tmp/run", to: "/tmp/run") == ".")
        #expect(RunPaths.relative("/srv/out", to: "/tmp/run") == "../../srv/out")
        #expect(RunPaths.relative("runs/x/analysis", to: "runs/x") == "analysis")
    }
}
