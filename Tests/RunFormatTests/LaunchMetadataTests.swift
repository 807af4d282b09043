import Foundation
import Testing
@testable import RunFormat

/// meta.json's `launch` object and bsp.csv: the contract `analysis merge`
/// reads, spelled once here and checked key by key.
@Suite struct LaunchMetadataTests {
    static func launch(unknown: Bool) -> RunMetadata.Launch {
        RunMetadata.Launch(
            launcher: unknown ? .pmi : .slurm, rank: 3, size: 64, nodeID: unknown ? nil : 3,
            localRank: unknown ? nil : 0, host: "node003", jobID: unknown ? nil : "4711.0",
            startAtUTC: unknown ? nil : "2026-12-02T04:30:00.000000000Z", timeZeroRealtimeNs: 1_796_185_800_000_001_234,
            clock: .init(sync: unknown ? .unknown : .chrony, synchronized: unknown ? nil : true,
                         offsetNs: unknown ? .nan : -1250.5, maxErrorNs: unknown ? nil : 48_000, detail: "chronyc tracking"))
    }

    @Test(arguments: [false, true])
    func roundTripInsideMeta(unknown: Bool) throws {
        var meta = RunMetadataCodingTests.sample(unknown: false)
        meta.launch = Self.launch(unknown: unknown)
        let decoded = try JSONCoding.decode(RunMetadata.self, from: meta.json())
        var expected = RunMetadataCodingTests.expected(meta)
        if unknown { expected.launch?.clock.offsetNs = nil }  // NaN is written as null
        #expect(decoded == expected)
    }

    /// The exact keys merge reads, snake_case, unknowns as explicit nulls; a
    /// run nobody launched has `"launch": null`.
    @Test func keysAreTheContract() throws {
        var meta = RunMetadataCodingTests.sample(unknown: false)
        let plain = try #require(JSONSerialization.jsonObject(with: meta.json()) as? [String: Any])
        #expect(plain["launch"] is NSNull)
        meta.launch = Self.launch(unknown: true)
        let object = try #require(JSONSerialization.jsonObject(with: meta.json()) as? [String: Any])
        let launch = try #require(object["launch"] as? [String: Any])
        #expect(Set(launch.keys) == Set(RunMetadata.Launch.keys))
        #expect(Set(launch.keys) == ["launcher", "rank", "size", "node_id", "local_rank", "host", "job_id",
                                     "start_at_utc", "time_zero_realtime_ns", "clock"])
        for key in ["node_id", "local_rank", "job_id", "start_at_utc"] { #expect(launch[key] is NSNull, "\(key)") }
        #expect(launch["launcher"] as? String == "pmi")
        #expect((launch["time_zero_realtime_ns"] as? NSNumber)?.int64Value == 1_796_185_800_000_001_234)
        let clock = try #require(launch["clock"] as? [String: Any])
        #expect(Set(clock.keys) == ["sync", "synchronized", "offset_ns", "max_error_ns", "detail"])
        #expect(clock["offset_ns"] is NSNull, "NaN is null, never 0")
        #expect(RunMetadata.ClockAgreement.Sync.systemdTimesyncd.rawValue == "systemd-timesyncd")
    }

    /// A meta.json written before `launch` existed still reads (launch nil).
    @Test func olderFileWithoutLaunchReads() throws {
        let meta = RunMetadataCodingTests.sample(unknown: false)
        var object = try #require(JSONSerialization.jsonObject(with: meta.json()) as? [String: Any])
        object.removeValue(forKey: "launch")
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONCoding.decode(RunMetadata.self, from: data).launch == nil)
    }

    @Test func unknownLauncherIsRefused() throws {
        var meta = RunMetadataCodingTests.sample(unknown: false)
        meta.launch = Self.launch(unknown: false)
        let text = String(decoding: try meta.json(), as: UTF8.self).replacingOccurrences(of: "\"slurm\"", with: "\"lsf\"")
        #expect(throws: (any Error).self) { try JSONCoding.decode(RunMetadata.self, from: Data(text.utf8)) }
    }
}

@Suite struct BSPStepsFileTests {
    @Test func roundTrip() throws {
        let rows = (0..<100).map { BSPStepsFile.Row(step: $0, startNs: Int64($0) * 1_050_000, computeNs: 1_000_000 + Int64($0),
                                                    stepNs: 1_040_000 + Int64($0 % 7) * 1000) }
        let path = NSTemporaryDirectory() + "bsp-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BSPStepsFile.write(rows, to: .init(path))
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("step,start_ns,compute_ns,step_ns\n"))
        #expect(try BSPStepsFile.read(path: path) == rows)
    }

    @Test(arguments: [
        ("step,start_ns,compute_ns,step_ns\n0,0,1000,999\n", "step_ns"),
        ("step,start_ns,compute_ns,step_ns\n0,-5,1000,1000\n", "start_ns"),
        ("step,start_ns,compute_ns,step_ns\n0,0,x,1000\n", "compute_ns"),
        ("step,start_ns,compute_ns\n0,0,1000\n", "step_ns"),
    ])
    func badInputNamesTheProblem(text: String, column: String) throws {
        let path = NSTemporaryDirectory() + "bsp-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: InputFileError.self) { try BSPStepsFile.read(path: path) }
        #expect(error.description.contains(column), "\(error)")
        #expect(error.description.contains(path))
    }
}

@Suite struct ProcessTagTests {
    @Test func hostAndPidSafeInAFileName() {
        #expect(ProcessTag.current.hasSuffix("-\(getpid())"))
        #expect(!ProcessTag.current.contains("/"))
        #expect(ProcessTag.fileSafe("node7.cluster.example") == "node7")
        #expect(ProcessTag.fileSafe("a/b c") == "a_b_c")
        #expect(ProcessTag.fileSafe("") == "host")
        #expect(ProcessTag.fileSafe(String(repeating: "x", count: 300)).count == 64)
    }
}
