import ArgumentParser
import BenchKit
import Foundation
import SystemPackage
import Platform
import RunFormat

/// The options every kbench tool shares: where to write, and how hard to
/// isolate the measurement. They become a `RunSettings`, the plain value
/// `BenchRun` takes, so only the executables see ArgumentParser.
public struct RunOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp(
        "Run directory to write (created if missing).",
        discussion: "Default: runs/<tool>-<UTC time> in the current directory. Under a launcher (mpirun, srun) every rank writes DIR/rank-<N>, and the default is runs/<tool>-<job id>.",
        valueName: "dir"))
    public var out: String?

    @Flag(name: .long, help: "Run measurement threads under SCHED_FIFO (needs root or CAP_SYS_NICE; a refusal is a warning recorded in meta.json).")
    public var fifo = false

    @Option(name: .long, help: ArgumentHelp("SCHED_FIFO priority with --fifo (1-99).", valueName: "prio"))
    public var priority = RealtimeScheduling.defaultPriority

    @Flag(name: .customLong("no-mlock"), help: "Do not lock memory (mlockall). Page faults may then show up as noise.")
    public var noMlock = false

    @Option(help: ArgumentHelp(
        "Shield these CPUs for the run (cpuset, IRQs, idle states; as `preflight --apply`), restored at exit.",
        discussion: "Must include every CPU the run measures on. Needs root; without it the run is unshielded, with a warning in meta.json.",
        valueName: "list"), transform: CPUSet.parse)
    public var isolate: CPUSet?

    public init() {}

    public mutating func validate() throws {
        guard (1...99).contains(priority) else {
            throw ValidationError("--priority must be between 1 and 99, got \(priority)")
        }
        if let isolate {
            try Validate.cpus(isolate, option: "--isolate")
            let online = Affinity.onlineCPUs()
            guard online.cpus.contains(where: { !isolate.contains($0) }) else {
                throw ValidationError("--isolate \(isolate) takes every online CPU (\(online)): leave one for the rest of the machine")
            }
        }
        do { _ = try RankIdentity.detect() } catch { throw ValidationError(error.description) }
        if let out {
            do { try RunDirectory.checkWritable(FilePath(out), create: false) } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// The settings of a run of `tool`: --out, or a fresh timestamped directory.
    /// Under a launcher, the rank's identity is in the settings (meta.json's `launch`).
    public func settings(tool: String) -> RunSettings {
        let identity = try? RankIdentity.detect()
        var settings = RunSettings(outputDirectory: outputDirectory(tool: tool, rank: identity), fifo: fifo,
                                   priority: priority, lockMemory: !noMlock)
        settings.launch = identity
        return settings
    }

    /// The run directory for `tool`: --out, or a fresh timestamped one; under
    /// a launcher, the rank's `rank-<N>` inside it, and by default one named
    /// by the job, which every rank computes alike (the second and the pid
    /// differ between ranks).
    public func outputDirectory(tool: String, rank identity: RankIdentity? = nil) -> String {
        guard let identity else {
            if let out { return out }
            return "runs/\(tool)-\(Self.utcStamp())"
        }
        let base = out ?? "runs/\(tool)-\(identity.jobID ?? Self.utcStamp())"
        return FilePath(base).appending(identity.directoryName).string
    }

    private static func utcStamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
