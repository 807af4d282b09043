// SpinWait: how a queue waits on another thread that may not be running.

import CPlatform
import Glibc
import Synchronization

/// Spins with `pause`, and every `yieldEvery` spins gives the CPU away with
/// sched_yield. The thesis' producers are the kernel and cannot be preempted
/// between claiming a slot and marking it ready, so its waiters just spin.
/// Here every party is a preemptible thread: a consumer spinning on a slot
/// whose producer was preempted on the same CPU would spin until the next
/// tick. Yielding bounds that wait to about one scheduling round instead of a
/// time slice (the user-space stand-in for Akaros' `cpu_relax_vc`, which
/// checks whether the awaited vcore was preempted).
@frozen
public struct SpinWait {
    /// Pauses between yields: short enough that a preempted peer on this CPU
    /// runs again within microseconds, long enough that a peer running on
    /// another CPU is almost always awaited by spinning alone.
    public static let yieldEvery = 256
    @usableFromInline var spins = 0

    @inlinable
    public init() {}

    /// One step of waiting.
    @inlinable
    public mutating func once() {
        spins &+= 1
        if spins & (Self.yieldEvery - 1) == 0 {
            sched_yield()
        } else {
            kb_pause()
        }
    }

    /// Waits until a queue slot's ready flag is set: a consumer that claimed a
    /// slot its producer has not published yet. Out of line, so the queues'
    /// uncontended paths (which only test the flag) stay small enough to inline.
    @inline(never)
    public static func untilReady(_ ready: UnsafeMutablePointer<Atomic<UInt64>>) {
        var wait = SpinWait()
        // Acquiring: the caller reads the message only after the producer published it.
        while ready.pointee.load(ordering: .acquiring) == 0 { wait.once() }
    }
}
