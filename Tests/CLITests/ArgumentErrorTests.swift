import Platform
import Foundation
import Testing

/// The command-line contract: bad input fails before measuring, with one clear
/// line and exit status 64 (EX_USAGE).
@Suite(.timeLimit(.minutes(2))) struct ArgumentErrorTests {
    static let tools = ["ftq", "ctxbench", "lockbench", "analysis"]

    @Test(arguments: tools) func helpExitsZeroAndDescribesTheTool(_ tool: String) throws {
        let result = try ToolRunner.run(tool, ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE"), "no usage in \(tool) --help")
    }

    @Test func nonexistentCPU() throws {
        let missing = (Affinity.onlineCPUs().cpus.max() ?? 0) + 7
        for (tool, args) in [("ftq", ["--cpu", "\(missing)"]), ("ctxbench", ["floors", "--cpu", "\(missing)"])] {
            let result = try ToolRunner.run(tool, args)
            #expect(result.status == 64, "\(tool): status \(result.status)")
            #expect(result.stderr.contains("CPU \(missing) does not exist"), "\(tool): \(result.stderr)")
        }
    }

    @Test func cpuNotAllowedToTheProcess() throws {
        let online = Affinity.onlineCPUs()
        guard online.count > 1 else { try Test.cancel("needs two online CPUs; this machine has one") }
        // Run ftq restricted to one CPU and ask for another.
        let result = try ToolRunner.run(executable: "/usr/bin/taskset", ["-c", "\(online.cpus[0])", ToolRunner.path("ftq"), "--cpu", "\(online.cpus[1])"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("not in this process's affinity mask"), "\(result.stderr)")
    }

    @Test(arguments: [["--duration=-1"], ["--duration", "0"], ["--samples", "0"], ["--quantum-us=-5"],
                      ["--cpu", "0", "--cpus", "0"], ["--duration", "1", "--samples", "5"], ["--priority", "0"],
                      ["--cpus", "2-1"], ["--mode", "bogus"]])
    func badValues(_ args: [String]) throws {
        let result = try ToolRunner.run("ftq", args)
        #expect(result.status == 64, "ftq \(args): status \(result.status), \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "ftq \(args): \(result.stderr)")
    }

    /// Bad and hostile values (empty items, signs, overflow, huge numbers) of
    /// every parsed option: exit 64 with one "Error:" line naming the option,
    /// before anything is measured; never a trap.
    static let hostile: [(tool: String, args: [String], option: String)] = [
        ("lockbench", ["--threads", "4", "--preempt", "2:1e300:10"], "--preempt"),
        ("lockbench", ["--preempt", "99999999999999999999:50:10"], "--preempt"),
        ("lockbench", ["--preempt", "2::10"], "--preempt"),
        ("lockbench", ["--native-preempt", "1:-5:2"], "--native-preempt"),
        ("lockbench", ["--sweep", "--threads-list", "1,,2"], "--threads-list"),
        ("lockbench", ["--sweep", "--threads-list", "99999999999999999999"], "--threads-list"),
        ("lockbench", ["--sweep", "--threads-list", "-1"], "--threads-list"),
        ("lockbench", ["--sweep", "--threads-list", ""], "--threads-list"),
        ("lockbench", ["--sweep", "--threads-list", "1,2,"], "--threads-list"),
        ("lockbench", ["--threads", "99999999"], "--threads"),
        ("lockbench", ["--cpus", "0-99999999999"], "--cpus"),
        ("lockbench", ["--cpus", ""], "--cpus"),
        ("lockbench", ["--iterations", "999999999999999"], "--iterations"),
        ("lockbench", ["--iterations", "99999999999999999999"], "--iterations"),
        ("lockbench", ["--duration", "1e300"], "--duration"),
        ("lockbench", ["--hold-ns", "1e300"], "--hold-ns"),
        ("lockbench", ["--delay-ns", "nan"], "--delay-ns"),
        ("lockbench", ["--duration", "1", "--window-ms", "1e-300"], "--window-ms"),
        ("lockbench", ["--watchdog-s", "1e300"], "--watchdog-s"),
        ("lockbench", ["uncontended", "--trials", "99999999999999999999"], "--trials"),
        ("ctxbench", ["floors", "--trials", "999999999999"], "--trials"),
        ("ctxbench", ["kmsg", "--samples", "0"], "--samples"),
        ("ctxbench", ["kmsg", "--work-us", "nan"], "--work-us"),
        ("ctxbench", ["kmsg", "--wake", "ipi"], "--wake"),
        ("ctxbench", ["kmsg", "--sender-cpu", "0", "--core-cpu", "0"], "--core-cpu"),
        ("ctxbench", ["queue", "--round-budget-s", "1e300"], "--round-budget-s"),
        ("ctxbench", ["queue", "--pair-trials", "-1"], "--pair-trials"),
        ("ftq", ["--cpus", ""], "--cpus"),
        ("ftq", ["--cpus", "99999999999999999999"], "--cpus"),
        ("ftq", ["--samples", "999999999999999999"], "--samples"),
        ("ftq", ["--duration", "1e300"], "--duration"),
        ("ftq", ["--quantum-us", "1e300"], "--quantum-us"),
        ("ftq", ["--quantum-us", "1e-300"], "--quantum-us"),
        ("analysis", ["spectrum", "/tmp", "--zoom", "3000,,100"], "--zoom"),
        ("analysis", ["spectrum", "/tmp", "--zoom", "1e400"], "--zoom"),
        ("analysis", ["spectrum", "/tmp", "--zoom", "nan"], "--zoom"),
        ("analysis", ["spectrum", "/tmp", "--zoom", "-100"], "--zoom"),
        ("analysis", ["spectrum", "/tmp", "--deviation-pct", "1e300"], "--deviation-pct"),
    ]

    @Test(arguments: hostile)
    func hostileValuesAreUsageErrors(_ tool: String, _ args: [String], _ option: String) throws {
        let result = try ToolRunner.run(tool, args)
        #expect(!result.signalled, "\(tool) \(args) died of a signal: \(result.stderr)")
        #expect(result.status == 64, "\(tool) \(args): status \(result.status), \(result.stderr)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: ") && first.contains(option), "\(tool) \(args): \(first)")
    }

    @Test func listErrorsSayWhatIsWrong() throws {
        for (tool, args, reason) in [("lockbench", ["--sweep", "--threads-list", "1,,4"], "empty item"),
                                     ("lockbench", ["--sweep", "--threads-list", "1,x"], "'x' is not a count"),
                                     ("analysis", ["spectrum", "/tmp", "--zoom", "3000,0"], "'0' is not a positive frequency"),
                                     ("ftq", ["--cpus", "0-99999"], "goes beyond CPU 8191")] {
            let result = try ToolRunner.run(tool, args)
            #expect(result.status == 64 && result.stderr.contains(reason), "\(tool) \(args): \(result.stderr)")
        }
    }

    @Test func unwritableOutputDirectory() throws {
        let dir = ToolRunner.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/plain-file", contents: Data())
        let result = try ToolRunner.run("ftq", ["--samples", "10", "--out", dir + "/plain-file/run"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("is not a directory"), "\(result.stderr)")
    }
}
