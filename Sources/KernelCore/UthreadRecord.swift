// The control block of one uthread and of one vcore, in raw memory: what the
// switch paths read and write with no reference counting.

import CUthread

/// Where a uthread is in its life. Transitions (checked by the 2LS variants
/// that keep their asserts): runnable -> running (popped) -> runnable
/// (yielded), blocked (waiting or handed off), or exited.
/// The raw values are CUthread's KB_UTHREAD_* (the switch-to assembly writes them).
enum UthreadState: UInt8 {
    case runnable = 0, running = 1, blocked = 2, exited = 3
}

/// One uthread: its saved context, its memory, and the intrusive links of the
/// queues it can be on (the run queue or a wait queue through `runNext`, the
/// 2LS' active list, the scheduler's list of all uthreads).
///
/// `core`, first, is what the switch paths read and write (queue link,
/// vcore, state, TLS flag, saved context): a C struct, so its layout is one
/// the assembly can name and lay out by cache line; the properties below
/// are views of it.
@usableFromInline
struct UthreadRecord {
    @usableFromInline
    var core = kb_uthread_core(run_next: nil, vcore: nil, state: UthreadState.blocked.rawValue, has_tls: 0, checks: 0,
                               ctx: kb_uctx())
    var id: Int
    var scheduler: UnsafeMutablePointer<SchedulerState>
    var activeNext: UnsafeMutablePointer<UthreadRecord>?
    var activePrev: UnsafeMutablePointer<UthreadRecord>?
    var onActiveList = false
    var allNext: UnsafeMutablePointer<UthreadRecord>?
    /// The body (`Unmanaged<UthreadBody>`), taken when the uthread starts.
    var body: UnsafeMutableRawPointer?
    var stack = kb_ustack()

    init(id: Int, scheduler: UnsafeMutablePointer<SchedulerState>) {
        self.id = id
        self.scheduler = scheduler
        core.checks = scheduler.pointee.variant.checksInvariants ? 1 : 0
    }

    /// Its saved context (its thread pointer in `fs_base`, 0 without TLS).
    var context: kb_uctx {
        @inline(__always) get { core.ctx }
        @inline(__always) set { core.ctx = newValue }
    }
    var state: UthreadState {
        @inline(__always) get { UthreadState(rawValue: core.state).unsafelyUnwrapped }
        @inline(__always) set { core.state = newValue.rawValue }
    }
    var hasTLS: Bool {
        @inline(__always) get { core.has_tls != 0 }
        @inline(__always) set { core.has_tls = newValue ? 1 : 0 }
    }
    /// The link of the queue it is on (the run queue or a wait queue).
    var runNext: UnsafeMutablePointer<UthreadRecord>? {
        @inline(__always) get { UnsafeMutableRawPointer(core.run_next)?.assumingMemoryBound(to: UthreadRecord.self) }
        @inline(__always) set { core.run_next = UnsafeMutableRawPointer(newValue)?.assumingMemoryBound(to: kb_uthread_core.self) }
    }
    /// The vcore running it, or that ran it last.
    var vcore: UnsafeMutablePointer<VcoreState>? {
        get { UnsafeMutableRawPointer(core.vcore)?.assumingMemoryBound(to: VcoreState.self) }
        set { core.vcore = UnsafeMutableRawPointer(newValue)?.assumingMemoryBound(to: kb_vcore_core.self) }
    }
}

/// What a uthread asked for when it dropped into vcore context. The raw
/// values are CUthread's KB_VCORE_ACTION_* (switch-to's slow paths write
/// `handOff` from assembly).
enum VcoreAction: UInt8 {
    /// Nothing: the vcore's first entry, or after an action was done.
    case none = 0
    /// Yielded: back onto the run queue (2LS `thread_paused`).
    case requeue = 1
    /// Blocked: finish the `blockKind` in vcore context with
    /// `blockArgument` (enqueue on a wait queue, release its spinlock), then schedule.
    case block = 2
    /// Handed off: mark it blocked, handle events, pop `handOffTarget` without
    /// asking the 2LS (the slow path of switch-to). The target may be the
    /// uthread itself (it resumes after the events are handled).
    case handOff = 3
    /// Finished: never runs again.
    case exit = 4
}

/// What vcore context finishes for a uthread that blocked, after its context
/// was saved: a closed set, so the vcore loop calls each directly (no
/// indirect call on the path `park` takes at the end of every batch).
enum BlockKind: UInt8 {
    /// Nothing: `wake` or a switch-to resumes it.
    case park
    /// `UthreadMutex.lock`: queue it on the mutex (argument), release the guard.
    case mutex
    /// `UthreadCondition.wait`: queue it on the condition and release the
    /// mutex (argument: a `ConditionWait`).
    case condition
    /// `Uthread.blockingCall`: hand the call (argument: a `BlockingCall`)
    /// to a kernel thread; its completion makes the uthread runnable.
    case blockingCall
}

/// One vcore: its own context (its kernel thread's stack and TLS, saved
/// while a uthread runs) and what vcore context needs to decide what next.
struct VcoreState {
    /// What the switch-to assembly reads and writes: the vcore's context,
    /// current uthread, hand-off target, pops, events, action, FS mechanism.
    var core: kb_vcore_core
    var blockKind: BlockKind = .park
    var blockArgument: UnsafeMutableRawPointer?
    /// Events vcore context handled (only this vcore writes it).
    var eventsHandled: UInt64 = 0
    /// Hand-offs whose target was the uthread that dropped in: an event came
    /// while switch-to was switching, and its target waited for it.
    var lateHandOffs: UInt64 = 0
    /// The vcore's `BlockingCallWorkers` (unretained; the `VcoreContext` owns it).
    var blockingCallWorkers: UnsafeMutableRawPointer?
    let id: Int
    let scheduler: UnsafeMutablePointer<SchedulerState>

    init(id: Int, scheduler: UnsafeMutablePointer<SchedulerState>, events: UnsafeMutablePointer<kb_vcore_events>,
         threadPointer: UInt64, fsMechanism: FSBaseMechanism) {
        self.id = id
        self.scheduler = scheduler
        var context = kb_uctx()
        context.fs_base = threadPointer
        core = kb_vcore_core(ctx: context, current: nil, hand_off_target: nil,
                             pops: 0, events: events, action: VcoreAction.none.rawValue,
                             fs_mechanism: fsMechanism.rawCode)
    }

    /// Its own saved context (its kernel thread's stack and thread pointer).
    var context: kb_uctx { core.ctx }
    /// The uthread running on it, or that dropped into vcore context.
    var current: UnsafeMutablePointer<UthreadRecord>? {
        get { UnsafeMutableRawPointer(core.current)?.assumingMemoryBound(to: UthreadRecord.self) }
        set { core.current = UnsafeMutableRawPointer(newValue)?.assumingMemoryBound(to: kb_uthread_core.self) }
    }
    var handOffTarget: UnsafeMutablePointer<UthreadRecord>? {
        get { UnsafeMutableRawPointer(core.hand_off_target)?.assumingMemoryBound(to: UthreadRecord.self) }
        set { core.hand_off_target = UnsafeMutableRawPointer(newValue)?.assumingMemoryBound(to: kb_uthread_core.self) }
    }
    var action: VcoreAction {
        get { VcoreAction(rawValue: core.action).unsafelyUnwrapped }
        set { core.action = newValue.rawValue }
    }
    /// Uthreads popped (every entry into a uthread, by the 2LS or switch-to).
    var pops: UInt64 {
        get { core.pops }
        set { core.pops = newValue }
    }
    /// The words other threads touch (`notif_pending`, the mailbox, the
    /// stop request), on a cache line of their own.
    var events: UnsafeMutablePointer<kb_vcore_events> { core.events }
    /// How TLS switches load FS.
    var fsMechanism: FSBaseMechanism { core.fs_mechanism == FSBaseMechanism.wrfsbase.rawCode ? .wrfsbase : .archPrctl }
}
