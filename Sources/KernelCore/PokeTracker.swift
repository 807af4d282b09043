// PokeTracker: post and poke (thesis §3.2): make sure posted work is done,
// by one runner at a time, without anyone waiting.

import Platform
import Synchronization

/// Callers post work somewhere of their own (a queue, a flag), then `poke`.
/// When `poke` returns, the handler has run after the post, or is running on
/// another thread and will look again before it stops; the handler never runs
/// concurrently with itself. Nobody spins or blocks: a poker that finds a
/// runner leaves, after telling it to run once more.
///
/// The race it closes: a runner finishing (clearing "in progress") while a
/// poster arrives. Both sides write one flag and then read the other's, each
/// with sequentially consistent ordering (store then load must not pass each
/// other), so at least one of them sees the other: the poster finds the runner
/// still in progress and leaves the work to it, or the runner sees "need to
/// run" and goes round again. A trivial handle: copies share the tracker.
@frozen
public struct PokeTracker: @unchecked Sendable {
    @usableFromInline let words: UnsafeMutableRawPointer

    public init() { words = CacheLine.allocate(lines: 2 * CacheLine.separation / CacheLine.size) }

    @inlinable var needToRun: UnsafeMutablePointer<Atomic<UInt64>> { SharedMemory.word(words, 0) }
    @inlinable var runInProgress: UnsafeMutablePointer<Atomic<UInt64>> { SharedMemory.word(words, CacheLine.separation) }

    /// Runs `handler` here unless another thread is running it, in which case
    /// that thread will run it again. Call after posting the work.
    @inlinable
    public func poke(_ handler: () -> Void) {
        // Sequentially consistent: ordered before our read of runInProgress.
        needToRun.pointee.store(1, ordering: .sequentiallyConsistent)
        repeat {
            // Sequentially consistent: if a runner is in progress, it must later see needToRun.
            if runInProgress.pointee.exchange(1, ordering: .sequentiallyConsistent) != 0 { return }
            // Sequentially consistent read-modify-write: we clear the request
            // and acquire every post made before it, before the handler looks.
            _ = needToRun.pointee.exchange(0, ordering: .sequentiallyConsistent)
            handler()
            // Sequentially consistent: the handler's effects and "not in
            // progress" are visible before we read needToRun again.
            runInProgress.pointee.store(0, ordering: .sequentiallyConsistent)
        } while needToRun.pointee.load(ordering: .sequentiallyConsistent) != 0
    }

    /// True while a handler runs (a snapshot).
    public var isRunning: Bool { runInProgress.pointee.load(ordering: .acquiring) != 0 }

    public func deallocate() { CacheLine.free(words) }
}
