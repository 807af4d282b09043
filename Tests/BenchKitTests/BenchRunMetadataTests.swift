import Foundation
import Synchronization
import SystemPackage
import Testing
import RunFormat
@testable import BenchKit

@Suite(.serialized) struct RunMetadataTests {
    /// `--isolate`: the shield is undone when the run finishes, once, and
    /// meta.json says how the restore went (the warnings are the run's too).
    @Test func finishRestoresTheShieldOnceAndRecordsHow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-meta-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shield = RunMetadata.Isolation(cpus: "1", method: "cgroup1 cpuset shield", applied: ["a", "b"], warnings: [],
                                           restoreFile: "/run/kbench/restore-1.json")
        let run = try BenchRun(tool: "test", settings: RunSettings(outputDirectory: dir, lockMemory: false, isolation: shield),
                               cpus: [0])
        let calls = Mutex(0)
        run.restoreIsolationAtFinish {
            calls.withLock { $0 += 1 }
            return .init(undone: 1, warnings: ["IRQ 36: EPERM"], complete: false)
        }
        try run.finish(measurements: [], complete: true)
        try run.finish(measurements: [], complete: true)
        #expect(calls.withLock { $0 } == 1)
        let meta = try RunMetadata.read(path: dir + "/meta.json")
        #expect(meta.isolation?.restore == .init(undone: 1, warnings: ["IRQ 36: EPERM"], complete: false))
        #expect(meta.warnings.contains("--isolate restore: IRQ 36: EPERM"))
    }

    @Test func metaJSONHoldsEveryField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-meta-\(UUID().uuidString)").path
        let run = try BenchRun(tool: "test", settings: RunSettings(outputDirectory: dir, lockMemory: false), cpus: [0],
                               parameters: ["quantum_us": 100])
        let initial = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))) as! [String: Any]
        #expect(initial["complete"] as? Bool == false, "meta.json must be written incomplete at the start")

        let stats = try #require(SampleStatistics([1, 2, 3]))
        try run.finish(measurements: [RunFormat.Measurement(benchmark: "b", metric: "m", unit: "ns", lowerIsBetter: true,
                                                  statistics: stats, trials: [1, 2, 3])], complete: true)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))) as! [String: Any]
        #expect(Set(meta.keys) == Set(RunMetadata.keys))
        #expect(meta["complete"] as? Bool == true)
        #expect(meta["tool"] as? String == "test")
        let tsc = try #require(meta["tsc"] as? [String: Any])
        for key in ["frequency_hz", "ticks_per_ns", "calibration", "invariant", "read_overhead_min_ticks", "cross_cpu_spread_ns"] {
            #expect(tsc.keys.contains(key), "tsc.\(key) missing")
        }
        #expect((tsc["frequency_hz"] as? Double ?? 0) > 1e8)
        #expect((meta["parameters"] as? [String: Any])?["quantum_us"] as? Int == 100)
        let times = try #require((meta["cpu_time_during_run_ms"] as? [String: Any])?["0"] as? [String: Double])
        #expect(Set(times.keys) == ["user", "system", "idle", "irq", "softirq", "steal"])
        #expect(times.values.allSatisfy { $0 >= 0 })
        // Unknown values are null, and each null has its reason among the warnings.
        let warnings = try #require(meta["warnings"] as? [String])
        if meta["config_hz"] is NSNull { #expect(warnings.contains { $0.contains("CONFIG_HZ") }) }
        if let governors = meta["cpufreq_governor"] as? [String: Any], governors.values.contains(where: { $0 is NSNull }) {
            #expect(warnings.contains { $0.contains("cpufreq") })
        }
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        #expect(summary.hasPrefix("benchmark,variant,threads,param,metric,unit,lower_is_better,n,mean,std,min,p50,p75,p90,p99,p999,max\n"))
        #expect(summary.contains("b,,1,,m,ns,true,3,2,1,1,2,2.5,2.8"))
        let trials = try String(contentsOfFile: dir + "/trials.csv", encoding: .utf8)
        #expect(trials.split(separator: "\n").count == 4)
    }
}
