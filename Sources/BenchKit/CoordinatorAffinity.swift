// Where the coordinating thread of a team runs while the members measure.

import Platform

/// Moves the calling (coordinating) thread off the measured CPUs while a team
/// runs, when the process may run anywhere else, and puts it back afterwards.
/// When every allowed CPU is measured it stays where it is: the team's start
/// does not need it to run (see `StartLine`), and it sleeps while members work.
public struct CoordinatorAffinity: ~Copyable {
    private let original: CPUSet?

    /// Restricts the caller to the allowed CPUs not in `measured`, if any.
    public init(avoiding measured: [Int]) throws {
        let allowed = try Affinity.allowedCPUs()
        let elsewhere = CPUSet(allowed.cpus.filter { !measured.contains($0) })
        if elsewhere.isEmpty {
            original = nil
        } else {
            try Affinity.set(elsewhere)
            original = allowed
        }
    }

    /// Restores the caller's CPUs.
    deinit {
        if let original { try? Affinity.set(original) }
    }
}
