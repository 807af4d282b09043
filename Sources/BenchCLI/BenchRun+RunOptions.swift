import ArgumentParser
import BenchKit
import RunFormat
import Platform
import PreflightKit

extension BenchRun {
    /// A run configured from the shared command-line options. With
    /// `--isolate`, the shield is applied here, before the environment is
    /// stamped, and restored when the run finishes (recorded in meta.json) or, at the
    /// latest, when the process exits (`IsolationSession`).
    /// `settings` replaces `options.settings(tool:)` when the tool adjusted them.
    public convenience init(tool: String, options: RunOptions, settings: RunSettings? = nil, cpus: CPUSet,
                            parameters: [String: JSONValue] = [:],
                            arguments: [String] = CommandLine.arguments) throws {
        var settings = settings ?? options.settings(tool: tool)
        if let isolate = options.isolate {
            let outside = cpus.cpus.filter { !isolate.contains($0) }
            guard outside.isEmpty else {
                throw ValidationError("--isolate \(isolate) does not include CPU \(CPUSet(outside)), which this run measures on: give it the run's CPUs (e.g. --cpu and --isolate alike)")
            }
            try StopRequest.install()
            settings.isolation = IsolationSession.begin(cpus: isolate, fifo: options.fifo, commandLine: arguments)
        }
        try self.init(tool: tool, settings: settings, cpus: cpus, parameters: parameters, arguments: arguments)
        if options.isolate != nil { restoreIsolationAtFinish { IsolationSession.end() } }
    }
}
