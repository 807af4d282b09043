// UnboundedConcurrentQueue: the UCQ of thesis §5.1, on mmapped pages.

import Platform
import CPlatform
import Synchronization
import Glibc

/// A multi-producer, multi-consumer queue of fixed-size messages that grows by
/// mmapping pages and shrinks by munmapping them, so a spike of messages is
/// absorbed instead of overflowing (thesis §5.1).
///
/// - Producers claim a slot with fetch-and-add on `prodIdx`, write the message,
///   then set the container's ready flag. A slot past the page's end ("bad")
///   sends the producer to the hashlock: the first there links a new page (the
///   spare if there is one, else a fresh mmap) and resets `prodIdx` to the new
///   page's slot 1, keeping slot 0 for itself, so whoever takes the lock leaves
///   with a good slot. The first producer to see a bad slot raises
///   `prodOverflow`; later producers see it and go to the lock without
///   adding, so `prodIdx`'s message number cannot wrap into the next page's
///   address bits while the fixer is delayed.
/// - Consumers claim with compare-and-swap on `consIdx` (they must not pass
///   `prodIdx`), wait for the ready flag, copy the message out, clear the flag,
///   and only then count the message consumed: the page may be recycled as soon
///   as the count is full. A consumer that finds `consIdx` bad takes the
///   consumers' lock (a word in the shared header), moves `consIdx` to the next
///   page, waits until every message of the old page is consumed and makes it
///   the spare; if there already is a spare, the old page is unmapped: munmap
///   happens only when the queue shrinks past two pages.
///
/// All queue state (indexes, spare page, overflow flag, consumers' lock) sits in
/// one shared header page; the producers' private state (the hashlock table,
/// the page they last linked, statistics) is kept out of it. A trivial handle:
/// copies share the queue; `destroy()` frees it when no thread uses it.
@frozen
public struct UnboundedConcurrentQueue: @unchecked Sendable {
    public let layout: UCQLayout
    @usableFromInline let shared: UnsafeMutableRawPointer
    @usableFromInline let hashlocks: HashLockTable
    /// Producer-private words (not in the shared header), on their own lines.
    @usableFromInline let privateState: UnsafeMutableRawPointer

    // Shared header offsets: each word two threads write on its own 128 bytes.
    @usableFromInline static let prodIdx = 0, consIdx = 128, sparePage = 256, extraPages = 264,
                                 prodOverflow = 272, consumerLock = 384
    // Private offsets.
    @usableFromInline static let lastLinkedPage = 0, pagesMapped = 8, peakPages = 16, invalidStates = 24,
                                 pagesUnmapped = 128

    /// A queue with two pages, one current and one spare (the floor it
    /// returns to), using `hashlocks` for its page swaps.
    public init(layout: UCQLayout, hashlocks: HashLockTable = .shared) throws(QueueError) {
        self.layout = layout
        self.hashlocks = hashlocks
        let headerBytes = SharedMemory.pageBytes, mapBytes = layout.bytes(pages: 1)
        guard let header = SharedMemory.map(headerBytes) else { throw .noMemory(bytes: headerBytes, errno: errno) }
        guard let first = SharedMemory.map(mapBytes), let spare = SharedMemory.map(mapBytes) else {
            SharedMemory.unmap(header, headerBytes)
            throw .noMemory(bytes: mapBytes, errno: errno)
        }
        shared = header
        privateState = CacheLine.allocate(lines: 4)
        let firstSlot = UInt64(UInt(bitPattern: first))
        SharedMemory.word(header, Self.prodIdx).pointee.store(firstSlot, ordering: .relaxed)
        SharedMemory.word(header, Self.consIdx).pointee.store(firstSlot, ordering: .relaxed)
        SharedMemory.word(header, Self.sparePage).pointee.store(UInt64(UInt(bitPattern: spare)), ordering: .relaxed)
        SharedMemory.word(privateState, Self.lastLinkedPage).pointee.store(firstSlot, ordering: .relaxed)
        SharedMemory.word(privateState, Self.peakPages).pointee.store(2, ordering: .relaxed)
        // Releasing: whoever receives this handle through a synchronizing
        // hand-off sees the initialized header.
        atomicMemoryFence(ordering: .releasing)
    }

    @inlinable func sharedWord(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        SharedMemory.word(shared, offset)
    }

    @inlinable func privateWord(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        SharedMemory.word(privateState, offset)
    }

    @inlinable static func pageWord(_ page: UInt64, _ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        SharedMemory.word(UnsafeMutableRawPointer(bitPattern: UInt(page))!, offset)
    }

    // MARK: - Producing

    /// Writes one message (`layout.messageBytes` bytes from `message`).
    /// False only when the queue could not grow (mmap failed); the message
    /// is then not queued.
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    @inlinable @inline(__always)
    public func produce(_ message: UnsafeRawPointer) -> Bool {
        guard let slot = claim() else { return false }
        MessageCopy.copy(slot.message, from: message, bytes: layout.messageBytes)
        publish(slot)
        return true
    }

    /// Claims a slot for one message; fill it through `UCQSlot.message`, then
    /// `publish` it. Between the two, consumers that reach the slot wait.
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    @inlinable @inline(__always)
    public func claim() -> UCQSlot? {
        // Relaxed: the flag only routes us; the lock orders what matters.
        // `_fastPath`: laid out so the common case falls straight through
        // (no taken branch); the page swap is once in `messagesPerPage` claims.
        if _fastPath(sharedWord(Self.prodOverflow).pointee.load(ordering: .relaxed) == 0) {
            // Acquiring: pairs with the fixer's releasing store of a new page.
            let slot = sharedWord(Self.prodIdx).pointee.wrappingAdd(1, ordering: .acquiring).oldValue
            if _fastPath(layout.slotIsGood(slot)) { return UCQSlot(container: layout.container(slot)) }
            // First to see the page end: stop others adding until it is fixed.
            sharedWord(Self.prodOverflow).pointee.store(1, ordering: .relaxed)
        }
        return claimUnderHashlock()
    }

    /// Marks a claimed slot's message complete.
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    @inlinable @inline(__always)
    public func publish(_ slot: UCQSlot) {
        // Releasing: the message's bytes are visible before the flag.
        SharedMemory.word(slot.container, 0).pointee.store(1, ordering: .releasing)
    }

    /// The slow path: under the hashlock, either a good slot (someone fixed
    /// the page already) or this producer links the next page and takes its
    /// slot 0.
    @inline(never) @usableFromInline
    func claimUnderHashlock() -> UCQSlot? {
        let key = UInt(bitPattern: shared)
        hashlocks.lock(key)
        defer {
            sharedWord(Self.prodOverflow).pointee.store(0, ordering: .releasing)
            hashlocks.unlock(key)
        }
        let slot = sharedWord(Self.prodIdx).pointee.wrappingAdd(1, ordering: .acquiring).oldValue
        // Under the lock no page swap runs, so a legitimate good slot is on
        // the page we linked last. One on any other page means prod_idx was
        // scribbled on (or its number wrapped into the next page's address):
        // never written; the page is extended from our private record instead.
        let oldPage = privateWord(Self.lastLinkedPage).pointee.load(ordering: .relaxed)
        if layout.slotIsGood(slot) && layout.page(of: slot) == oldPage {
            return UCQSlot(container: layout.container(slot))
        }
        if layout.page(of: slot) != oldPage {
            privateWord(Self.invalidStates).pointee.wrappingAdd(1, ordering: .relaxed)
        }
        // Acquiring: the consumer that made this page the spare reset its header first.
        var newPage = sharedWord(Self.sparePage).pointee.exchange(0, ordering: .acquiringAndReleasing)
        if newPage == 0 || newPage & layout.numberMask != 0 {
            guard let fresh = SharedMemory.map(layout.bytes(pages: 1)) else { return nil }
            newPage = UInt64(UInt(bitPattern: fresh))
            let extra = sharedWord(Self.extraPages).pointee.wrappingAdd(1, ordering: .relaxed).newValue
            privateWord(Self.pagesMapped).pointee.wrappingAdd(1, ordering: .relaxed)
            let live = 2 + extra
            if live > privateWord(Self.peakPages).pointee.load(ordering: .relaxed) {
                privateWord(Self.peakPages).pointee.store(live, ordering: .relaxed)
            }
        }
        Self.pageWord(newPage, UCQLayout.nextPageOffset).pointee.store(0, ordering: .relaxed)
        Self.pageWord(newPage, UCQLayout.consumedOffset).pointee.store(0, ordering: .relaxed)
        privateWord(Self.lastLinkedPage).pointee.store(newPage, ordering: .relaxed)
        // Releasing: pairs with the acquiring fetch-and-add of producers that follow.
        // prod_idx moves to the new page *before* the link is published (the
        // thesis links first): a consumer that follows the link must find
        // prod_idx on that page already, or it would compare its index with
        // one on the old page, think the queue non-empty and claim slots no
        // producer has been given, waiting on them for as long as nobody produces.
        sharedWord(Self.prodIdx).pointee.store(newPage + 1, ordering: .releasing)
        // Releasing: the new page's header is reset before a consumer can follow the link.
        Self.pageWord(oldPage, UCQLayout.nextPageOffset).pointee.store(newPage, ordering: .releasing)
        return UCQSlot(container: layout.container(newPage))
    }

    // MARK: - Consuming

    /// Copies the next message into `out` (`layout.messageBytes` bytes);
    /// false when the queue is empty. Never blocks on an empty queue; waits
    /// only for a message whose producer has claimed but not published it.
    // Always inlined: left to itself the optimizer made this a call, with the
    // queue passed through memory, in the specialized loops that drive it.
    //
    // Straight through when nothing is in the way (a good slot, a message
    // behind it, the CAS won, the message published), or to an empty answer;
    // everything else (the page's end, a lost race, an unpublished message)
    // is out of line. With the retry loop inline, the optimizer hoisted the
    // layout's words out of it into registers and, short of registers,
    // copied them to new stack slots on every pair: three stores, each of
    // which the next locked instruction has to wait for.
    @inlinable @inline(__always)
    public func consume(into out: UnsafeMutableRawPointer) -> Bool {
        // Acquiring: a good index's page is fully set up before we use it.
        let slot = sharedWord(Self.consIdx).pointee.load(ordering: .acquiring)
        // `_fastPath`: the straight path falls through, with no taken branch.
        if _fastPath(layout.slotIsGood(slot)) {
            // Empty: answered here, so polling an empty queue costs no call.
            if layout.position(slot) == sharedWord(Self.prodIdx).pointee.load(ordering: .relaxed) { return false }
            if _fastPath(sharedWord(Self.consIdx).pointee.compareExchange(expected: slot, desired: slot &+ 1,
                                                                          successOrdering: .relaxed,
                                                                          failureOrdering: .relaxed).exchanged) {
                let container = layout.container(slot)
                // Acquiring: the message bytes are read only after the producer's publish.
                if _fastPath(SharedMemory.word(container, 0).pointee.load(ordering: .acquiring) != 0) {
                    copyOut(slot: slot, container: container, into: out)
                    return true
                }
                waitAndCopyOut(slot: slot, into: out)
                return true
            }
        }
        return consumeSlowly(into: out)
    }

    /// `consume` when its straight path did not claim a slot: `consIdx` was
    /// at its page's end, or another consumer won the CAS. The thesis' loop,
    /// from a fresh look at the index.
    @inline(never) @usableFromInline
    func consumeSlowly(into out: UnsafeMutableRawPointer) -> Bool {
        var slot: UInt64
        while true {
            // Acquiring: a good index's page is fully set up before we use it.
            slot = sharedWord(Self.consIdx).pointee.load(ordering: .acquiring)
            if layout.position(slot) == sharedWord(Self.prodIdx).pointee.load(ordering: .relaxed) { return false }
            if !layout.slotIsGood(slot) {
                advanceConsumerPage()
                continue
            }
            if sharedWord(Self.consIdx).pointee.compareExchange(expected: slot, desired: slot &+ 1,
                                                                successOrdering: .relaxed,
                                                                failureOrdering: .relaxed).exchanged { break }
        }
        waitAndCopyOut(slot: slot, into: out)
        return true
    }

    /// A claimed slot whose message may not be published yet: wait for it,
    /// then copy it out.
    @inline(never) @usableFromInline
    func waitAndCopyOut(slot: UInt64, into out: UnsafeMutableRawPointer) {
        let container = layout.container(slot)
        let ready = SharedMemory.word(container, 0)
        // Acquiring: the message bytes are read only after the producer's publish.
        if ready.pointee.load(ordering: .acquiring) == 0 { SpinWait.untilReady(ready) }
        copyOut(slot: slot, container: container, into: out)
    }

    /// A claimed, published message: copy it out, clear its flag, count it
    /// consumed (in that order: its page may be recycled once the count is full).
    @inlinable @inline(__always)
    func copyOut(slot: UInt64, container: UnsafeMutableRawPointer, into out: UnsafeMutableRawPointer) {
        MessageCopy.copy(out, from: container + 8, bytes: layout.messageBytes)
        SharedMemory.word(container, 0).pointee.store(0, ordering: .relaxed)
        // Releasing: the copy-out and the cleared flag happen before the page
        // can be recycled by whoever sees the count full.
        Self.pageWord(layout.page(of: slot), UCQLayout.consumedOffset).pointee
            .wrappingAdd(1, ordering: .releasing)
    }

    /// `consIdx` ran off its page: under the consumers' lock, move it to the
    /// next page, then retire the old page once all its messages are consumed.
    @inline(never) @usableFromInline
    func advanceConsumerPage() {
        let lock = SharedMemory.word(shared, Self.consumerLock)
        var wait = SpinWait()
        // Acquiring: the previous holder's page moves are visible to us.
        while !lock.pointee.compareExchange(expected: 0, desired: 1, successOrdering: .acquiring,
                                            failureOrdering: .relaxed).exchanged {
            wait.once()
        }
        defer { lock.pointee.store(0, ordering: .releasing) }
        let slot = sharedWord(Self.consIdx).pointee.load(ordering: .acquiring)
        if layout.slotIsGood(slot) { return }   // another consumer moved it already
        // Empty at the page's end: no producer took a slot past it, so none
        // will link a next page until someone produces. The emptiness seen
        // before the lock may be stale (the index, or the page, moved on in
        // between), so look again here rather than wait for a link that may
        // never come (the thesis' consumer waits).
        if layout.position(slot) == sharedWord(Self.prodIdx).pointee.load(ordering: .acquiring) { return }
        let oldPage = layout.page(of: slot)
        let next = Self.pageWord(oldPage, UCQLayout.nextPageOffset)
        // Acquiring: the producer reset the new page before linking it.
        var newPage = next.pointee.load(ordering: .acquiring)
        while newPage == 0 {
            wait.once()
            newPage = next.pointee.load(ordering: .acquiring)
        }
        // Releasing: consumers that now claim on the new page see its reset header.
        sharedWord(Self.consIdx).pointee.store(layout.firstSlot(of: newPage, after: slot), ordering: .releasing)
        let consumed = Self.pageWord(oldPage, UCQLayout.consumedOffset)
        // Acquiring: every consumer's copy-out from the old page is complete.
        while consumed.pointee.load(ordering: .acquiring) < UInt64(layout.messagesPerPage) { wait.once() }
        next.pointee.store(0, ordering: .relaxed)
        consumed.pointee.store(0, ordering: .relaxed)
        // Acquiring and releasing: hands the reset page to the producer that
        // takes the spare, and takes over the page we displace.
        let displaced = sharedWord(Self.sparePage).pointee.exchange(oldPage, ordering: .acquiringAndReleasing)
        if displaced != 0 {
            SharedMemory.unmap(UnsafeMutableRawPointer(bitPattern: UInt(displaced))!, layout.bytes(pages: 1))
            sharedWord(Self.extraPages).pointee.wrappingSubtract(1, ordering: .relaxed)
            privateWord(Self.pagesUnmapped).pointee.wrappingAdd(1, ordering: .relaxed)
        }
    }

    // MARK: - State

    /// True when no message is queued (a snapshot).
    public var isEmpty: Bool {
        layout.position(sharedWord(Self.consIdx).pointee.load(ordering: .acquiring))
            == sharedWord(Self.prodIdx).pointee.load(ordering: .acquiring)
    }

    /// Pages the queue holds now: current ones plus the spare (2 at rest).
    public var pages: Int { 2 + Int(truncatingIfNeeded: sharedWord(Self.extraPages).pointee.load(ordering: .relaxed)) }

    /// Counts since creation: mmaps beyond the first two pages, munmaps, the
    /// most pages held at once, and page swaps refused for a corrupt index.
    public var statistics: UCQStatistics {
        UCQStatistics(pagesMapped: Int(privateWord(Self.pagesMapped).pointee.load(ordering: .relaxed)),
                      pagesUnmapped: Int(privateWord(Self.pagesUnmapped).pointee.load(ordering: .relaxed)),
                      peakPages: Int(privateWord(Self.peakPages).pointee.load(ordering: .relaxed)),
                      currentPages: pages,
                      invalidStates: Int(privateWord(Self.invalidStates).pointee.load(ordering: .relaxed)),
                      pageBytes: layout.bytes(pages: 1))
    }

    /// The shared state in one line, for a stall report: both indexes, the
    /// consumers' page's next link and consumed count, overflow flag, spare.
    public var stateDescription: String {
        let cons = sharedWord(Self.consIdx).pointee.load(ordering: .acquiring)
        let page = layout.page(of: cons)
        let next = page == 0 ? 0 : Self.pageWord(page, UCQLayout.nextPageOffset).pointee.load(ordering: .acquiring)
        let consumed = page == 0 ? 0 : Self.pageWord(page, UCQLayout.consumedOffset).pointee.load(ordering: .acquiring)
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        return "prod_idx \(hex(sharedWord(Self.prodIdx).pointee.load(ordering: .acquiring))) cons_idx \(hex(cons)) "
            + "cons page next \(hex(next)) consumed \(consumed)/\(layout.messagesPerPage) "
            + "overflow \(sharedWord(Self.prodOverflow).pointee.load(ordering: .acquiring)) "
            + "spare \(hex(sharedWord(Self.sparePage).pointee.load(ordering: .acquiring))) "
            + "consumer lock \(SharedMemory.word(shared, Self.consumerLock).pointee.load(ordering: .acquiring))"
    }

    /// The raw shared header words (tests: to corrupt or inspect them).
    public var producerIndex: UnsafeMutablePointer<Atomic<UInt64>> { sharedWord(Self.prodIdx) }
    public var consumerIndex: UnsafeMutablePointer<Atomic<UInt64>> { sharedWord(Self.consIdx) }
    public var producerOverflow: UnsafeMutablePointer<Atomic<UInt64>> { sharedWord(Self.prodOverflow) }
    /// The address the hashlock is keyed on.
    public var hashlockKey: UInt { UInt(bitPattern: shared) }
    /// The hashlock table the producers use.
    public var hashlockTable: HashLockTable { hashlocks }

    /// Unmaps every page (the chain from the consumers' page on, and the
    /// spare) and the header. No thread may use the queue afterwards.
    public func destroy() {
        var page = layout.page(of: sharedWord(Self.consIdx).pointee.load(ordering: .acquiring))
        var seen = 0
        while page != 0 && seen < 1 << 30 {
            let next = Self.pageWord(page, UCQLayout.nextPageOffset).pointee.load(ordering: .acquiring)
            SharedMemory.unmap(UnsafeMutableRawPointer(bitPattern: UInt(page))!, layout.bytes(pages: 1))
            page = next
            seen += 1
        }
        let spare = sharedWord(Self.sparePage).pointee.load(ordering: .acquiring)
        if spare != 0 { SharedMemory.unmap(UnsafeMutableRawPointer(bitPattern: UInt(spare))!, layout.bytes(pages: 1)) }
        SharedMemory.unmap(shared, SharedMemory.pageBytes)
        CacheLine.free(privateState)
    }
}

/// A claimed UCQ slot: write the message, then publish.
@frozen
public struct UCQSlot {
    @usableFromInline let container: UnsafeMutableRawPointer
    @inlinable init(container: UnsafeMutableRawPointer) { self.container = container }
    /// Where the message's bytes go.
    @inlinable public var message: UnsafeMutableRawPointer { container + 8 }
}

/// What a UCQ did with memory.
public struct UCQStatistics: Sendable, Equatable {
    /// mmaps beyond the two pages the queue starts with, and munmaps.
    public var pagesMapped: Int, pagesUnmapped: Int
    /// The most pages held at once, and now (current pages plus the spare).
    public var peakPages: Int, currentPages: Int
    /// Slow-path claims whose index named a page the producers did not link (repaired, never written).
    public var invalidStates: Int
    /// Bytes of one page as mapped.
    public var pageBytes: Int
}
