// The vcore map's shared memory: what each vcore's slot holds, what the
// emulated kernel keeps for itself, and the run states.

import Platform
import KernelCore
import Synchronization

/// One vcore's slot: written by the emulated kernel (the controller,
/// `changeToVcore`) and read by every PDR waiter. One per vcore, each on its
/// own cache line(s) (`CacheLineArray`).
@usableFromInline
struct VcoreSlot: ~Copyable {
    /// `VcoreState` raw value. Also the futex word a preempted vcore sleeps on.
    @usableFromInline let state = FutexWord(VcoreState.running.rawValue)
    /// The vcore's kernel thread id, for the preemption signal; 0 until registered.
    let tid = Atomic<Int32>(0)
    /// Non-zero while the vcore's own thread is inside an emulated system call:
    /// a preemption signal arriving then is deferred (the kernel would have
    /// interrupts off); the call parks the vcore on its way out instead.
    let inKernel = Atomic<UInt32>(0)
    /// 1 while the thread actually sleeps (the preemption took effect).
    let parked = Atomic<UInt32>(0)
    /// Times this vcore was stopped (original preemptions plus changes away from it).
    let stops = Atomic<UInt64>(0)
    /// The CPU the vcore's thread is pinned to now (-1: not pinned). A change
    /// of vcore moves the target onto the caller's CPU, as Akaros runs the
    /// target on the caller's pcore; written under the kernel lock.
    let cpu = Atomic<Int32>(-1)
    /// The CPU the vcore was started on; `restore` puts it back there.
    let homeCPU = Atomic<Int32>(-1)
    /// Non-zero when the vcore's mailbox holds preemption events (Akaros'
    /// `notif_pending`); the vcore reads it when it re-enables notifications
    /// (`checkEvents`, at the end of every PDR unlock).
    @usableFromInline let notifPending = Atomic<UInt32>(0)
    /// The emulated pcore this vcore runs on (-1: none), when the map
    /// schedules vcores onto cores (`scheduleCores`); written under the
    /// kernel lock. A running vcore holds exactly one, and no two share one.
    let pcore = Atomic<Int32>(-1)
    /// The scheduler tick at which the vcore's pcore was last handed out
    /// (a change passes it on with the pcore): the oldest is rotated first.
    let since = Atomic<UInt64>(0)
    /// Times the scheduler gave this vcore a core (grants, not changes).
    let grants = Atomic<UInt64>(0)
    @usableFromInline init() {}
}

/// What the emulated kernel keeps for itself: its lock and the message
/// counters, on a line apart from the sequence counter every waiter reads.
@usableFromInline
struct VcoreKernelState: ~Copyable {
    /// The emulated kernel's lock (the proc lock): serializes every change of
    /// run state, so the sequence counter has one writer at a time. Waiters
    /// sleep rather than spin: vcores share CPUs in the emulation and the
    /// controller may run SCHED_FIFO, so a spinning waiter could starve the
    /// holder forever.
    let lock = FutexMutex()
    /// Preemption messages: every original preemption and every change of vcore.
    let messages = Atomic<UInt64>(0)
    /// Original preemptions only (the controller's).
    let preemptions = Atomic<UInt64>(0)
    /// Successful `changeToVcore` calls only.
    let changes = Atomic<UInt64>(0)
    /// One-way changes made by the preemption-event handler (EV_CHECK_MSGS:
    /// not preemption messages, as in the thesis' count).
    let oneWayChanges = Atomic<UInt64>(0)
    /// Preemption events taken out of mailboxes by handlers.
    let eventsHandled = Atomic<UInt64>(0)
    /// SCHED_FIFO priority a vcore's thread runs at while inside an emulated
    /// system call (0: unchanged), and the one it returns to (the vcores').
    /// With SCHED_FIFO vcores the kernel side must run above them: a vcore
    /// that sleeps inside a call (sched_setaffinity waits for the migration
    /// it asked for) would otherwise never get its CPU back from a spinning
    /// vcore of the same priority, while holding the kernel lock.
    let kernelPriority = Atomic<Int32>(0)
    let vcorePriority = Atomic<Int32>(0)
    /// Emulated pcores the scheduler hands out (0: not scheduled; every
    /// registered vcore then runs on its own thread's CPU, see
    /// `VcoreMap.scheduleCores`).
    let pcores = Atomic<Int32>(0)
    /// Where the scheduler's round robin over vcores resumes (kernel lock).
    let cursor = Atomic<UInt32>(0)
    /// Scheduler ticks so far (`rotate` calls).
    let ticks = Atomic<UInt64>(0)
    /// Vcores the scheduler preempted to give their core to another (a
    /// subset of `preemptions`).
    let rotationPreemptions = Atomic<UInt64>(0)
    /// Cores handed to a waiting vcore by the scheduler.
    let grants = Atomic<UInt64>(0)
    @usableFromInline init() {}
}

/// One emulated pcore: a CPU the emulated kernel hands to one vcore at a
/// time. Plain fields: only touched under the kernel lock.
@usableFromInline
struct Pcore {
    /// The CPU its vcore's thread is pinned to.
    var cpu: Int32 = -1
    /// Taken away from the process by an injected preemption round
    /// (`revokeCores`) until `returnCores`: nobody runs on it meanwhile.
    var revoked = false
}

/// The run state of an emulated vcore.
public enum VcoreState: UInt32, Sendable {
    /// Online: the vcore's thread may run.
    case running = 0
    /// Preempted (Akaros' VC_PREEMPTED): offline until restored or changed to.
    /// The flag is set before the thread actually stops (see `isParked`).
    case preempted = 1
    /// The vcore's thread has returned; it can no longer be preempted.
    case exited = 2
}
