// The peers a uthread switch is read against, run in the same session:
// glibc swapcontext, Boost.Context jump_fcontext, and the two ways of
// writing the FS base. Each is a C loop timed inside C (CSwitchReference).

import BenchKit
import CSwitchReference

/// One reference peer, reported as a `variant=reference` row whose `param`
/// names the peer (`peer=<name>`).
public struct SwitchReference: TrialBenchmark {
    public enum Peer: String, Sendable, CaseIterable {
        /// glibc's swapcontext: saves and restores the signal mask with a
        /// system call on every switch.
        case swapcontext
        /// Boost.Context's jump_fcontext (libboost_context): registers and
        /// FP control words only; the fastest widely used switch.
        case boostJumpFcontext = "boost_jump_fcontext"
        /// wrfsbase then rdfsbase of the current FS base (user-mode FSGSBASE).
        case wrfsbase = "wrfsbase_rdfsbase"
        /// arch_prctl(ARCH_SET_FS) of the current FS base: a system call.
        case archPrctl = "arch_prctl_set_fs"

        /// What one operation is.
        public var metric: String {
            switch self {
            case .swapcontext, .boostJumpFcontext: "switch"
            case .wrfsbase, .archPrctl: "fs_base_write"
            }
        }
    }

    public let benchmark = "switch", variant = "reference"
    public let peer: Peer
    public var metric: String { peer.metric }
    /// The row's `param`.
    public var param: String { "peer=\(peer.rawValue)" }

    public init(_ peer: Peer) { self.peer = peer }

    public mutating func runBatch(iterations: Int) -> UInt64 {
        switch peer {
        case .swapcontext: kb_reference_swapcontext_batch(iterations)
        case .boostJumpFcontext: kb_reference_fcontext_batch(iterations)
        case .wrfsbase: kb_reference_wrfsbase_batch(iterations)
        case .archPrctl: kb_reference_arch_prctl_batch(iterations)
        }
    }
}
