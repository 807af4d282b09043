// EventLogBuffer: one CPU's circular event log, written by that CPU alone and
// read by a consumer through shared memory while it is written.

import Platform
import Synchronization

/// The producer's two positions, on their own line.
@usableFromInline
struct EventLogHead: ~Copyable {
    /// Records whose slot the producer has started to overwrite (claimed).
    @usableFromInline let reserved = Atomic<UInt64>(0)
    /// Records complete and readable.
    @usableFromInline let published = Atomic<UInt64>(0)
    @usableFromInline init() {}
}

/// A circular log of fixed-size records, sized for its back-log: it keeps
/// the last `capacity` records (a power of two, so the slot is a mask, as
/// Uhlig's log pointer and mask are). One producer (the CPU's own thread)
/// appends with plain stores and never waits; a reader copies what it wants
/// and learns, from the producer's `reserved` count, which records may have
/// been overwritten while it copied (a seqlock's argument, per record), so
/// it never returns a torn record and counts every lost one.
@frozen
public struct EventLogBuffer: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let head: CacheLineBox<EventLogHead>
    @usableFromInline let slots: UnsafeMutablePointer<Atomic<UInt32>>
    /// Records kept (a power of two).
    public let capacity: Int
    /// 4-byte words per record.
    public let recordWords: Int

    /// A log of `capacity` records (rounded up to a power of two) of `recordWords` words.
    public init(capacity: Int, recordWords: Int) {
        precondition(capacity > 0 && capacity <= 1 << 24, "EventLogBuffer: capacity out of range")
        precondition(recordWords > 0 && recordWords <= EventLogControl.maxWords, "EventLogBuffer: 1-5 words")
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.recordWords = recordWords
        head = CacheLineBox(EventLogHead())
        let words = size * recordWords
        let raw = CacheLine.allocate(lines: CacheLine.roundUp(words * 4, to: CacheLine.separation) / CacheLine.size)
        slots = raw.bindMemory(to: Atomic<UInt32>.self, capacity: words)
        for index in 0..<words { (slots + index).initialize(to: Atomic(0)) }
    }

    /// The buffer's size in bytes (Uhlig's evaluation used 128).
    public var bytes: Int { capacity * recordWords * 4 }

    /// Records appended so far.
    public var appended: UInt64 { head.pointee.published.load(ordering: .acquiring) }

    /// Appends one record of `count` words (at most `recordWords`) made by
    /// `word(i)`; the producer's path, specialized and inlined into it.
    @inlinable
    @inline(__always)
    func append(count: Int, _ word: (Int, UInt64) -> UInt32) {
        let sequence = head.pointee.published.load(ordering: .relaxed)   // our own counter
        // Claim the slot before touching it: relaxed, then the releasing fence
        // orders it before the slot's stores, so a reader that sees any new
        // word also sees the claim (and discards the record it overlapped).
        head.pointee.reserved.store(sequence &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        let slot = slots + Int(truncatingIfNeeded: sequence & UInt64(capacity &- 1)) &* recordWords
        for index in 0..<count {
            // Relaxed: published below with releasing.
            slot[index].store(word(index, sequence), ordering: .relaxed)
        }
        // Releasing: the record's words before the count that makes it readable.
        head.pointee.published.store(sequence &+ 1, ordering: .releasing)
    }

    /// Copies the records from `from` on that are still intact into `into`
    /// (`recordWords` words each); returns the sequence of the first copied
    /// and the next sequence to read. Records before the first copied are
    /// lost: overwritten before (or while) they were read.
    public func copy(from: UInt64, into words: inout [UInt32]) -> (first: UInt64, next: UInt64) {
        // Acquiring: the words of every published record are visible.
        let published = head.pointee.published.load(ordering: .acquiring)
        let oldest = published > UInt64(capacity) ? published - UInt64(capacity) : 0
        var first = max(from, oldest)
        guard first < published else { return (published, published) }
        let start = words.count
        for sequence in first..<published {
            let slot = slots + Int(truncatingIfNeeded: sequence & UInt64(capacity - 1)) * recordWords
            for index in 0..<recordWords { words.append(slot[index].load(ordering: .relaxed)) }
        }
        // Acquiring fence, then the claim count: if any word we copied was a
        // newer record's, its claim is visible here.
        atomicMemoryFence(ordering: .acquiring)
        let reserved = head.pointee.reserved.load(ordering: .relaxed)
        let intact = reserved > UInt64(capacity) ? reserved - UInt64(capacity) : 0
        if intact > first {
            let torn = Int(min(intact, published) - first)
            words.removeSubrange(start..<(start + torn * recordWords))
            first += UInt64(torn)
        }
        return (first, published)
    }

    public func deallocate() {
        slots.deinitialize(count: capacity * recordWords)
        CacheLine.free(UnsafeMutableRawPointer(slots))
        head.deallocate()
    }
}
