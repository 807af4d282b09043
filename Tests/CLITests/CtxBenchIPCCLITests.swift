import Foundation
import Testing

/// ctxbench ipc and remote-op on the command line: hostile options fail
/// before measuring (exit 64, one line naming the option); a short run writes
/// its directory with both units.
@Suite(.serialized, .timeLimit(.minutes(2))) struct CtxBenchIPCCLITests {
    @Test(arguments: [["--sizes", "3"], ["--sizes", "256"], ["--sizes", ""], ["--sizes", "8-4"], ["--sizes", "99999999999999999999"],
                      ["--mechanisms", "carrier-pigeon"], ["--mechanisms", ""], ["--spaces", "three"], ["--placement", "far"],
                      ["--trials", "0"], ["--iterations", "-1"], ["--iterations", "1000000000"], ["--reference-loops", "-1"],
                      ["--stall-s", "nan"], ["--stall-s", "1e300"], ["--cpu", "0", "--peer-cpu", "0"]])
    func ipcRefusesHostileValues(_ args: [String]) throws {
        let result = try ToolRunner.run("ctxbench", ["ipc"] + args)
        #expect(result.status == 64, "ipc \(args): status \(result.status), \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "ipc \(args): \(result.stderr)")
    }

    @Test(arguments: [["--modes", "lock_rwlock"], ["--modes", ""], ["--trials", "0"], ["--iterations", "0"],
                      ["--cpu", "0", "--owner-cpu", "0"]])
    func remoteOpRefusesHostileValues(_ args: [String]) throws {
        let result = try ToolRunner.run("ctxbench", ["remote-op"] + args)
        #expect(result.status == 64, "remote-op \(args): status \(result.status), \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "remote-op \(args): \(result.stderr)")
    }

    @Test func aShortIPCRunWritesNsAndTicksAndTheReference() throws {
        let out = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("ctxbench", ["ipc", "--mechanisms", "pipe,spin", "--sizes", "0,252", "--trials", "2",
                                                     "--iterations", "50", "--reference-loops", "200", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8)
        #expect(summary.contains("mechanism=spin;spaces=processes"))
        #expect(summary.contains(",ticks,") && summary.contains(",ns,"))
        let meta = try String(contentsOfFile: out + "/meta.json", encoding: .utf8)
        // perf present: a reference row; absent: a warning naming it, never a failure.
        #expect(summary.contains(",reference,") || meta.contains("no perf reference"))
        #expect(FileManager.default.fileExists(atPath: out + "/trials.csv"))
    }
}
