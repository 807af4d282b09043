// Boost.Context contexts in a ring: the reference for uthread switch-to at
// the same number of contexts (thesis Table 4.1's 100 and 1000 columns).

import BenchKit
import CSwitchReference
import Platform

/// N Boost.Context contexts, each on a stack of its own mapped as Boost's
/// protected_fixedsize_stack maps one, member i switching to member i+1: one
/// one-way switch per step, each landing on another stack, as switch-to's
/// ring does. Its row is `variant=reference`, `param=peer=boost_ring`, at N
/// threads, so 100 and 1000 contexts can be read against 2 for Boost too.
public final class BoostRing: TrialBenchmark {
    public let benchmark = "switch", variant = "reference", metric = "switch"
    public let contexts: Int
    private let ring: OpaquePointer

    /// The `param` of its rows.
    public static let param = "peer=boost_ring"

    /// Maps `contexts` stacks of `stackBytes` and starts each context.
    public init(contexts: Int, stackBytes: Int) throws {
        var error: Int32 = 0
        guard let ring = kb_fcontext_ring_create(contexts, stackBytes, &error) else {
            throw SystemCallError("Boost.Context ring of \(contexts) contexts (\(stackBytes)-byte stacks)", errno: error)
        }
        self.contexts = contexts
        self.ring = ring
    }

    /// The switches around the ring in whole laps: `iterations` rounded down
    /// to a multiple of the ring (at least one lap).
    public func runBatch(iterations: Int) -> UInt64 {
        kb_fcontext_ring_batch(ring, iterations)
    }

    deinit { kb_fcontext_ring_destroy(ring) }
}
