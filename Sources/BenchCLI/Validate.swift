import ArgumentParser
import Glibc
import Platform

/// Validation helpers shared by the tools' `validate()` methods, all throwing
/// ArgumentParser's ValidationError (exit status 64, usage shown).
///
/// Every number a tool turns into an integer, a buffer or a deadline gets an
/// upper bound here: a hostile `--duration 1e300` must fail as a usage error,
/// not trap in an `Int(_:)` conversion or an allocation halfway into the run.
public enum Validate {
    /// The CPUs exist and this process may run on them.
    public static func cpus(_ cpus: CPUSet, option: String) throws {
        do { try Affinity.validate(cpus) } catch {
            throw ValidationError("\(option): \(error.description)")
        }
    }

    /// A measuring CPU (`--cpu`) and the CPU of its partner in a cross-CPU
    /// measurement: each allowed, and not the same CPU.
    public static func cpuPair(_ cpu: Int?, _ partner: Int?, partnerOption: String) throws {
        if let cpu { try cpus([cpu], option: "--cpu") }
        guard let partner else { return }
        try cpus([partner], option: partnerOption)
        if partner == cpu { throw ValidationError("\(partnerOption) must differ from --cpu") }
    }

    /// A duration or count that must be strictly positive (and, given
    /// `atMost`, no larger). NaN is refused.
    public static func positive<T: Comparable & Numeric>(_ value: T, option: String, atMost limit: T? = nil) throws {
        guard value > 0 else { throw ValidationError("\(option) must be positive, got \(value)") }
        if let limit, !(value <= limit) {
            throw ValidationError("\(option) must be at most \(limit), got \(value)")
        }
    }

    /// A count of threads (or vcores): from 1 to `CountList.limit`, so a
    /// hostile number cannot ask for millions of threads and their buffers.
    public static func count(_ value: Int, option: String) throws {
        guard (1...CountList.limit).contains(value) else {
            throw ValidationError("\(option) must be a count from 1 to \(CountList.limit), got \(value)")
        }
    }

    /// Sample buffers of `bytes` (computed in Double, so it cannot overflow)
    /// fit in this machine's physical memory, where they will be locked.
    public static func fitsInMemory(bytes: Double, option: String) throws {
        let physical = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        guard physical > 0 else { return }  // unknown: let the allocation decide
        guard bytes.isFinite, bytes <= physical else {
            throw ValidationError("\(option) asks for \(gigabytes(bytes)) of sample buffers; this machine has \(gigabytes(physical)) of memory")
        }
    }

    /// Durations above a week are typing mistakes; bounding them keeps their
    /// nanoseconds far inside Int64.
    public static let maximumSeconds = 604_800.0

    private static func gigabytes(_ bytes: Double) -> String {
        guard bytes.isFinite, bytes < 1e21 else { return "more than a zettabyte" }
        return "\(Int64((bytes / 1e9).rounded(.up))) GB"
    }
}
