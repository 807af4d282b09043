// The message-based way of ctxbench remote-op: requests to the owner CPU
// through a mailbox, after Völp's design (L4-SMP, "Briefkästen"): the flags of
// up to 31 mailboxes packed in one word of one cache line, so the owner checks
// them all with one load; the parameters in the mailbox, on lines of their own.

import CPlatform
import CReference
import Glibc
import Platform
import Synchronization

/// How the owner learns of a request, and the requester of its completion.
public enum RemoteWake: String, CaseIterable, Sendable {
    /// Both sides poll: the owner the flags line, the requester its ack.
    case polled
    /// Both sides sleep on a futex (the flags word, the ack word).
    case futex
    /// Both sides sleep in read(2) of an eventfd, one per direction.
    case eventfd
    /// Völp's hybrid: the owner polls the flags for a while, then says so in
    /// the flags word and sleeps; a requester that sees it asleep wakes it
    /// (the futex wake standing in for the IPI). The requester polls its ack.
    case hybrid
}

/// One requester's mailbox and the owner's flags word, each on its own lines.
public struct RemoteMailbox: @unchecked Sendable {
    /// Bit 0: the requester's mailbox is full. Bit 31: the owner is asleep
    /// (hybrid) and must be woken.
    static let pending: UInt32 = 1, sleeping: UInt32 = 1 << 31
    /// Polls of the flags before the hybrid owner sleeps (a few microseconds).
    static let hybridPolls = 4096

    let flags = CacheLineBox(FutexWord())
    /// The request: key and value (written before the flag is set).
    let key = CacheLineBox(Atomic<UInt32>(0))
    let value: CacheLineBox<Atomic<UInt64>>
    /// The number of the last request done (the completion).
    let ack = CacheLineBox(FutexWord())
    /// eventfds: request (owner reads), completion (requester reads).
    let requestFD: Int32, ackFD: Int32
    public let wake: RemoteWake
    /// Times the hybrid owner went to sleep (its fallbacks to a wake-up).
    let sleeps = CacheLineBox(Atomic<UInt64>(0))

    public init(wake: RemoteWake) throws {
        self.wake = wake
        value = CacheLineBox(Atomic<UInt64>(0))
        if wake == .eventfd {
            requestFD = kb_ipc_eventfd()
            ackFD = requestFD >= 0 ? kb_ipc_eventfd() : requestFD
            if ackFD < 0 {
                if requestFD >= 0 { close(requestFD) }
                throw SystemCallError("eventfd", errno: -ackFD)
            }
        } else {
            requestFD = -1
            ackFD = -1
        }
    }

    /// Request `number` (1, 2, ...): insert `key`/`value` into the owner's
    /// table; returns when the owner has done it, or false when `stop` was
    /// raised while waiting. `wake` is this mailbox's, passed as a constant
    /// by the caller so that the switches below fold away.
    @inline(__always)
    func request(_ number: UInt32, key: UInt32, value: UInt64, wake: RemoteWake, stop: UnsafeMutablePointer<Atomic<Bool>>) -> Bool {
        self.key.pointee.store(key, ordering: .relaxed)
        self.value.pointee.store(value, ordering: .relaxed)
        // Releasing: the parameters are visible to the owner that sees the flag.
        let before = flags.pointee.value.bitwiseOr(Self.pending, ordering: .releasing).oldValue
        switch wake {
        case .polled: break
        case .futex: flags.pointee.wake(1)
        case .eventfd: signal(requestFD)
        case .hybrid: if before & Self.sleeping != 0 { flags.pointee.wake(1) }
        }
        return waitForAck(number, wake: wake, stop: stop)
    }

    @inline(__always)
    func waitForAck(_ number: UInt32, wake: RemoteWake, stop: UnsafeMutablePointer<Atomic<Bool>>) -> Bool {
        while true {
            // Acquiring: pairs with the owner's releasing store of the ack,
            // so its insertion happened before we send the next request.
            let done = ack.pointee.value.load(ordering: .acquiring)
            if done == number { return true }
            if stop.pointee.load(ordering: .relaxed) { return false }
            switch wake {
            case .polled, .hybrid: kb_pause()
            case .futex: ack.pointee.wait(whileEqualTo: done, timeoutNs: 100_000_000)
            case .eventfd: _ = drain(ackFD)
            }
        }
    }

    /// The owner: serves requests into `table` until `stop` is raised.
    func serve(_ table: RemoteTable, stop: UnsafeMutablePointer<Atomic<Bool>>) {
        var number: UInt32 = 0
        while !stop.pointee.load(ordering: .relaxed) {
            guard waitForRequest(stop: stop) else { continue }
            // Acquiring (in waitForRequest's load): the parameters are visible.
            table.insert(key: key.pointee.load(ordering: .relaxed), value: value.pointee.load(ordering: .relaxed))
            // Relaxed: only the owner clears the bit, and the requester sets
            // it again only after the ack below.
            flags.pointee.value.bitwiseAnd(~Self.pending, ordering: .relaxed)
            number &+= 1
            // Releasing: the insertion is visible to the requester that sees the ack.
            ack.pointee.value.store(number, ordering: .releasing)
            switch wake {
            case .futex: ack.pointee.wake(1)
            case .eventfd: signal(ackFD)
            case .polled, .hybrid: break
            }
        }
    }

    /// Waits until the pending bit is set; false when stopped or woken for nothing.
    private func waitForRequest(stop: UnsafeMutablePointer<Atomic<Bool>>) -> Bool {
        var polls = 0
        while true {
            let word = flags.pointee.value.load(ordering: .acquiring)
            if word & Self.pending != 0 { return true }
            // A line nobody writes until the end: an L1 hit per poll.
            if stop.pointee.load(ordering: .relaxed) { return false }
            switch wake {
            case .polled: kb_pause()
            case .futex: flags.pointee.wait(whileEqualTo: word, timeoutNs: 100_000_000)
            case .eventfd: _ = drain(requestFD); if stop.pointee.load(ordering: .relaxed) { return false }
            case .hybrid:
                if polls < Self.hybridPolls { kb_pause(); break }
                // Say we sleep; a request that came meanwhile is in `before`.
                let before = flags.pointee.value.bitwiseOr(Self.sleeping, ordering: .acquiringAndReleasing).oldValue
                if before & Self.pending == 0 {
                    sleeps.pointee.wrappingAdd(1, ordering: .relaxed)
                    flags.pointee.wait(whileEqualTo: before | Self.sleeping, timeoutNs: 100_000_000)
                }
                flags.pointee.value.bitwiseAnd(~Self.sleeping, ordering: .acquiringAndReleasing)
                polls = 0
                continue
            }
            polls &+= 1
        }
    }

    /// Wakes a blocked owner and requester (after `stop` was raised).
    func poke() {
        flags.pointee.wakeAll()
        ack.pointee.wakeAll()
        if wake == .eventfd { signal(requestFD); signal(ackFD) }
    }

    /// Times the hybrid owner fell back to sleeping.
    public var hybridSleeps: UInt64 { sleeps.pointee.load(ordering: .relaxed) }

    func signal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    func drain(_ fd: Int32) -> UInt64 {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
        return count
    }

    public func deallocate() {
        if requestFD >= 0 { close(requestFD) }
        if ackFD >= 0 { close(ackFD) }
        flags.deallocate(); key.deallocate(); value.deallocate(); ack.deallocate(); sleeps.deallocate()
    }
}
