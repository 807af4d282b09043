import Platform
import ArgumentParser
import Foundation
import SystemPackage

/// The options every kbench tool shares: where to write, and how hard to
/// isolate the measurement.
public struct RunOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp(
        "Run directory to write (created if missing).",
        discussion: "Default: runs/<tool>-<UTC time> in the current directory.",
        valueName: "dir"))
    public var out: String?

    @Flag(name: .long, help: "Run measurement threads under SCHED_FIFO (needs root or CAP_SYS_NICE; a refusal is a warning recorded in meta.json).")
    public var fifo = false

    @Option(name: .long, help: ArgumentHelp("SCHED_FIFO priority with --fifo (1-99).", valueName: "prio"))
    public var priority = RealtimeScheduling.defaultPriority

    @Flag(name: .customLong("no-mlock"), help: "Do not lock memory (mlockall). Page faults may then show up as noise.")
    public var noMlock = false

    public init() {}

    public mutating func validate() throws {
        guard (1...99).contains(priority) else {
            throw ValidationError("--priority must be between 1 and 99, got \(priority)")
        }
        if let out {
            do { try RunDirectory.checkWritable(FilePath(out), create: false) } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// The run directory for `tool`: --out, or a fresh timestamped one.
    public func outputDirectory(tool: String) -> String {
        if let out { return out }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(tool)-\(formatter.string(from: Date()))"
    }
}

extension CPUSet: ExpressibleByArgument {
    public init?(argument: String) {
        guard let set = try? CPUSet(parsing: argument), !set.isEmpty else { return nil }
        self = set
    }
}

/// Validation helpers shared by the tools' `validate()` methods, all throwing
/// ArgumentParser's ValidationError (exit status 64, usage shown).
public enum Validate {
    /// The CPUs exist and this process may run on them.
    public static func cpus(_ cpus: CPUSet, option: String) throws {
        do { try Affinity.validate(cpus) } catch {
            throw ValidationError("\(option): \(error.description)")
        }
    }

    /// A duration or count that must be strictly positive.
    public static func positive<T: Comparable & Numeric>(_ value: T, option: String) throws {
        guard value > 0 else { throw ValidationError("\(option) must be positive, got \(value)") }
    }
}
