// Kernel-blocking calls from a uthread, Akaros-style: the call runs on a
// kernel thread of its own while the vcore runs other uthreads, and the
// uthread becomes runnable when it returns.

import CPlatform
import CUthread
import Glibc
import Platform
import Synchronization

/// What a blocking call returned: the call's value and, when it reports
/// failure, the errno the worker thread saw right after it.
public struct BlockingCallResult: Equatable, Sendable {
    public let value: Int
    public let errno: Int32
}

/// One blocking call in flight, on the stack of the uthread that made it
/// (which stays blocked, its frame intact, until the call completed).
struct BlockingCall {
    /// The worker reserved for it (by the uthread, before it blocked).
    let slot: UnsafeMutablePointer<BlockingCallSlot>
    let body: () -> Int
    let uthread: UnsafeMutablePointer<UthreadRecord>
    let completions: BlockingCallCompletions
    var value = 0
    var error: Int32 = 0
}

/// A worker's mailbox, in raw memory so vcore context hands it a call with
/// two stores and a futex wake (no reference counting, no allocation).
struct BlockingCallSlot {
    /// 0 idle, 1 a call is in `call`, 2 stop. Futex word.
    var mailbox: UInt32 = 0
    var call: UnsafeMutableRawPointer?
}

/// The calls a vcore's workers finished and its vcore context has not yet
/// made runnable: an intrusive stack through the records' `runNext` (a
/// uthread in a blocking call is on no queue), pushed by workers,
/// emptied whole by vcore context when it handles events.
final class BlockingCallCompletions: @unchecked Sendable {
    private let head = Atomic<UInt>(0)
    /// The vcore's event words: a completion posts an event there, and
    /// wakes a vcore that sleeps on `notif_pending` with nothing to run.
    let events: UnsafeMutablePointer<kb_vcore_events>

    init(events: UnsafeMutablePointer<kb_vcore_events>) { self.events = events }

    /// From a worker: publishes the finished uthread, posts the event.
    func push(_ record: UnsafeMutablePointer<UthreadRecord>) {
        var old = head.load(ordering: .relaxed)
        while true {
            record.pointee.runNext = UnsafeMutablePointer(bitPattern: old)
            let (exchanged, current) = head.compareExchange(expected: old, desired: UInt(bitPattern: record),
                                                            successOrdering: .releasing, failureOrdering: .relaxed)
            if exchanged { break }
            old = current
        }
        kb_vcore_posted_add_release(events, 1)
        kb_vcore_notif_pending_store_release(events, 1)
        _ = kb_futex_wake(&events.pointee.notif_pending, 1)
    }

    /// From vcore context: every finished uthread, oldest first.
    func takeAll(_ each: (UnsafeMutablePointer<UthreadRecord>) -> Void) {
        var stack = UnsafeMutablePointer<UthreadRecord>(bitPattern: head.exchange(0, ordering: .acquiring))
        var ordered: UnsafeMutablePointer<UthreadRecord>?
        while let record = stack {
            stack = record.pointee.runNext
            record.pointee.runNext = ordered
            ordered = record
        }
        while let record = ordered {
            ordered = record.pointee.runNext
            record.pointee.runNext = nil
            each(record)
        }
    }
}

/// The kernel threads that run a vcore's blocking calls: one per call in
/// flight, kept for reuse once idle, at most `limit`. One thread per call
/// means a call never waits behind another (a read that only a later call
/// can satisfy would otherwise deadlock).
final class BlockingCallWorkers: @unchecked Sendable {
    /// Threads at most; a call beyond them fails with EAGAIN.
    static let limit = 64

    private final class Worker: @unchecked Sendable {
        let slot: UnsafeMutablePointer<BlockingCallSlot>
        var thread: PinnedThread?
        init() {
            slot = .allocate(capacity: 1)
            slot.initialize(to: BlockingCallSlot())
        }
        deinit { slot.deallocate() }
    }

    private struct Pool {
        var idle: [Worker] = []
        var all: [Worker] = []
        var stopping = false
    }
    private let pool = Mutex(Pool())
    /// Where the workers report to the vcore.
    let completions: BlockingCallCompletions

    init(events: UnsafeMutablePointer<kb_vcore_events>) {
        completions = BlockingCallCompletions(events: events)
    }

    /// Reserves an idle worker, or starts a new one, for a call the caller
    /// is about to make (on the uthread, before it blocks, so vcore context
    /// only hands the call over). Nil when `limit` threads are busy or a
    /// thread cannot be made.
    func reserve() -> UnsafeMutablePointer<BlockingCallSlot>? {
        let (worker, fresh) = pool.withLock { pool -> (Worker?, Bool) in
            if pool.stopping { return (nil, false) }
            if let worker = pool.idle.popLast() { return (worker, false) }
            if pool.all.count >= Self.limit { return (nil, false) }
            let worker = Worker()
            pool.all.append(worker)
            return (worker, true)
        }
        guard let worker else { return nil }
        if fresh {
            do {
                worker.thread = try PinnedThread.start(cpu: nil) { [pool = self] in pool.serve(worker) }
            } catch {
                pool.withLock { pool in pool.all.removeAll { $0 === worker } }
                return nil
            }
        }
        return worker.slot
    }

    /// A worker's loop: wait for a call, make it, complete it, idle again.
    private func serve(_ worker: Worker) {
        let slot = worker.slot
        while true {
            var word = kb_word_load_acquire(&slot.pointee.mailbox)
            while word == 0 {
                _ = kb_futex_wait(&slot.pointee.mailbox, 0, 1_000_000_000)
                word = kb_word_load_acquire(&slot.pointee.mailbox)
            }
            if word == 2 { return }
            let call = slot.pointee.call.unsafelyUnwrapped.assumingMemoryBound(to: BlockingCall.self)
            slot.pointee.call = nil
            Glibc.errno = 0
            let value = call.pointee.body()
            let error = Glibc.errno
            call.pointee.value = value
            call.pointee.error = error
            let record = call.pointee.uthread
            let completions = call.pointee.completions
            kb_word_store_release(&slot.pointee.mailbox, 0)
            pool.withLock { $0.idle.append(worker) }
            // The uthread may run (and its frame, holding `call`, go) from here on.
            completions.push(record)
        }
    }

    /// Stops the idle workers and joins them; a worker still inside a call
    /// (a read nobody will satisfy) is left to finish on its own, never
    /// joined, so this cannot hang. Call when no uthread will make calls.
    func stop() {
        let idle = pool.withLock { pool -> [Worker] in
            pool.stopping = true
            let idle = pool.idle
            pool.idle.removeAll()
            return idle
        }
        for worker in idle {
            kb_word_store_release(&worker.slot.pointee.mailbox, 2)
            _ = kb_futex_wake(&worker.slot.pointee.mailbox, 1)
            worker.thread?.join()
        }
    }
}

extension Uthread {
    /// Makes a kernel-blocking call (`read` on a pipe, `accept`, `sleep`...)
    /// without blocking the vcore: the uthread blocks in its 2LS, a kernel
    /// thread of the vcore's makes the call, and when it returns the
    /// uthread becomes runnable (vcore context puts it on the run queue when
    /// it handles the completion event), as Akaros' asynchronous system
    /// calls do. Meanwhile the vcore runs other uthreads.
    ///
    /// `call` runs on that kernel thread, with its TLS (not a TLS uthread's
    /// own) and its errno, which is read right after the call and returned
    /// with the value; it must not touch the uthread's scheduler. When 64
    /// calls are in flight on this vcore already, fails at once with
    /// EAGAIN (without blocking). A one-vcore scheduler whose uthreads are all blocked waits
    /// for calls in flight instead of reporting `allBlocked`.
    public func blockingCall(_ call: () -> Int) -> BlockingCallResult {
        let vcore = record.pointee.vcore.unsafelyUnwrapped
        let workers = Unmanaged<BlockingCallWorkers>.fromOpaque(vcore.pointee.blockingCallWorkers.unsafelyUnwrapped)
            .takeUnretainedValue()
        guard let slot = workers.reserve() else { return BlockingCallResult(value: -1, errno: EAGAIN) }
        return withoutActuallyEscaping(call) { body in
            var request = BlockingCall(slot: slot, body: body, uthread: record, completions: workers.completions)
            withUnsafeMutablePointer(to: &request) { pointer in
                block(.blockingCall, argument: UnsafeMutableRawPointer(pointer))
            }
            return BlockingCallResult(value: request.value, errno: request.error)
        }
    }

    /// `read(2)` as a blocking call: bytes read (0 at end of file) or -1,
    /// with errno.
    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> BlockingCallResult {
        blockingCall { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }
}

/// Vcore context, after a uthread blocked in `blockingCall` (its context
/// saved, its state blocked): hands the call to the worker it reserved.
@inline(never)
func finishBlockingCall(_ argument: UnsafeMutableRawPointer?, _ context: VcoreContext) {
    let call = argument.unsafelyUnwrapped
    let slot = call.assumingMemoryBound(to: BlockingCall.self).pointee.slot
    slot.pointee.call = call
    kb_word_store_release(&slot.pointee.mailbox, 1)
    _ = kb_futex_wake(&slot.pointee.mailbox, 1)
    context.blockingCallsInFlight += 1
}
