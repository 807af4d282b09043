// Running one piece of measurement code on a pinned thread, and getting its
// result (or error) back: a one-member ThreadTeam, waited on with a bound.

import Platform
import BenchKit
import Glibc

/// Runs `body` on a thread pinned to `cpu` (scheduled as `scheduling` asks)
/// and returns what it returned, or throws what it threw. Waits for it
/// without limit while it works (a measurement ends by itself, or at its next
/// trial after Ctrl-C), then joins it with a bound of `joinTimeout`.
func onPinnedThread<T: Sendable>(cpu: Int, scheduling: TeamScheduling = .inherit, joinTimeout: Duration = .seconds(30),
                                 _ body: @escaping @Sendable () throws -> T) throws -> (value: T, scheduling: MemberScheduling) {
    let team = ThreadTeam(cpus: [cpu], scheduling: scheduling) { _, _ in PinnedCallOutcome<T>() }
    try team.launch(body: { _, outcome in outcome.result = Result { try body() } })
    team.release()
    while team.finishedCount == 0 { sleepNanoseconds(5_000_000) }
    guard team.join(timeout: joinTimeout).joined else {
        throw SystemCallError("measurement thread on CPU \(cpu) (did not return)", errno: ETIMEDOUT)
    }
    guard let result = team.workspaces[0].result else {
        throw SystemCallError("measurement thread on CPU \(cpu) (stopped before it ran)", errno: ECANCELED)
    }
    return (try result.get(), team.memberScheduling[0])
}

/// Where the pinned thread leaves its result for the caller.
final class PinnedCallOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
