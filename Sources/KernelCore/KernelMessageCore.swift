// KernelMessageCore: one core's kernel-message queues and the wake-up that
// reaches it when it sleeps (thesis §3.2).

import Platform
import CPlatform
import Synchronization
import Glibc

/// The receiving side of one "core" (a pinned thread) and the verb senders use.
///
/// Two queues per core, as the thesis keeps two lists: immediate and routine.
/// Both are KernelCore's UCQ rather than a locked list or a per-core MPSC list:
/// the UCQ is already multi-producer, unbounded (a message is never refused for
/// room, the thesis' guaranteed delivery), allocation-free per message (127
/// messages to a page, pages recycled), and with one consumer it is FIFO in
/// claim order, so each sender's messages run in the order sent.
///
/// One 32-bit state word (a futex word on its own line) coordinates the rest:
/// - `sleeping`: the core is at its idle point about to sleep, or asleep.
/// - `immediatePending`: the IPI: an immediate message waits for a safe point.
/// - `stopping`: no message is accepted any more.
/// - bits 8...: senders between accepting a message and queuing it.
///
/// A sender enters (refused once `stopping`), queues the message, then leaves
/// with one sequentially consistent read-modify-write that sets
/// `immediatePending` (immediate messages), clears `sleeping` and, if it was
/// set, wakes the core. The core goes to sleep with the mirror image: it sets
/// `sleeping`, then looks at its queues, then sleeps only while the word still
/// says `sleeping`. Both sides write the one word with read-modify-writes, so
/// they are totally ordered: either the sender's leave came first (the core
/// sees the message) or the core's announcement did (the sender sees it and
/// wakes it) — Saltzer's "wakeup waiting" switch. Routine messages to a core
/// that is not sleeping need no wake-up at all: it will reach its idle point
/// (the thesis' optimization of skipping the IPI).
///
/// A trivial handle: copies share the core; `destroy()` frees it.
@frozen
public struct KernelMessageCore: @unchecked Sendable {
    public let wake: CoreWakeMechanism
    @usableFromInline let immediate: UnboundedConcurrentQueue
    @usableFromInline let routine: UnboundedConcurrentQueue
    @usableFromInline let state: UnsafeMutablePointer<FutexWord>
    /// The core's own words: a buffer for routine and one for immediate
    /// messages (an immediate one runs while a routine one waits in its
    /// buffer), a routine message taken while checking before sleep
    /// (`held`), and how many times the core slept.
    @usableFromInline let local: UnsafeMutableRawPointer
    @usableFromInline let eventFD: Int32

    public static let sleeping: UInt32 = 1, immediatePending: UInt32 = 2, stopping: UInt32 = 4
    public static let senderUnit: UInt32 = 1 << 8

    // Offsets in `local`: the scratch message, the held message, flags and counts.
    @usableFromInline static let scratch = 0, heldMessage = 64, hasHeld = 128, sleeps = 136, immediateScratch = 192

    /// A core with empty queues, woken by `wake` when it sleeps.
    public init(wake: CoreWakeMechanism = .futex, pageBytes: Int = SharedMemory.pageBytes) throws(QueueError) {
        let layout = try UCQLayout(messageBytes: KernelMessage.bytes, pageBytes: pageBytes)
        var fd: Int32 = -1
        if wake == .eventfd {
            fd = kb_eventfd_open()
            guard fd >= 0 else { throw .noMemory(bytes: 0, errno: -fd) }
        }
        let first: UnboundedConcurrentQueue, second: UnboundedConcurrentQueue
        do throws(QueueError) {
            first = try UnboundedConcurrentQueue(layout: layout)
            do throws(QueueError) { second = try UnboundedConcurrentQueue(layout: layout) } catch {
                first.destroy()
                throw error
            }
        } catch {
            if fd >= 0 { close(fd) }
            throw error
        }
        immediate = first
        routine = second
        self.wake = wake
        eventFD = fd
        state = CacheLineBox(FutexWord()).pointer
        local = CacheLine.allocate(lines: 2 * CacheLine.separation / CacheLine.size)
    }

    @inlinable var word: UnsafeMutablePointer<Atomic<UInt32>> {
        UnsafeMutableRawPointer(state).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
    @inlinable var scratch: UnsafeMutablePointer<KernelMessage> {
        (local + Self.scratch).assumingMemoryBound(to: KernelMessage.self)
    }
    @inlinable var immediateScratch: UnsafeMutablePointer<KernelMessage> {
        (local + Self.immediateScratch).assumingMemoryBound(to: KernelMessage.self)
    }
    @inlinable var held: UnsafeMutablePointer<KernelMessage> {
        (local + Self.heldMessage).assumingMemoryBound(to: KernelMessage.self)
    }
    @inlinable var hasHeld: UnsafeMutablePointer<Bool> { (local + Self.hasHeld).assumingMemoryBound(to: Bool.self) }

    // MARK: - Sending (any thread)

    /// Queues `message` on the core's `kind` list and wakes the core if it
    /// sleeps. `.coreStopping` once `requestStop` was called: never lost silently.
    @inlinable
    public func send(_ kind: KernelMessageKind, _ message: KernelMessage) -> KernelMessageSendResult {
        let word = self.word
        // Relaxed: the compare-and-swap validates it.
        var old = word.pointee.load(ordering: .relaxed)
        while true {
            if old & Self.stopping != 0 { return .coreStopping }
            // Relaxed: entering only has to be ordered against `stopping` on
            // this one word; our leave below publishes the message.
            let (done, seen) = word.pointee.compareExchange(expected: old, desired: old &+ Self.senderUnit,
                                                            ordering: .relaxed)
            if done { break }
            old = seen
        }
        var copy = message
        let queued = withUnsafeBytes(of: &copy) { bytes in
            (kind == .immediate ? immediate : routine).produce(bytes.baseAddress!)
        }
        old = word.pointee.load(ordering: .relaxed)
        while true {
            var new = old &- Self.senderUnit
            if queued {
                new &= ~Self.sleeping
                if kind == .immediate { new |= Self.immediatePending }
            }
            // Sequentially consistent: releases the message to the core that
            // reads this word, and is ordered against the core's "sleeping"
            // announcement (see the type's comment).
            let (done, seen) = word.pointee.compareExchange(expected: old, desired: new,
                                                            ordering: .sequentiallyConsistent)
            if done { break }
            old = seen
        }
        if queued && old & Self.sleeping != 0 { wakeCore() }
        return queued ? .queued : .noMemory
    }

    /// Stops accepting messages and wakes the core, which handles what was
    /// accepted before and then reports `.stopped`. Any thread, any number of times.
    public func requestStop() {
        // Sequentially consistent: as a sender's leave, against the core's sleep.
        let old = word.pointee.bitwiseOr(Self.stopping, ordering: .sequentiallyConsistent).oldValue
        if old & Self.sleeping != 0 {
            // Clear `sleeping` only if it is still ours to clear: the one who
            // clears it owes the core its wake-up (and eventfd token).
            let before = word.pointee.bitwiseAnd(~Self.sleeping, ordering: .sequentiallyConsistent).oldValue
            if before & Self.sleeping != 0 { wakeCore() }
        }
    }

    @inline(never) @usableFromInline
    func wakeCore() {
        switch wake {
        case .futex: state.pointee.wake(1)
        case .eventfd: _ = kb_eventfd_signal(eventFD)
        }
    }

    // MARK: - Receiving (the core's thread only)

    /// A safe point in the core's work: runs every pending immediate message.
    /// One relaxed load of the state word when there is none.
    @inlinable
    public func safePoint<H: KernelMessageHandler>(_ handler: inout H) {
        handleImmediates(&handler)
    }

    /// Runs every queued immediate message.
    @inlinable
    func handleImmediates<H: KernelMessageHandler>(_ handler: inout H) {
        // Relaxed: the flag only routes us; the read-modify-write below orders.
        if word.pointee.load(ordering: .relaxed) & Self.immediatePending == 0 { return }
        // Acquiring: pairs with the sender's leave that set the flag. Cleared
        // before draining, so a message queued after the drain sets it again.
        word.pointee.bitwiseAnd(~Self.immediatePending, ordering: .acquiring)
        let buffer = immediateScratch
        while immediate.consume(into: buffer) { handler.handleImmediate(buffer.pointee) }
    }

    /// The core's idle point (`smp_idle`): immediate messages, then routine
    /// ones in order (pending immediates first before each). Then, if a
    /// routine handler did not return, `.contextStarted`; if the core is
    /// stopping, the last messages and `.stopped`; if `mayWait` is false (the
    /// core has work), `.resume`; otherwise the core sleeps until a message
    /// comes and starts over.
    @inlinable
    public func idlePoint<H: KernelMessageHandler>(_ handler: inout H, mayWait: Bool) -> IdleOutcome {
        while true {
            handleImmediates(&handler)
            while takeRoutine() {
                handleImmediates(&handler)
                if handler.handleRoutine(scratch.pointee) == .doesNotReturn { return .contextStarted }
            }
            // Acquiring: a stop request's flag, and what was queued before it.
            if word.pointee.load(ordering: .acquiring) & Self.stopping != 0 {
                finishStopping(&handler)
                return .stopped
            }
            if !mayWait { return .resume }
            sleep()
        }
    }

    /// The next routine message into `scratch` (one held back from the check before sleep first).
    @inlinable
    func takeRoutine() -> Bool {
        if hasHeld.pointee {
            hasHeld.pointee = false
            scratch.pointee = held.pointee
            return true
        }
        return routine.consume(into: scratch)
    }

    /// Announces `sleeping`, looks once more, and sleeps unless something
    /// came. Returns when the core should look at its queues again.
    @inline(never) @usableFromInline
    func sleep() {
        // Sequentially consistent: ordered against every sender's leave.
        let old = word.pointee.bitwiseOr(Self.sleeping, ordering: .sequentiallyConsistent).oldValue
        if old & (Self.immediatePending | Self.stopping) != 0 || routine.consume(into: held) {
            if old & (Self.immediatePending | Self.stopping) == 0 { hasHeld.pointee = true }
            clearSleeping()
            return
        }
        SharedMemory.word(local, Self.sleeps).pointee.wrappingAdd(1, ordering: .relaxed)
        switch wake {
        case .futex:
            // The kernel sleeps only while the word still says `sleeping`
            // with no change since we looked; any change returns at once.
            state.pointee.wait(whileEqualTo: old | Self.sleeping)
            clearSleeping()
        case .eventfd:
            // Only whoever clears `sleeping` writes a token, so this read
            // returns after exactly that token (EINTR: look again).
            if kb_eventfd_wait(eventFD) < 0 { clearSleeping() }
        }
    }

    /// Clears `sleeping` (the core set it in this episode). If a sender or
    /// `requestStop` cleared it first, that one owes an eventfd token: take
    /// it here, so it cannot cut the next sleep short.
    @usableFromInline
    func clearSleeping() {
        // Acquiring: what the one who cleared it queued is visible.
        let before = word.pointee.bitwiseAnd(~Self.sleeping, ordering: .acquiring).oldValue
        if wake == .eventfd && before & Self.sleeping == 0 { _ = kb_eventfd_wait(eventFD) }
    }

    /// Waits for the senders still in flight, then handles everything they
    /// queued. Inlinable (though cold) so it specializes with the handler.
    @inlinable
    func finishStopping<H: KernelMessageHandler>(_ handler: inout H) {
        var wait = SpinWait()
        // Acquiring: every sender that left published its message.
        while word.pointee.load(ordering: .acquiring) >> 8 != 0 { wait.once() }
        handleImmediates(&handler)
        while takeRoutine() { _ = handler.handleRoutine(scratch.pointee) }
        handleImmediates(&handler)
    }

    // MARK: - State

    /// True once `requestStop` was called.
    public var isStopping: Bool { word.pointee.load(ordering: .acquiring) & Self.stopping != 0 }
    /// True while the core is at its idle point announcing or in sleep (a snapshot).
    public var isSleeping: Bool { word.pointee.load(ordering: .acquiring) & Self.sleeping != 0 }
    /// Times the core went to sleep.
    public var sleeps: Int { Int(SharedMemory.word(local, Self.sleeps).pointee.load(ordering: .relaxed)) }

    /// Frees the queues, the words and the descriptor. No thread may use the core afterwards.
    public func destroy() {
        immediate.destroy()
        routine.destroy()
        CacheLineBox(boxAt: state).deallocate()
        CacheLine.free(local)
        if eventFD >= 0 { close(eventFD) }
    }
}
