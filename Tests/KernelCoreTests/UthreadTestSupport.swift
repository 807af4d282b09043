// Running uthreads in tests: vcores are pinned threads of a BenchKit
// ThreadTeam, made and run on their own threads, joined with a bound.

import BenchKit
import Platform
import Testing
@testable import KernelCore

/// Shared mutable state for uthread bodies (all on vcore threads the test
/// joins before reading it): plain memory, no locks, as the bodies of one
/// vcore never run at once.
final class UthreadLog: @unchecked Sendable {
    var entries: [Int] = []
    var values: [UInt64] = []
    var failures: [String] = []
    init(capacity: Int = 0) { entries.reserveCapacity(capacity) }
}

enum UthreadVcores {
    /// The CPUs the tests may use (the first `count`, repeating if there are fewer).
    static func cpus(_ count: Int) throws -> [Int] {
        let allowed = try Affinity.allowedCPUs().cpus
        return (0..<count).map { allowed[$0 % allowed.count] }
    }

    /// Runs `scheduler`'s vcores, each on its own pinned thread: vcore i
    /// is made there (with TLS templates when `tls`), `setup(vcore)` runs on
    /// it (spawn TLS uthreads there), then the vcore loop. Returns each
    /// vcore's outcome, or throws if a vcore did not return in `timeout`.
    static func run(_ scheduler: TwoLevelScheduler, tls: Bool = false, timeout: Duration = .seconds(30),
                    setup: @escaping @Sendable (VcoreContext) throws -> Void = { _ in })
        throws -> [VcoreContext.Outcome] {
        final class Slot: @unchecked Sendable {
            var outcome: VcoreContext.Outcome?
            var error: (any Error)?
        }
        let team = ThreadTeam(cpus: try cpus(scheduler.configuration.vcores)) { _, _ in Slot() }
        try team.launch(body: { member, slot in
            do {
                let vcore = try scheduler.makeVcore(id: member.index, tls: tls)
                try setup(vcore)
                slot.outcome = vcore.run()
            } catch { slot.error = error }
        })
        team.release()
        let joined = team.join(timeout: timeout)
        guard joined.joined else { throw UthreadTestTimeout(abandoned: joined.abandoned) }
        if let error = team.workspaces.compactMap(\.error).first { throw error }
        return team.workspaces.map { $0.outcome ?? .stopped }
    }
}

struct UthreadTestTimeout: Error, CustomStringConvertible {
    let abandoned: [Int]
    var description: String { "vcores \(abandoned) did not return" }
}
