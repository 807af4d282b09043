// QueueControl: the words a round's producers and consumers share.

import Platform
import Synchronization

/// The round's shared counters, each on its own line: producers finished,
/// messages produced and consumed (spikes only), and whether a bounded queue
/// was ever full. A trivial handle over memory the session frees after the join.
@frozen
public struct QueueControl: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutableRawPointer
    static let lines = 5 * CacheLine.separation / CacheLine.size

    init() { base = CacheLine.allocate(lines: Self.lines) }
    func deallocate() { CacheLine.free(base) }

    @inlinable func word(_ index: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (base + index * CacheLine.separation).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// Producers whose every message is enqueued.
    @inlinable var producersDone: UnsafeMutablePointer<Atomic<Int>> { word(0) }
    /// Messages enqueued, counted per spike.
    @inlinable var produced: UnsafeMutablePointer<Atomic<Int>> { word(1) }
    /// Messages dequeued (counted only with spikes).
    @inlinable var consumed: UnsafeMutablePointer<Atomic<Int>> { word(2) }
    /// Set once a producer found a bounded queue full: consumers then stop
    /// waiting for spikes to complete (they never could).
    @inlinable var fullSeen: UnsafeMutablePointer<Atomic<Int>> { word(3) }
    /// Bumped every 1024 messages sent or received: the stall watchdog's pulse.
    @inlinable var progress: UnsafeMutablePointer<Atomic<Int>> { word(4) }
}
