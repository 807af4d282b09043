// The control block of one uthread and of one vcore, in raw memory: what the
// switch paths read and write with no reference counting.

import CUthread
import Synchronization

/// Where a uthread is in its life. Transitions (checked by the 2LS variants
/// that keep their asserts): runnable -> running (popped) -> runnable
/// (yielded), blocked (waiting or handed off), or exited.
enum UthreadState: UInt8 {
    case runnable, running, blocked, exited
}

/// One uthread: its saved context, its memory, and the intrusive links of the
/// queues it can be on (the run queue or a wait queue through `runNext`, the
/// 2LS' active list, the scheduler's list of all uthreads).
struct UthreadRecord {
    var context = kb_uctx()
    var state: UthreadState = .blocked
    var hasTLS = false
    var id: Int
    /// The vcore running it, or that ran it last.
    var vcore: UnsafeMutablePointer<VcoreState>?
    var scheduler: UnsafeMutablePointer<SchedulerState>
    var runNext: UnsafeMutablePointer<UthreadRecord>?
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
    }
}

/// What a uthread asked for when it dropped into vcore context.
enum VcoreAction: UInt8 {
    /// Nothing: the vcore's first entry, or after an action was done.
    case none
    /// Yielded: back onto the run queue (2LS `thread_paused`).
    case requeue
    /// Blocked: finish the `blockKind` in vcore context with
    /// `blockArgument` (enqueue on a wait queue, release its spinlock), then schedule.
    case block
    /// Handed off: mark it blocked, handle events, pop `handOffTarget` without
    /// asking the 2LS (the slow path of switch-to). The target may be the
    /// uthread itself (it resumes after the events are handled).
    case handOff
    /// Finished: never runs again.
    case exit
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
}

/// The words other threads touch: the event mailbox, `notif_pending`,
/// `notif_disabled` (published for observers; only the vcore writes it) and
/// the stop request. On lines of their own, away from the vcore's private state.
struct VcoreEvents: ~Copyable {
    /// Set by whoever posts an event, cleared by vcore context before it
    /// drains the mailbox: the "wakeup waiting" switch.
    let notifPending = Atomic<UInt32>(0)
    /// Events posted and not yet handled.
    let posted = Atomic<UInt64>(0)
    let notifDisabled = Atomic<Bool>(true)
    let stop = Atomic<Bool>(false)
}

/// One vcore: its own context (its kernel thread's stack and TLS, saved
/// while a uthread runs) and what vcore context needs to decide what next.
struct VcoreState {
    var context = kb_uctx()
    var current: UnsafeMutablePointer<UthreadRecord>?
    var action: VcoreAction = .none
    var handOffTarget: UnsafeMutablePointer<UthreadRecord>?
    var blockKind: BlockKind = .park
    var blockArgument: UnsafeMutableRawPointer?
    /// Events vcore context handled (only this vcore writes it).
    var eventsHandled: UInt64 = 0
    /// Uthreads popped (every entry into a uthread, by the 2LS or switch-to).
    var pops: UInt64 = 0
    let id: Int
    let scheduler: UnsafeMutablePointer<SchedulerState>
    let events: UnsafeMutablePointer<VcoreEvents>
    /// How TLS switches load FS.
    let fsMechanism: FSBaseMechanism

    init(id: Int, scheduler: UnsafeMutablePointer<SchedulerState>, events: UnsafeMutablePointer<VcoreEvents>,
         threadPointer: UInt64, fsMechanism: FSBaseMechanism) {
        self.id = id
        self.scheduler = scheduler
        self.events = events
        self.fsMechanism = fsMechanism
        context.fs_base = threadPointer
    }
}
