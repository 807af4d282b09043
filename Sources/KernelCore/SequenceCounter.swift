// SequenceCounter: a seqlock's counter (Linux seqcount_t, Akaros seqctr).

import CPlatform
import Synchronization

/// A sequence counter for data with one writer at a time (serialized by
/// some lock) and readers that never block it: the writer makes the counter
/// odd while it changes the data and even again when done, so a reader that
/// saw the same even value before and after its reads read a consistent
/// snapshot, and otherwise retries.
///
/// Readers also use the value alone as a change detector: the vcore map's
/// counter (Akaros' coremap_seqctr) tells an MCS-PDRN waiter that some vcore
/// was preempted or changed since it started waiting.
///
/// The protected data must itself be read and written atomically (relaxed
/// is enough): a reader may overlap the writer, and Swift, like C, makes a
/// plain racing access undefined.
@frozen
public struct SequenceCounter: ~Copyable {
    @usableFromInline let counter = Atomic<UInt32>(0)

    @inlinable
    public init() {}

    /// The counter now. Acquiring: whoever reads a value sees every change
    /// the writer finished before publishing it.
    @inlinable
    public var value: UInt32 { counter.load(ordering: .acquiring) }

    /// Whether `value` was read while a write was in flight.
    @inlinable
    public static func isWriting(_ value: UInt32) -> Bool { value & 1 != 0 }

    // MARK: Readers

    /// Starts a read: waits (spinning) until no write is in flight and
    /// returns the even value to pass to `retry(_:)`.
    @inlinable
    public func readBegin() -> UInt32 {
        var start = value
        while Self.isWriting(start) {
            kb_pause()
            start = value
        }
        return start
    }

    /// Ends a read begun with `start`: true if a write began since, so what
    /// was read may be torn and the read must be redone.
    @inlinable
    public func retry(_ start: UInt32) -> Bool {
        // Acquiring fence: the data loads above cannot move below the
        // re-read of the counter (Linux' smp_rmb in read_seqcount_retry).
        atomicMemoryFence(ordering: .acquiring)
        return counter.load(ordering: .relaxed) != start
    }

    /// Runs `body` until it reads a consistent snapshot and returns it.
    @inlinable
    public func read<Result>(_ body: () -> Result) -> Result {
        while true {
            let start = readBegin()
            let result = body()
            if !retry(start) { return result }
        }
    }

    // MARK: The writer (one at a time)

    /// Makes the counter odd before the data changes. The releasing fence
    /// keeps the data stores that follow from being seen before the odd value.
    @inlinable
    public func beginWrite() {
        counter.wrappingAdd(1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
    }

    /// Makes the counter even again once the data changed. Releasing:
    /// whoever reads the new value sees the change.
    @inlinable
    public func endWrite() {
        counter.wrappingAdd(1, ordering: .releasing)
    }
}
