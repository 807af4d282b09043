// FutexMutex: a sleeping mutex on one futex word (Drepper's "mutex2").

import Platform
import Synchronization

/// A mutex whose waiters sleep in the kernel instead of spinning: the word
/// is 0 when free, 1 when held, 2 when held and someone may sleep on it, so
/// an uncontended lock and unlock are one atomic each and no system call
/// (U. Drepper, "Futexes Are Tricky", mutex2).
///
/// For kernel-side critical sections that must not spin: in the vcore
/// emulation the threads share CPUs and the holder may be a SCHED_OTHER
/// thread behind a SCHED_FIFO waiter, so a spinning (or sched_yield-ing)
/// waiter could starve the holder forever; a sleeping one gives the CPU
/// away. Not a `KernelLock`: it takes no node or vcore, and it is not
/// measured by lockbench (`PthreadMutexLock` is the sleeping baseline there).
///
/// `~Copyable`: embed it where threads share memory (a `CacheLineBox`, a
/// field of a shared struct). Not recursive; `unlock` by the holder only.
@frozen
public struct FutexMutex: ~Copyable {
    @usableFromInline let word = FutexWord(0)

    @inlinable
    public init() {}

    /// Takes the mutex, sleeping while another thread holds it.
    @inlinable
    public func lock() {
        // Acquiring: the critical section starts after the word is ours.
        if word.value.compareExchange(expected: 0, desired: 1, successOrdering: .acquiring,
                                      failureOrdering: .relaxed).exchanged { return }
        lockContended()
    }

    /// Marks the word "held with sleepers" (2) and sleeps until it can be
    /// taken; we then hold it as 2, so our unlock wakes the next sleeper
    /// (perhaps needlessly, never too few).
    @usableFromInline
    func lockContended() {
        while word.value.exchange(2, ordering: .acquiring) != 0 {
            word.wait(whileEqualTo: 2)
        }
    }

    /// Takes the mutex if it is free; true when taken.
    @inlinable
    public func tryLock() -> Bool {
        word.value.compareExchange(expected: 0, desired: 1, successOrdering: .acquiring,
                                   failureOrdering: .relaxed).exchanged
    }

    /// Releases the mutex and wakes one sleeper if there may be one.
    @inlinable
    public func unlock() {
        // Releasing: the critical section's writes are visible to the next holder.
        if word.value.exchange(0, ordering: .releasing) == 2 {
            word.wake(1)
        }
    }

    /// True while some thread holds the mutex (a snapshot).
    public var isLocked: Bool { word.value.load(ordering: .relaxed) != 0 }
}
