// The two-level scheduler (2LS): a global run queue the vcores pop uthreads
// from, in the variants the thesis' Table 4.2 compares.

import CUthread
import Platform
import Glibc

/// A 2LS with one global FIFO run queue and an "active threads" list (the
/// uthreads popped and not yet paused or exited), as Akaros' pthread 2LS of
/// 2014 kept them; the vcores that run it are `VcoreContext`s, one per
/// pinned kernel thread, made on their own threads by `makeVcore`.
///
/// The variants are that scheduler stripped step by step (Table 4.2):
/// `locked` takes the scheduler's spinlock for every list operation (three
/// times per yield: take it off the active list, put it on the run queue,
/// pop the next and list it active); `noSchedulerLocking` drops the locks
/// (so it runs on one vcore only); `noLockingNoAsserts` also drops the
/// invariant checks on every transition. Switch-to (`Uthread.switchTo`)
/// bypasses the 2LS decision in any of them.
///
/// Lifetimes: uthreads' stacks are mapped at `spawn` and unmapped by `reap`
/// (those that exited) or `deinit` (all); drop the scheduler only after
/// every vcore's `run` returned.
public final class TwoLevelScheduler: @unchecked Sendable {
    /// The Table 4.2 columns that are a different 2LS.
    public enum Variant: String, Sendable, CaseIterable {
        case locked
        case noSchedulerLocking = "no-sched-locking"
        case noLockingNoAsserts = "no-locking-no-asserts"

        /// Whether list operations take the scheduler's lock.
        public var locksScheduler: Bool { self == .locked }
        /// Whether every transition checks its invariants (`precondition`).
        public var checksInvariants: Bool { self != .noLockingNoAsserts }
    }

    /// Whether a new uthread goes on the run queue or waits, blocked, for a
    /// `wake` or a switch-to.
    public enum Start: Sendable { case runnable, suspended }

    public let variant: Variant
    public let configuration: UthreadConfiguration
    /// How TLS uthreads load FS (the configured one, or the machine's best).
    public let fsMechanism: FSBaseMechanism
    let state: UnsafeMutablePointer<SchedulerState>
    private let lock: SpinLock

    public init(variant: Variant, configuration: UthreadConfiguration = UthreadConfiguration())
        throws(UthreadConfigurationError) {
        try configuration.validate(for: variant)
        self.variant = variant
        self.configuration = configuration
        fsMechanism = configuration.fsBase ?? FSBaseMechanism.detected.best
        lock = SpinLock()
        state = CacheLine.allocate(lines: CacheLine.roundUp(MemoryLayout<SchedulerState>.stride) / CacheLine.size)
            .bindMemory(to: SchedulerState.self, capacity: 1)
        state.initialize(to: SchedulerState(variant: variant, lock: lock, vcoreCount: configuration.vcores))
    }

    deinit {
        var record = state.pointee.allHead
        while let current = record {
            record = current.pointee.allNext
            Self.destroy(current)
        }
        state.deinitialize(count: 1)
        CacheLine.free(UnsafeMutableRawPointer(state))
        lock.deallocate()
    }

    /// Makes vcore `id`'s context. Call it on the vcore's own (pinned) kernel
    /// thread, which then calls `run`: the vcore context is that thread's
    /// stack and TLS. With `tls`, it also copies the template TLS uthreads
    /// spawned on it get their blocks from.
    public func makeVcore(id: Int, tls: Bool = false) throws -> VcoreContext {
        guard (0..<configuration.vcores).contains(id) else {
            throw UthreadConfigurationError.wrongVcore(id, count: configuration.vcores)
        }
        return try VcoreContext(id: id, scheduler: self, tls: tls)
    }

    /// Spawns a uthread running `body`: a stack of `configuration.stackBytes`
    /// over a guard page, and with `tls` a TLS block copied from `vcore`'s
    /// template (the uthread then runs on that vcore only). `.runnable` puts
    /// it on the run queue; `.suspended` leaves it blocked for a `wake` or a
    /// switch-to. Safe from any thread, and from a uthread.
    @discardableResult
    public func spawn(tls: Bool = false, on vcore: VcoreContext? = nil, start: Start = .runnable,
                      _ body: @escaping (Uthread) -> Void) throws -> Uthread {
        var template: UnsafeMutablePointer<kb_tls_template>?
        if tls {
            guard configuration.vcores == 1 else { throw UthreadConfigurationError.tlsNeedsOneVcore(vcores: configuration.vcores) }
            guard let vcore else { throw UthreadConfigurationError.tlsUnavailable("a TLS uthread needs the vcore whose TLS it copies") }
            template = try vcore.tlsTemplate()
        }
        // The control block sits at the top of the uthread's own stack, on
        // the page its innermost frames are on: a switch touches one page,
        // not two (it shows at 1000 uthreads, where the TLB no longer holds
        // them all).
        // One page more than the usable stack holds it, `StackColor.offset`
        // below the top, so no two consecutive uthreads share cache sets.
        var stack = kb_ustack()
        let tlsBytes = template.map { $0.pointee.below + $0.pointee.above } ?? 0
        let mappedBytes = configuration.roundedStackBytes + UthreadConfiguration.pageBytes
        let rc = kb_ustack_map(&stack, mappedBytes, tlsBytes, template?.pointee.align ?? 16)
        guard rc == 0 else {
            throw SystemCallError("mmap (uthread stack of \(mappedBytes) bytes)", errno: -rc)
        }
        let color = withLock {
            defer { state.pointee.spawnedCount += 1 }
            return StackColor.offset(index: state.pointee.spawnedCount)
        }
        let recordAddress = (UInt(bitPattern: stack.stack_top) - UInt(color)
                             - UInt(MemoryLayout<UthreadRecord>.stride)) & ~UInt(63)
        let record = UnsafeMutablePointer<UthreadRecord>(bitPattern: recordAddress).unsafelyUnwrapped
        record.initialize(to: UthreadRecord(id: 0, scheduler: state))
        stack.stack_top = UnsafeMutableRawPointer(record)
        record.pointee.stack = stack
        if let template {
            let threadPointer = kb_tls_block_init(template, record.pointee.stack.tls_block)
            guard threadPointer != 0 else {
                record.deinitialize(count: 1)
                _ = kb_ustack_unmap(&stack)
                throw SystemCallError("malloc (uthread dtv)", errno: ENOMEM)
            }
            record.pointee.context.fs_base = threadPointer
            record.pointee.hasTLS = true
        }
        kb_uctx_make(contextPointer(record), record.pointee.stack.stack_top, uthreadEntry, UnsafeMutableRawPointer(record))
        record.pointee.body = Unmanaged.passRetained(UthreadBody(body)).toOpaque()
        record.pointee.state = start == .runnable ? .runnable : .blocked
        withLock {
            record.pointee.id = state.pointee.nextID
            state.pointee.nextID += 1
            record.pointee.allNext = state.pointee.allHead
            state.pointee.allHead = record
            state.pointee.live += 1
            if start == .runnable { state.enqueue(record) }
        }
        return Uthread(record: record)
    }

    /// Makes a blocked uthread runnable (2LS `thread_runnable`): on the tail
    /// of the run queue. From a uthread, or from outside while no vcore runs.
    public func wake(_ uthread: Uthread) {
        state.threadRunnable(uthread.record)
    }

    /// Uthreads spawned and not exited.
    public var live: Int { withLock { state.pointee.live } }

    /// Uthreads on the run queue now.
    public var runnable: Int { withLock { state.pointee.runCount } }

    /// Unmaps the stacks of exited uthreads. Call it when no vcore runs (for
    /// example between benchmark batches): a vcore may still be on the stack
    /// of the uthread that just exited.
    public func reap() {
        var link: UnsafeMutablePointer<UnsafeMutablePointer<UthreadRecord>?> = withUnsafeMutablePointer(to: &state.pointee.allHead) { $0 }
        while let record = link.pointee {
            if record.pointee.state == .exited {
                link.pointee = record.pointee.allNext
                Self.destroy(record)
            } else {
                link = withUnsafeMutablePointer(to: &record.pointee.allNext) { $0 }
            }
        }
    }

    private static func destroy(_ record: UnsafeMutablePointer<UthreadRecord>) {
        if let body = record.pointee.body { Unmanaged<UthreadBody>.fromOpaque(body).release() }
        if record.pointee.hasTLS { kb_tls_block_release(record.pointee.context.fs_base) }
        // The record is in the mapping it describes: copy, then unmap.
        var stack = record.pointee.stack
        record.deinitialize(count: 1)
        _ = kb_ustack_unmap(&stack)
    }

    private func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// The 2LS' shared state, in raw memory: the lists and counts every vcore
/// reads, behind `lock` in the locked variant.
struct SchedulerState {
    let variant: TwoLevelScheduler.Variant
    let lock: SpinLock
    let vcoreCount: Int
    var runQueue = UthreadQueue()
    var runCount = 0
    var activeHead: UnsafeMutablePointer<UthreadRecord>?
    var activeCount = 0
    /// Spawned and not exited.
    var live = 0
    var allHead: UnsafeMutablePointer<UthreadRecord>?
    var nextID = 0
    /// Uthreads ever spawned, failed spawns included: picks the stack color.
    var spawnedCount = 0

    init(variant: TwoLevelScheduler.Variant, lock: SpinLock, vcoreCount: Int) {
        self.variant = variant
        self.lock = lock
        self.vcoreCount = vcoreCount
    }
}

// The 2LS operations, run in vcore context (and `threadRunnable` by wakers).
extension UnsafeMutablePointer where Pointee == SchedulerState {
    /// `sched_entry`'s decision: the head of the run queue, listed active.
    func pick() -> UnsafeMutablePointer<UthreadRecord>? {
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        let next = dequeue()
        if let next { activeInsert(next) }
        if locked { pointee.lock.unlock() }
        if let next, pointee.variant.checksInvariants {
            precondition(next.pointee.state == .runnable, "run queue held a uthread that is not runnable")
        }
        return next
    }

    /// `thread_paused`: off the active list, onto the run queue's tail.
    func threadPaused(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        if pointee.variant.checksInvariants {
            precondition(uthread.pointee.state == .running, "a uthread paused that was not running")
        }
        uthread.pointee.state = .runnable
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        activeRemove(uthread)
        if locked { pointee.lock.unlock() }
        if locked { pointee.lock.lock() }
        enqueue(uthread)
        if locked { pointee.lock.unlock() }
    }

    /// `thread_blocked`: off the active list; a wait queue holds it now.
    func threadBlocked(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        uthread.pointee.state = .blocked
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        activeRemove(uthread)
        if locked { pointee.lock.unlock() }
    }

    /// `thread_runnable`: a blocked uthread back on the run queue.
    func threadRunnable(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        precondition(uthread.pointee.state == .blocked, "woke a uthread that was not blocked")
        uthread.pointee.state = .runnable
        // Still listed if it blocked by switching to another uthread, which
        // bypasses the 2LS.
        activeRemove(uthread)
        enqueue(uthread)
        if locked { pointee.lock.unlock() }
    }

    /// `thread_exited`: off every list; `live` drops.
    func threadExited(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        uthread.pointee.state = .exited
        activeRemove(uthread)
        pointee.live -= 1
        if locked { pointee.lock.unlock() }
    }

    /// Spawned and not exited (under the lock when there is one).
    func liveCount() -> Int {
        let locked = pointee.variant.locksScheduler
        if locked { pointee.lock.lock() }
        let live = pointee.live
        if locked { pointee.lock.unlock() }
        return live
    }

    func enqueue(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        if pointee.variant.checksInvariants { precondition(!pointee.runQueue.holds(uthread), "uthread queued twice") }
        pointee.runQueue.append(uthread)
        pointee.runCount += 1
    }

    func dequeue() -> UnsafeMutablePointer<UthreadRecord>? {
        guard let head = pointee.runQueue.popFirst() else { return nil }
        pointee.runCount -= 1
        return head
    }

    func activeInsert(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        if pointee.variant.checksInvariants { precondition(!uthread.pointee.onActiveList, "uthread listed active twice") }
        uthread.pointee.activePrev = nil
        uthread.pointee.activeNext = pointee.activeHead
        pointee.activeHead?.pointee.activePrev = uthread
        pointee.activeHead = uthread
        uthread.pointee.onActiveList = true
        pointee.activeCount += 1
    }

    /// Unlists it if listed (a uthread started by switch-to never was).
    func activeRemove(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        guard uthread.pointee.onActiveList else { return }
        if let prev = uthread.pointee.activePrev { prev.pointee.activeNext = uthread.pointee.activeNext }
        else { pointee.activeHead = uthread.pointee.activeNext }
        uthread.pointee.activeNext?.pointee.activePrev = uthread.pointee.activePrev
        uthread.pointee.activeNext = nil
        uthread.pointee.activePrev = nil
        uthread.pointee.onActiveList = false
        pointee.activeCount -= 1
    }
}
