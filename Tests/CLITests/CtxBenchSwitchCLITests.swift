import Foundation
import Testing

/// `ctxbench switch`: hostile values are refused before measuring (one line,
/// exit 64); a tiny run writes summary.csv rows in ns and ticks and meta.json
/// naming the FS-base mechanism.
@Suite(.serialized, .timeLimit(.minutes(2))) struct CtxBenchSwitchCLITests {
    @Test(arguments: [["--threads", "0"], ["--threads", "-5"], ["--threads", "99999999999999999999"],
                      ["--threads", ""], ["--kernel-threads", "0"], ["--stack-bytes", "100"],
                      ["--stack-bytes", "-1"], ["--kernel-switches", "0"], ["--kernel-trials", "1000000"],
                      ["--fs-base", "bogus"], ["--tls", "maybe"], ["--iterations", "0"]])
    func badValues(_ args: [String]) throws {
        let result = try ToolRunner.run("ctxbench", ["switch"] + args + ["--out", "/nonexistent/never"])
        #expect(result.status == 64, "ctxbench switch \(args): status \(result.status), \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "ctxbench switch \(args): \(result.stderr)")
    }

    @Test func tinyRunWritesTheTablesAndTheStamp() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-switch-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ToolRunner.run("ctxbench", ["switch", "--threads", "2", "--kernel-threads", "2", "--kernel-switches", "200",
                                                     "--kernel-trials", "1", "--trials", "2", "--iterations", "1000",
                                                     "--no-mlock", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Table 4.2 shape"))
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8)
        #expect(summary.contains("switch,uthread_switch-to,2,") && summary.contains(",ticks,"))
        #expect(summary.contains("switch,reference,1,peer=boost_jump_fcontext"))
        let meta = try String(contentsOfFile: out + "/meta.json", encoding: .utf8)
        #expect(meta.contains("fs_base_mechanism") && meta.contains("fsgsbase_hwcap2"))
    }
}
