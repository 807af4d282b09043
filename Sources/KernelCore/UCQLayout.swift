// UCQLayout: where things are in a UCQ page, and what a slot index means.

/// The geometry of a UCQ's pages. A page starts with a 32-byte header (the
/// next page for consumers, the count consumed so far) followed by message
/// containers: an 8-byte ready flag, then the message. With the thesis' 24-byte
/// messages, a container is 32 bytes and a 4 KiB page holds 127 of them.
///
/// A slot index is one 64-bit word that names a page and a message in it: the
/// page's address (aligned to `pageBytes`) plus the message's number in the
/// low bits. Page and number change together in one atomic, so a reader never
/// pairs a new page with an old number.
@frozen
public struct UCQLayout: Sendable, Equatable {
    /// Bytes of a page header: `nextPage` at 0, `consumed` at 8.
    public static let headerBytes = 32
    /// Offsets in the page header.
    @usableFromInline static let nextPageOffset = 0, consumedOffset = 8

    /// Bytes of one message (a multiple of 8).
    public let messageBytes: Int
    // The rest is stored in the form the hot path uses, so an enqueue plus
    // dequeue computes nothing from it: no `pageBytes - 1` with its overflow
    // check, no Int-to-UInt64 conversion checks, no checked multiply. Those
    // came to about twenty instructions of the uncontended pair's hundred and
    // twenty (objdump of the release loop), each recomputed on both verbs.
    /// The low bits of an index: the message number (`pageBytes - 1`).
    @usableFromInline let numberMask: UInt64
    /// The bits of an index that name the page: address bits above the number.
    @usableFromInline let pageMask: UInt64
    /// Messages in one page, as the index's number is compared with it.
    @usableFromInline let goodNumbers: UInt64
    /// Bytes from one container to the next.
    @usableFromInline let stride: UInt64

    /// Bytes of one UCQ page: a power of two, at most the system page.
    public var pageBytes: Int { Int(truncatingIfNeeded: numberMask) + 1 }
    /// Bytes of one container: ready flag plus message.
    public var containerBytes: Int { Int(truncatingIfNeeded: stride) }
    /// Messages in one page.
    public var messagesPerPage: Int { Int(truncatingIfNeeded: goodNumbers) }

    /// The smallest page (the overflow tests use it: few messages per page).
    public static let minimumPageBytes = 128

    /// A layout for `messageBytes`-byte messages on pages of `pageBytes`.
    /// Throws when the page size is not a power of two in range, or when a
    /// page cannot hold even one message.
    public init(messageBytes: Int, pageBytes: Int = SharedMemory.pageBytes) throws(QueueError) {
        let maxPage = SharedMemory.pageBytes
        guard pageBytes >= Self.minimumPageBytes, pageBytes <= maxPage, pageBytes & (pageBytes - 1) == 0 else {
            throw .badParameter(name: "UCQ page size", value: pageBytes,
                                allowed: "a power of two from \(Self.minimumPageBytes) to \(maxPage)")
        }
        guard messageBytes >= 8, messageBytes % 8 == 0 else {
            throw .badParameter(name: "message size", value: messageBytes, allowed: "a positive multiple of 8 bytes")
        }
        let slotBytes = pageBytes - Self.headerBytes - 8
        guard messageBytes <= slotBytes else { throw .messageTooLarge(bytes: messageBytes, slotBytes: slotBytes) }
        self.messageBytes = messageBytes
        numberMask = UInt64(pageBytes - 1)
        pageMask = Self.addressMask & ~numberMask
        stride = UInt64(8 + messageBytes)
        goodNumbers = UInt64((pageBytes - Self.headerBytes) / (8 + messageBytes))
    }

    /// The bits of an index that hold an address (x86-64 user space: 47).
    /// Above them the consumers' index carries a generation, bumped each time
    /// it moves to another page, so a consumer that read the index, was
    /// preempted while the page was recycled and came back to the same page
    /// and number cannot win its compare-and-swap on the stale reading (ABA)
    /// and claim a slot no producer was given yet.
    public static let addressBits: UInt64 = 48
    @usableFromInline static let addressMask: UInt64 = (1 << addressBits) - 1

    /// True when `slot` names a page (non-null) and a message inside it.
    @inlinable
    public func slotIsGood(_ slot: UInt64) -> Bool {
        slot & numberMask < goodNumbers && slot & pageMask != 0
    }

    /// The page `slot` names (generation bits dropped).
    @inlinable
    public func page(of slot: UInt64) -> UInt64 { slot & pageMask }

    /// `slot` without its generation: comparable with the producers' index.
    @inlinable
    public func position(_ slot: UInt64) -> UInt64 { slot & Self.addressMask }

    /// The consumers' index for slot 0 of `page`, one generation after `previous`.
    @inlinable
    public func firstSlot(of page: UInt64, after previous: UInt64) -> UInt64 {
        page | ((previous >> Self.addressBits) &+ 1) << Self.addressBits
    }

    /// The message number `slot` names.
    @inlinable
    public func number(of slot: UInt64) -> Int { Int(truncatingIfNeeded: slot & numberMask) }

    /// The container a good `slot` names (its ready flag; the message follows).
    @inlinable
    public func container(_ slot: UInt64) -> UnsafeMutableRawPointer {
        // Wrapping: a good slot's number is below `goodNumbers`, so the
        // container ends inside its page; nothing here can overflow. The
        // page, not the sum, is unwrapped: `slotIsGood` has tested that very
        // value, so the optimizer drops the test here (unwrapping the sum
        // left a compare and a taken branch on both verbs).
        UnsafeMutableRawPointer(bitPattern: UInt(page(of: slot)))!
            + Int(truncatingIfNeeded: UInt64(Self.headerBytes) &+ (slot & numberMask) &* stride)
    }

    /// Bytes the queue holds for `pages` pages of messages.
    public func bytes(pages: Int) -> Int { pages * max(pageBytes, SharedMemory.pageBytes) }
}
