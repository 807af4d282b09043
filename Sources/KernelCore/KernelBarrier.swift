// KernelBarrier: what a fork-join loop is written against, and the bounded
// spin every spinning barrier waits with.

import Platform
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A reusable barrier for a fixed number of participants, numbered
/// 0..<participants: `wait(participant:)` returns once every participant has
/// called it for the same episode. Writes made before a participant's `wait`
/// are visible to every participant after its own `wait` returns.
///
/// Like the locks, every barrier is a trivial struct over cache-line memory,
/// so a generic loop specializes to it with no dispatch and no reference
/// counting; `deallocate()` frees it once no thread uses it.
///
/// A barrier can be cancelled (`cancel()`): every wait in progress or to come
/// returns false at once, so a run whose participant died, was abandoned or
/// never started cannot leave the others waiting for ever. After a cancel the
/// barrier is no longer a barrier; a run that saw `false` is void.
public protocol KernelBarrier: Sendable {
    /// The name in tables and on the command line (`futex`, `spin`, `tree`).
    static var name: String { get }
    /// How many participants each episode waits for.
    var participants: Int { get }
    /// Arrives as `participant` and waits for the others: true when the
    /// episode completed, false when the barrier was cancelled.
    func wait(participant: Int) -> Bool
    /// Makes every current and future wait return false.
    func cancel()
    /// True once `cancel()` was called.
    var isCancelled: Bool { get }
    func deallocate()
}

/// The arrival counter of a central barrier, on its own line: participants
/// still to arrive in this episode; only arrivals (and the last one's reset)
/// write it.
@usableFromInline
struct BarrierArrivals: ~Copyable {
    @usableFromInline let remaining: Atomic<Int>
    @usableFromInline init(_ participants: Int) { remaining = Atomic(participants) }
}

/// How a spinning barrier waits: `pauses` spins of `pause` first (the fast
/// path when every participant has a CPU of its own), then `sched_yield` for
/// `yields` rounds (participants sharing a CPU get it at once, if they run
/// under the same policy and priority), then sleeps of `sleepNs` (progress
/// whatever the policies: a SCHED_FIFO spinner yields only to its own
/// priority, so without the sleep a SCHED_OTHER participant on its CPU would
/// wait for RT throttling). Every round after the pauses checks the cancel
/// flag.
///
/// With more participants than CPUs, use `oversubscribed`: a pure spin
/// would burn the waiter's whole time slice while the participant it waits
/// for cannot run.
@frozen
public struct BarrierSpin: Sendable, Equatable {
    public var pauses: Int
    public var yields: Int
    public var sleepNs: Int64

    @inlinable
    public init(pauses: Int, yields: Int, sleepNs: Int64) {
        self.pauses = pauses
        self.yields = yields
        self.sleepNs = sleepNs
    }

    /// Every participant on a CPU of its own: spin about a millisecond first.
    public static let dedicated = BarrierSpin(pauses: 1 << 15, yields: 1_000, sleepNs: 50_000)
    /// More participants than CPUs: yield almost at once.
    public static let oversubscribed = BarrierSpin(pauses: 16, yields: 1_000, sleepNs: 50_000)

    /// The policy for `participants` threads on `cpus` CPUs.
    public static func forParticipants(_ participants: Int, cpus: Int) -> BarrierSpin {
        participants > cpus ? .oversubscribed : .dedicated
    }

    /// Waits until `done()` is true (returns true) or `cancelled` is set
    /// (returns false). Inlined into each barrier so `done` is no closure.
    @inlinable
    public func wait(cancelled: UnsafeMutablePointer<Atomic<Bool>>, until done: () -> Bool) -> Bool {
        var spins = 0
        while !done() {
            if spins < pauses {
                spins &+= 1
                kb_pause()
                continue
            }
            if cancelled.pointee.load(ordering: .relaxed) { return false }
            if spins < pauses &+ yields {
                spins &+= 1
                sched_yield()
            } else {
                Self.sleep(sleepNs)
            }
        }
        return true
    }

    /// The slow end of the wait, out of line: a nanosleep.
    @usableFromInline @inline(never)
    static func sleep(_ ns: Int64) {
        var time = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        _ = nanosleep(&time, nil)
    }
}
