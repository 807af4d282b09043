import Foundation
import Testing

/// Every value-taking option of every subcommand, read from its `--help`, given
/// empty, non-numeric, huge, non-finite and negative values, and given twice: each
/// is exit 64 with one `Error:` line, never a signal, never a measurement started.
@Suite struct OptionTableTests {
    /// Tool, the arguments before the option under test.
    static let commands: [(tool: String, prefix: [String])] = [
        ("ftq", []), ("analysis", ["spectrum"]), ("lockbench", ["run"]), ("lockbench", ["uncontended"]),
        ("ctxbench", ["floors"]),
        ("ctxbench", ["forkjoin"]), ("ctxbench", ["ipi"]), ("ctxbench", ["c2c"]),
        ("ctxbench", ["kmsg"]),
    ]

    /// Values no option accepts. (`--out` takes any path, so it is only tested repeated.)
    static let hostileValues = ["", "abc", "1e400", "nan", "inf", "99999999999999999999999",
                                "-99999999999999999999999", "1,,2", " "]

    /// A valid value per option, to test the option given twice.
    static let validValue: [String: String] = [
        "--lock": "spin", "--locks": "spin", "--method": "periodogram", "--mode": "ftq", "--engine": "swift",
        "--write-spectra": "all", "--zoom": "100", "--preempt": "1:10:1", "--native-preempt": "1:10:1",
        "--cpus": "0", "--threads-list": "1", "--out": "/tmp/kbench-never-written", "--cpu": "0",
    ]

    /// The long options that take a value, as `--help` lists them (`--name <value>`).
    static func valueOptions(_ tool: String, _ prefix: [String]) throws -> [String] {
        let help = try ToolRunner.run(tool, prefix + ["--help"]).stdout
        let pattern = try NSRegularExpression(pattern: "(--[a-z0-9-]+) <")
        let range = NSRange(help.startIndex..., in: help)
        let names = pattern.matches(in: help, range: range).compactMap { Range($0.range(at: 1), in: help).map { String(help[$0]) } }
        return Array(Set(names)).sorted()
    }

    /// A run directory with a small valid ftq.csv, so `analysis spectrum` fails only on the option.
    static func runDirectory() throws -> String {
        let directory = ToolRunner.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rows = (0..<64).map { "0,0,\($0),\($0 * 100_000),\(4000 + $0 % 3)\n" }.joined()
        try ("thread,cpu,quantum,start_ns,work\n" + rows).write(toFile: directory + "/ftq.csv", atomically: true, encoding: .utf8)
        return directory
    }

    /// Runs with a time limit: a value wrongly accepted must not start a long measurement.
    static func run(_ tool: String, _ arguments: [String]) throws -> ToolRunner.Result {
        try ToolRunner.run(tool, arguments) { process in
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) { if process.isRunning { process.terminate() } }
        }
    }

    static func check(_ result: ToolRunner.Result, _ label: String) {
        #expect(!result.signalled, "\(label): killed by signal \(result.status)")
        #expect(result.status == 64, "\(label): status \(result.status), \(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 1, "\(label): \(result.stderr)")
    }

    @Test(.timeLimit(.minutes(10)), arguments: 0..<commands.count)
    func everyOptionRefusesHostileAndRepeatedValues(_ index: Int) throws {
        let (tool, command) = Self.commands[index]
        let run = try Self.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: run) }
        let prefix = command + (tool == "analysis" ? [run] : [])
        let options = try Self.valueOptions(tool, command)
        #expect(options.count >= 4, "\(tool) \(command): options read from --help: \(options)")
        for option in options {
            if option != "--out" {
                for value in Self.hostileValues {
                    let args = prefix + ["\(option)=\(value)"]
                    Self.check(try Self.run(tool, args), "\(tool) \(args)")
                }
                let separate = prefix + [option, ""]
                Self.check(try Self.run(tool, separate), "\(tool) \(separate)")
            }
            let value = Self.validValue[option] ?? "1"
            let twice = prefix + ["\(option)=\(value)", option, value]
            let result = try Self.run(tool, twice)
            Self.check(result, "\(tool) \(twice)")
            #expect(result.stderr.contains("\(option) is given more than once"), "\(tool) \(twice): \(result.stderr)")
        }
    }
}
