import Platform
import Foundation
import Testing

/// The command-line contract: bad input fails before measuring, with one clear
/// line and exit status 64 (EX_USAGE).
@Suite struct ArgumentErrorTests {
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
        guard online.count > 1 else { return }
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

    @Test func unwritableOutputDirectory() throws {
        let dir = ToolRunner.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/plain-file", contents: Data())
        let result = try ToolRunner.run("ftq", ["--samples", "10", "--out", dir + "/plain-file/run"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("is not a directory"), "\(result.stderr)")
    }
}
