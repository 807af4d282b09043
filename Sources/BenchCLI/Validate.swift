import ArgumentParser
import Platform

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

    /// A count of threads (or vcores): from 1 to `CountList.limit`, so a
    /// hostile number cannot ask for millions of threads and their buffers.
    public static func count(_ value: Int, option: String) throws {
        guard (1...CountList.limit).contains(value) else {
            throw ValidationError("\(option) must be a count from 1 to \(CountList.limit), got \(value)")
        }
    }
}
