import BenchKit
import RunFormat
import Platform

extension BenchRun {
    /// A run configured from the shared command-line options.
    public convenience init(tool: String, options: RunOptions, cpus: CPUSet,
                            parameters: [String: JSONValue] = [:],
                            arguments: [String] = CommandLine.arguments) throws {
        try self.init(tool: tool, settings: options.settings(tool: tool), cpus: cpus,
                      parameters: parameters, arguments: arguments)
    }
}
