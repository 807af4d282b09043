// Vcore context: where a uthread drops when it yields, blocks or exits, and
// where the 2LS decides what runs next.

import CUthread
import Platform
import CPlatform
import Glibc

/// One vcore: a pinned kernel thread whose own stack and TLS are its vcore
/// context. `run` is the vcore's loop, the thesis' `vcore_entry`: handle
/// events if `notif_pending`, ask the 2LS for a uthread, pop it; the uthread
/// comes back here when it yields, blocks or exits.
///
/// Notifications follow the dispatcher model of the slides (the "disabled"
/// bit of scheduler activations): vcore context runs with notifications
/// disabled; popping a uthread enables them and then checks `notif_pending`,
/// and if an event arrived in between it stays in vcore context and handles
/// it first (Saltzer's wakeup-waiting switch). Nothing here interrupts a
/// running uthread (there is no kernel upcall on Linux): an event posted
/// while a uthread runs waits for its next switch, and is handled before
/// the next uthread is popped, on the switch-to path too.
///
/// Make it on its own thread (`TwoLevelScheduler.makeVcore`), run it there,
/// and drop it after `run` returned.
public final class VcoreContext: @unchecked Sendable {
    /// Why `run` returned.
    public enum Outcome: Equatable, Sendable {
        /// Every uthread exited.
        case finished
        /// The run queue is empty and the `live` uthreads left are all
        /// blocked (parked, waiting, handed off), with no other vcore to
        /// wake them (one vcore only): done for now, or a deadlock.
        case allBlocked(live: Int)
        /// `requestStop` was called.
        case stopped
    }

    public let id: Int
    public let scheduler: TwoLevelScheduler
    let state: UnsafeMutablePointer<VcoreState>
    private let events: CacheLineBox<kb_vcore_events>
    /// The TLS template, or why there is none.
    private var template: Result<UnsafeMutablePointer<kb_tls_template>, UthreadConfigurationError>?
    /// The thread that made it (and must run it).
    public let threadID: Int32
    /// The kernel threads its uthreads' blocking calls run on, where they
    /// report, and how many are in flight (only vcore context counts).
    let workers: BlockingCallWorkers
    /// `workers.completions`, unretained: read on the vcore loop's path
    /// without reference counting (`workers` keeps it).
    private let completions: Unmanaged<BlockingCallCompletions>
    var blockingCallsInFlight = 0

    init(id: Int, scheduler: TwoLevelScheduler, tls: Bool) throws {
        self.id = id
        self.scheduler = scheduler
        threadID = kb_gettid()
        events = CacheLineBox(kb_vcore_events(notif_pending: 0, notif_disabled: 1, stop: 0, posted: 0))
        state = CacheLine.allocate(lines: CacheLine.roundUp(MemoryLayout<VcoreState>.stride) / CacheLine.size)
            .bindMemory(to: VcoreState.self, capacity: 1)
        state.initialize(to: VcoreState(id: id, scheduler: scheduler.state, events: events.pointer,
                                        threadPointer: kb_thread_pointer(), fsMechanism: scheduler.fsMechanism))
        workers = BlockingCallWorkers(events: events.pointer)
        completions = Unmanaged.passUnretained(workers.completions)
        state.pointee.blockingCallWorkers = Unmanaged.passUnretained(workers).toOpaque()
        if tls { template = Self.buildTemplate() }
    }

    deinit {
        workers.stop()
        if case .success(let t)? = template {
            kb_tls_template_free(t)
            t.deallocate()
        }
        state.deinitialize(count: 1)
        CacheLine.free(UnsafeMutableRawPointer(state))
        events.deallocate()
    }

    /// The template TLS uthreads on this vcore copy (made on this thread).
    func tlsTemplate() throws(UthreadConfigurationError) -> UnsafeMutablePointer<kb_tls_template> {
        guard let template else { throw .tlsUnavailable("vcore \(id) was made without tls: true") }
        return try template.get()
    }

    /// Modules of the TLS template given their initial image and copied from
    /// the vcore (libc), for meta.json; nil without a template.
    public var tlsModules: (fresh: Int, copied: Int, bytes: Int)? {
        guard case .success(let t)? = template else { return nil }
        return (Int(t.pointee.fresh_modules), Int(t.pointee.copied_modules), t.pointee.below + t.pointee.above)
    }

    private static func buildTemplate() -> Result<UnsafeMutablePointer<kb_tls_template>, UthreadConfigurationError> {
        // Give this thread its malloc tcache before the template copies libc's
        // TLS, so TLS uthreads share the vcore's instead of each making one.
        free(malloc(16))
        let t = UnsafeMutablePointer<kb_tls_template>.allocate(capacity: 1)
        let rc = kb_tls_template_build(t)
        guard rc == 0 else {
            t.deallocate()
            let why = switch -rc {
            case ENOTSUP: "the vcore must be a thread made by pthread_create, not the main thread"
            case ENOMEM: "out of memory"
            default: "this thread's TLS is not laid out as glibc on x86-64 lays it out"
            }
            return .failure(.tlsUnavailable(why))
        }
        return .success(t)
    }

    /// Posts one event to this vcore, from any thread (or from a uthread on
    /// it): into the mailbox, then `notif_pending`. Vcore context handles it
    /// before it next pops a uthread.
    public func postEvent() {
        let events = state.pointee.events
        kb_vcore_posted_add_release(events, 1)
        kb_vcore_notif_pending_store_release(events, 1)
    }

    /// Events handled so far (read it on the vcore, or after `run` returned).
    public var eventsHandled: UInt64 { state.pointee.eventsHandled }
    /// Uthreads popped so far (by the 2LS, by switch-to, and on recovery).
    public var pops: UInt64 { state.pointee.pops }
    /// Switch-tos whose target waited in vcore context for an event that
    /// came during the switch (read it on the vcore, or after `run` returned).
    var lateHandOffs: UInt64 { state.pointee.lateHandOffs }
    /// Whether notifications are disabled now (observers: tests).
    public var notificationsDisabled: Bool { kb_vcore_notif_disabled_load_relaxed(state.pointee.events) != 0 }

    /// Asks `run` to return after the uthread now running switches out.
    public func requestStop() { kb_vcore_stop_store_relaxed(state.pointee.events, 1) }

    /// The vcore's loop; call it on the thread that made this vcore.
    public func run() -> Outcome {
        precondition(kb_gettid() == threadID, "VcoreContext.run on another thread than the one that made it")
        let vcore = state
        let scheduler = vcore.pointee.scheduler
        let events = vcore.pointee.events
        let checks = scheduler.pointee.variant.checksInvariants
        var next: UnsafeMutablePointer<UthreadRecord>?
        while true {
            // vcore_entry: events first.
            if kb_vcore_notif_pending_load_relaxed(events) != 0 { handleEvents() }
            if next == nil { next = scheduler.pick() }
            guard let uthread = next else {
                if let outcome = idle() { return outcome }
                continue
            }
            // Leaving vcore context: enable notifications, then the
            // wakeup-waiting check; an event that came stays our business.
            kb_vcore_notif_disabled_store_relaxed(events, 0)
            if kb_vcore_notif_pending_load_acquire(events) != 0 {
                kb_vcore_notif_disabled_store_relaxed(events, 1)
                continue
            }
            if checks {
                precondition(uthread.pointee.state != .running && uthread.pointee.state != .exited,
                             "popped a uthread that is running or exited")
            }
            uthread.pointee.state = .running
            uthread.pointee.vcore = vcore
            vcore.pointee.current = uthread
            vcore.pointee.pops &+= 1
            switchContext(save: vcoreContextPointer(vcore), load: contextPointer(uthread),
                          loadFS: uthread.pointee.hasTLS, mechanism: vcore.pointee.fsMechanism)
            // Back in vcore context; `current` is whoever dropped in (after
            // switch-tos, not necessarily the uthread popped above).
            next = nil
            let from = vcore.pointee.current.unsafelyUnwrapped
            switch vcore.pointee.action {
            case .requeue:
                scheduler.threadPaused(from)
            case .block:
                scheduler.threadBlocked(from)
                switch vcore.pointee.blockKind {
                case .park: break
                case .mutex: finishMutexBlock(vcore.pointee.blockArgument, from)
                case .condition: finishConditionWait(vcore.pointee.blockArgument, from)
                case .blockingCall: finishBlockingCall(vcore.pointee.blockArgument, self)
                }
            case .handOff:
                scheduler.threadBlocked(from)
                next = vcore.pointee.handOffTarget
                if next == from { vcore.pointee.lateHandOffs &+= 1 }
            case .exit:
                scheduler.threadExited(from)
            case .none:
                preconditionFailure("a uthread entered vcore context with no action")
            }
            vcore.pointee.action = .none
            vcore.pointee.current = nil
            if next == nil && kb_vcore_stop_load_relaxed(events) != 0 { return .stopped }
        }
    }

    /// Drains the mailbox: clears `notif_pending` first, so an event posted
    /// after the drain sets it again and is caught by the next check.
    private func handleEvents() {
        let events = state.pointee.events
        _ = kb_vcore_notif_pending_exchange_acquire(events, 0)
        let count = kb_vcore_posted_exchange_acquire(events, 0)
        state.pointee.eventsHandled &+= count
        if blockingCallsInFlight > 0 {
            let scheduler = state.pointee.scheduler
            completions._withUnsafeGuaranteedRef { $0.takeAll { record in
                blockingCallsInFlight -= 1
                scheduler.threadRunnable(record)
            } }
        }
    }

    /// Nothing to run: finished, all blocked (one vcore), stopped, or wait.
    private func idle() -> Outcome? {
        let scheduler = state.pointee.scheduler
        let live = scheduler.liveCount()
        if live == 0 { return .finished }
        if blockingCallsInFlight > 0 {
            // A call will finish: sleep until its completion event (or a
            // stop request) rather than report everyone blocked.
            let events = state.pointee.events
            if kb_vcore_stop_load_relaxed(events) != 0 { return .stopped }
            _ = kb_futex_wait(&events.pointee.notif_pending, 0, 100_000_000)
            return nil
        }
        if scheduler.pointee.vcoreCount == 1 { return .allBlocked(live: live) }
        if kb_vcore_stop_load_relaxed(state.pointee.events) != 0 { return .stopped }
        kb_pause()
        return nil
    }
}
