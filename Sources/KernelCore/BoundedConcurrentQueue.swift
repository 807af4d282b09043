// BoundedConcurrentQueue: the BCQ of thesis §5.1, all its state in one region.

import Platform
import CPlatform
import Synchronization
import Glibc

/// A fixed-size multi-producer, multi-consumer ring of fixed-size messages,
/// whose whole state (indexes, ready flags, messages) lives in one shared
/// region, so either side can set it up without the other (thesis §5.1).
///
/// The producer never trusts the region: every index is masked by
/// `capacity - 1` before it addresses a slot, so no value a consumer writes
/// can make a producer write outside the slots; a corrupted consumer index
/// can only make the queue look full (a produce that fails). Producers claim
/// `prodIdx` with compare-and-swap after checking for room, write the message
/// and set the slot's ready flag; a full queue is reported as `.full`, never
/// dropped silently. Consumers claim `consPvtIdx` with compare-and-swap, wait
/// for ready, copy out, clear the flag, then publish `consPubIdx` in claim
/// order (so a producer only reuses a slot every earlier consumer released).
///
/// The slots are bracketed by inaccessible guard pages: a write outside them
/// faults at once instead of corrupting a neighbour. A trivial handle: copies
/// share the queue; `destroy()` frees it.
@frozen
public struct BoundedConcurrentQueue: @unchecked Sendable {
    /// Slots: a power of two.
    public let capacity: Int
    /// Bytes of one message (a multiple of 8).
    public let messageBytes: Int
    /// Bytes of one slot: ready flag plus message.
    public let slotBytes: Int
    @usableFromInline let region: UnsafeMutableRawPointer
    @usableFromInline let slots: UnsafeMutableRawPointer
    @usableFromInline let mask: UInt32
    let regionBytes: Int

    /// Largest capacity accepted (2^24 slots).
    public static let maximumCapacity = 1 << 24
    /// Largest message accepted.
    public static let maximumMessageBytes = 4096

    // Header offsets (32-bit indexes as in the thesis), each on its own 128 bytes.
    @usableFromInline static let prodIdx = 0, consPvtIdx = 128, consPubIdx = 256, slotsOffset = 384

    /// A queue of `capacity` slots (a power of two) for `messageBytes`-byte messages.
    public init(capacity: Int, messageBytes: Int) throws(QueueError) {
        guard capacity >= 2, capacity <= Self.maximumCapacity, capacity & (capacity - 1) == 0 else {
            throw .badParameter(name: "BCQ capacity", value: capacity,
                                allowed: "a power of two from 2 to \(Self.maximumCapacity)")
        }
        guard messageBytes >= 8, messageBytes % 8 == 0 else {
            throw .badParameter(name: "message size", value: messageBytes, allowed: "a positive multiple of 8 bytes")
        }
        guard messageBytes <= Self.maximumMessageBytes else {
            throw .messageTooLarge(bytes: messageBytes, slotBytes: Self.maximumMessageBytes)
        }
        self.capacity = capacity
        self.messageBytes = messageBytes
        slotBytes = 8 + messageBytes
        mask = UInt32(capacity - 1)
        let page = SharedMemory.pageBytes
        let body = CacheLine.roundUp(Self.slotsOffset + capacity * slotBytes, to: page)
        regionBytes = body + 2 * page
        guard let mapped = SharedMemory.map(regionBytes) else { throw .noMemory(bytes: regionBytes, errno: errno) }
        // Guard pages before and after: an out-of-bounds slot write faults.
        mprotect(mapped, page, PROT_NONE)
        mprotect(mapped + page + body, page, PROT_NONE)
        region = mapped + page
        slots = region + Self.slotsOffset
    }

    @inlinable func index(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        SharedMemory.word32(region, offset)
    }

    /// Writes one message. `.full` when there is no room (or the consumer
    /// index is corrupt); `.contended` after `maxAttempts` lost races (0: no limit).
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    @inlinable @inline(__always)
    public func enqueue(_ message: UnsafeRawPointer, maxAttempts: Int = 0) -> BCQEnqueueResult {
        var attempts = 0
        var prod: UInt32
        while true {
            // Relaxed: the compare-and-swap below validates it.
            prod = index(Self.prodIdx).pointee.load(ordering: .relaxed)
            // Acquiring: the consumers that released these slots cleared them first.
            let consumed = index(Self.consPubIdx).pointee.load(ordering: .acquiring)
            // Unsigned: a consumer index ahead of prod (corrupt) also reads as full.
            if prod &- consumed >= UInt32(capacity) { return .full }
            if index(Self.prodIdx).pointee.compareExchange(expected: prod, desired: prod &+ 1,
                                                           successOrdering: .relaxed,
                                                           failureOrdering: .relaxed).exchanged { break }
            attempts += 1
            if maxAttempts > 0 && attempts >= maxAttempts { return .contended }
        }
        let slot = slots + Int(prod & mask) * slotBytes
        MessageCopy.copy(slot + 8, from: message, bytes: messageBytes)
        // Releasing: the message is visible before its ready flag.
        SharedMemory.word(slot, 0).pointee.store(1, ordering: .releasing)
        return .enqueued
    }

    /// Copies the next message into `out`; false when there is none.
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    @inlinable @inline(__always)
    public func dequeue(into out: UnsafeMutableRawPointer) -> Bool {
        var claimed: UInt32
        while true {
            // Our index first, then the producers'. The other way round, a
            // consumer preempted between the loads compared a stale `prod`
            // with a `claimed` other consumers had since moved past it, saw
            // them differ, and claimed a slot no producer had taken: it then
            // waited on that slot's flag until someone produced, forever at
            // the end of a stream (the exactly-once test hung so, under load).
            // Read in this order, `prod` is at least the `claimed` we read, so
            // "differ" means a producer holds that slot. Acquiring: keeps the
            // producers' load after ours (relaxed loads may be reordered); the
            // ready flag, not the index, orders the message.
            claimed = index(Self.consPvtIdx).pointee.load(ordering: .acquiring)
            let prod = index(Self.prodIdx).pointee.load(ordering: .relaxed)
            if prod == claimed { return false }
            if index(Self.consPvtIdx).pointee.compareExchange(expected: claimed, desired: claimed &+ 1,
                                                              successOrdering: .relaxed,
                                                              failureOrdering: .relaxed).exchanged { break }
        }
        let slot = slots + Int(claimed & mask) * slotBytes
        let ready = SharedMemory.word(slot, 0)
        // Acquiring: the message is read only after the producer published it.
        if ready.pointee.load(ordering: .acquiring) == 0 { SpinWait.untilReady(ready) }
        MessageCopy.copy(out, from: slot + 8, bytes: messageBytes)
        ready.pointee.store(0, ordering: .relaxed)
        // Consumers release slots in claim order. Relaxed: only our own turn
        // is read here; the releasing store below orders what the producer needs.
        if index(Self.consPubIdx).pointee.load(ordering: .relaxed) != claimed { waitForTurn(claimed) }
        // Releasing: our copy-out and cleared flag precede the slot's reuse.
        index(Self.consPubIdx).pointee.store(claimed &+ 1, ordering: .releasing)
        return true
    }

    /// Out of line, so the uncontended dequeue stays small enough to inline:
    /// waits until every consumer that claimed before us has released its slot.
    @inline(never) @usableFromInline
    func waitForTurn(_ claimed: UInt32) {
        var wait = SpinWait()
        // Relaxed: as in `dequeue`, only the turn is read.
        while index(Self.consPubIdx).pointee.load(ordering: .relaxed) != claimed { wait.once() }
    }

    /// True when nothing is queued (a snapshot).
    public var isEmpty: Bool {
        index(Self.prodIdx).pointee.load(ordering: .acquiring) == index(Self.consPvtIdx).pointee.load(ordering: .acquiring)
    }

    /// Bytes the queue holds (header and slots, not the guard pages).
    public var bytes: Int { regionBytes - 2 * SharedMemory.pageBytes }

    /// The raw shared indexes (tests: to corrupt or inspect them).
    public var producerIndex: UnsafeMutablePointer<Atomic<UInt32>> { index(Self.prodIdx) }
    public var consumerPrivateIndex: UnsafeMutablePointer<Atomic<UInt32>> { index(Self.consPvtIdx) }
    public var consumerPublicIndex: UnsafeMutablePointer<Atomic<UInt32>> { index(Self.consPubIdx) }
    /// The first and one-past-last byte of the slots.
    public var slotRange: Range<UInt> {
        UInt(bitPattern: slots)..<UInt(bitPattern: slots + capacity * slotBytes)
    }

    /// Unmaps the region. No thread may use the queue afterwards.
    public func destroy() { SharedMemory.unmap(region - SharedMemory.pageBytes, regionBytes) }
}

/// What an enqueue did.
public enum BCQEnqueueResult: Sendable, Equatable {
    case enqueued
    /// No room: the overflow the caller must handle (retry, count, drop).
    case full
    /// Lost the compare-and-swap race `maxAttempts` times.
    case contended
}
