import Platform
import Foundation
import Testing
import Glibc

/// `lockbench dynamic`: hostile options exit 64 naming the option; a short
/// run of every part writes a complete run directory with its rows.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LockBenchDynamicCLITests {
    @Test(arguments: [
        (["--parts", "overhead,bogus"], "unknown part 'bogus'"),
        (["--parts", ""], "unknown part ''"),
        (["--transition-seconds", "nan"], "--transition-seconds"),
        (["--transition-seconds", "1e300"], "--transition-seconds"),
        (["--transition-seconds=-1"], "--transition-seconds"),
        (["--nodes", "2048"], "--nodes"),
        (["--nodes", "1,,4"], "--nodes"),
        (["--vcores", "0"], "--vcores"),
        (["--vcores", "99999999999999999999"], "--vcores"),
        (["--vcores", "65"], "--vcores"),
        (["--quiescent-every", ""], "--quiescent-every"),
        (["--trials", "99999999999999999999"], "--trials"),
        (["--cpus", "0-99999999999"], "--cpus"),
        (["--message-words", "0"], "--message-words"),
        (["--message-words", "99999999999999999999"], "--message-words"),
        (["--ipc-round-trips", "0"], "--ipc-round-trips"),
        (["--ipc-round-trips", "1000001"], "--ipc-round-trips"),
        (["--ipc-round-trips=-5"], "--ipc-round-trips"),
    ])
    func hostileOptions(_ args: [String], _ mention: String) throws {
        let result = try ToolRunner.run("lockbench", ["dynamic"] + args + ["--out", ToolRunner.temporaryDirectory()])
        #expect(result.status == 64, "dynamic \(args): status \(result.status), \(result.stderr)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: ") && first.contains(mention), "dynamic \(args): \(first)")
    }

    @Test func shortRunOfEveryPart() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["dynamic", "--trials", "3", "--iterations", "2000",
                                                      "--vcores", "1,2", "--quiescent-every", "1,64",
                                                      "--nodes", "1,16", "--transition-seconds", "0.05",
                                                      "--ipc-round-trips", "50",
                                                      "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        for row in ["dynamic_overhead,dynamic-disabled,1,", "ratio_to_none,ratio", "dynamic_transition,demote,2,",
                    "dynamic_transition,promote-home,1,", "granularity,coarse,1,nodes=16,revoke_per_node",
                    "eventlog_overhead,f,1,", "ratio_to_a", "eventlog_scaling,b,1,",
                    "dynamic_ipc,none,2,mechanism=futex;spaces=threads;", "dynamic_ipc,mcs,2,mechanism=futex;spaces=processes;",
                    "bytes=252;locks_per_round_trip=2,ratio_to_none"] {
            #expect(summary.contains(row), "no \(row) in summary.csv")
        }
        // Exclusion rows: violations are counted, and zero.
        let violations = summary.split(separator: "\n").filter { $0.contains(",violations,") }
        #expect(!violations.isEmpty)
        for line in violations { #expect(line.split(separator: ",")[16] == "0", "\(line)") }
        #expect(FileManager.default.fileExists(atPath: dir + "/trials.csv"))
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
        let meta = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(meta?["complete"] as? Bool == true)
        // Every target judged, in stdout and meta.json (3 trials: too few for a 95% interval).
        let verdicts = result.stdout.split(separator: "\n").filter { $0.hasPrefix("target: ") }
        #expect(verdicts.count >= 7, "\(result.stdout)")
        for line in verdicts {
            #expect(line.contains(": too few trials to judge ("), "\(line)")
        }
        let parameters = meta?["parameters"] as? [String: Any]
        #expect(parameters?["target_0"] is String, "no target verdict in meta.json")
    }
}
