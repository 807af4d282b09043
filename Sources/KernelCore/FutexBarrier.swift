// FutexBarrier: a barrier whose waiters sleep in the kernel.

import Platform
import CPlatform
import Synchronization

/// The blocking barrier of a thread pool (Uhlig's fork-join workers "block if
/// there are no outstanding requests"): arrivals decrement a counter; all but
/// the last sleep on a generation futex word, and the last one resets the
/// counter, advances the generation and wakes them all with one FUTEX_WAKE.
/// No spinning at all, so its cost is the kernel's sleep and wake-up path,
/// cross-CPU wake-ups included: the figure to read against the spinning
/// barriers.
///
/// Sleeps are bounded (100 ms) so a cancel is seen even by a waiter nobody
/// wakes; the generation is re-checked after every return.
@frozen
public struct FutexBarrier: KernelBarrier, @unchecked Sendable {
    @usableFromInline let shared: CacheLineBox<BarrierArrivals>
    @usableFromInline let generation: CacheLineBox<FutexWord>
    @usableFromInline let cancelled: CacheLineBox<Atomic<Bool>>
    public let participants: Int

    public static var name: String { "futex" }

    /// Longest single sleep: how late a waiter may notice a cancel.
    public static let sleepLimitNs: Int64 = 100_000_000

    public init(participants: Int) {
        precondition(participants > 0, "FutexBarrier: participants must be positive")
        self.participants = participants
        shared = CacheLineBox(BarrierArrivals(participants))
        generation = CacheLineBox(FutexWord())
        cancelled = CacheLineBox(Atomic(false))
    }

    @inlinable
    public func wait(participant: Int) -> Bool {
        // Read before arriving: the generation cannot advance until we have
        // decremented, so this is the episode we are in. Acquiring, so the
        // counter reset of the last episode is visible to our decrement.
        let episode = generation.pointee.value.load(ordering: .acquiring)
        if shared.pointee.remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            shared.pointee.remaining.store(participants, ordering: .relaxed)
            // Releasing: publishes the reset and everybody's pre-barrier writes
            // (which our acquiring decrement saw) to the woken waiters.
            generation.pointee.value.wrappingAdd(1, ordering: .releasing)
            generation.pointee.wakeAll()
            return true
        }
        return sleep(until: episode)
    }

    /// The waiting half, out of line: it is a system call anyway.
    @usableFromInline @inline(never)
    func sleep(until episode: UInt32) -> Bool {
        // Acquiring: pairs with the last arrival's releasing advance.
        while generation.pointee.value.load(ordering: .acquiring) == episode {
            if cancelled.pointee.load(ordering: .relaxed) { return false }
            generation.pointee.wait(whileEqualTo: episode, timeoutNs: Self.sleepLimitNs)
        }
        return true
    }

    public func cancel() {
        cancelled.pointee.store(true, ordering: .relaxed)
        generation.pointee.wakeAll()
    }

    public var isCancelled: Bool { cancelled.pointee.load(ordering: .relaxed) }

    public func deallocate() {
        shared.deallocate()
        generation.deallocate()
        cancelled.deallocate()
    }
}
