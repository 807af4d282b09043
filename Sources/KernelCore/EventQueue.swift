// EventQueue: a UCQ mailbox whose events are handled by post and poke.

import Platform

/// Events with payloads (a UCQ mailbox) and a handler that drains it, run by
/// post and poke: `post` queues the event, then pokes, so every event is
/// handled exactly once (the UCQ gives each to one consumer), none is missed
/// (a poke that finds the handler running makes it look again), and the
/// handler is never run by two threads at once, so it may keep plain state.
///
/// A trivial handle; `destroy()` frees the mailbox, tracker and scratch buffer.
@frozen
public struct EventQueue: @unchecked Sendable {
    public let mailbox: UnboundedConcurrentQueue
    @usableFromInline let tracker: PokeTracker
    /// Where the handler's copy of each event goes: one buffer suffices, since
    /// the handler runs on one thread at a time.
    @usableFromInline let scratch: UnsafeMutableRawPointer

    public init(layout: UCQLayout, hashlocks: HashLockTable = .shared) throws(QueueError) {
        mailbox = try UnboundedConcurrentQueue(layout: layout, hashlocks: hashlocks)
        tracker = PokeTracker()
        scratch = CacheLine.allocate(lines: (layout.messageBytes + CacheLine.size - 1) / CacheLine.size)
    }

    /// Queues `event` (`layout.messageBytes` bytes) and makes sure `handler`
    /// runs over every queued event. False when the mailbox could not grow.
    @inlinable
    public func post(_ event: UnsafeRawPointer, handler: (UnsafeRawPointer) -> Void) -> Bool {
        guard mailbox.produce(event) else { return false }
        let mailbox = self.mailbox, scratch = self.scratch
        tracker.poke {
            while mailbox.consume(into: scratch) { handler(UnsafeRawPointer(scratch)) }
        }
        return true
    }

    /// True while some thread runs the handler (a snapshot).
    public var isHandling: Bool { tracker.isRunning }

    public func destroy() {
        mailbox.destroy()
        tracker.deallocate()
        CacheLine.free(scratch)
    }
}
