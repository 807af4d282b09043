// The vcore map: what Akaros' procinfo/procdata tell a process about its
// vcores, emulated in shared memory on Linux, plus the "kernel" operations on it.

import Platform
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One vcore's slot: a cache line written by the emulated kernel (the
/// controller, `changeToVcore`) and read by every lock waiter.
@usableFromInline
struct VcoreSlot: ~Copyable {
    /// `VcoreState` raw value. Also the futex word a preempted vcore sleeps on.
    @usableFromInline let state = Atomic<UInt32>(VcoreState.running.rawValue)
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
    @usableFromInline init() {}
}

/// The map's first lines: the sequence counter alone on one (every waiter
/// reads it), the message counters on the next.
@usableFromInline
struct VcoreMapHeader: ~Copyable {
    /// Preemption sequence counter (Akaros' coremap_seqctr). Odd while the
    /// emulated kernel changes a vcore's run state, the next even value once
    /// done; unchanged by kernel calls that change nothing.
    @usableFromInline let sequence = Atomic<UInt32>(0)
    let pad0 = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    /// The emulated kernel's lock (the proc lock): serializes every change of
    /// run state, so the counter has one writer at a time.
    let kernelLock = Atomic<UInt32>(0)
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
    let pad1 = (UInt64(0), UInt64(0))
    @usableFromInline init() {}
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

/// How `changeToVcore` ended, as `sys_change_vcore` can end.
public enum ChangeResult: Sendable, Equatable {
    /// The target was made to run and the caller was preempted in its place;
    /// the call returned once something restored the caller.
    case changed
    /// The target was not preempted (already running, or someone else won the race).
    case targetNotPreempted
    /// The caller itself was being preempted; nothing changed (it parked first).
    case callerPreempted
}

/// The vcore map of an emulated process: per-vcore run state, a preemption
/// sequence counter and a preemption message counter, in cache-line aligned
/// memory shared by every vcore thread and the preemption controller.
///
/// The emulation of Akaros on Linux:
/// - a vcore is a kernel thread pinned to a CPU (`VcoreGroup`);
/// - the kernel's preemption is `preempt(_:)`: mark the vcore preempted under
///   the sequence counter, then signal its thread, whose handler parks it on a
///   futex until `restore(_:)` (the kernel giving a core back);
/// - `changeToVcore(_:from:)` is `sys_change_vcore`: the caller gives its core
///   to a preempted vcore and is itself preempted;
/// - `ensureVcoreRuns(_:from:)` is parlib's `ensure_vcore_runs`, what PDR
///   waiters call while they spin;
/// - preemption events go to per-vcore mailboxes; `checkEvents(_:)` (every
///   PDR unlock) and `handleEvents(_:)` are `uth_enable_notifs` and
///   `handle_vc_preempt`: a vcore outside every lock changes, one way, to a
///   vcore still preempted.
///
/// A trivial struct: copies share the same map; free it with `deallocate()`
/// once no vcore thread runs.
@frozen
public struct VcoreMap: @unchecked Sendable {
    @usableFromInline let header: UnsafeMutablePointer<VcoreMapHeader>
    @usableFromInline let slots: UnsafeMutableRawPointer
    /// Number of vcores.
    public let count: Int

    @usableFromInline static var headerLines: Int { 2 }

    /// A map of `count` vcores, all running.
    public init(count: Int) {
        precondition(count > 0 && count < Int(UInt32.max), "VcoreMap: bad vcore count \(count)")
        precondition(MemoryLayout<VcoreSlot>.size <= CacheLine.size
                     && MemoryLayout<VcoreMapHeader>.size <= Self.headerLines * CacheLine.size)
        // Header, one slot line per vcore, then one mailbox per vcore (a bit
        // per vcore, whole lines each; zero-filled: empty).
        let memory = CacheLine.allocate(lines: Self.headerLines + count
                                        + count * Self.mailboxLines(count: count))
        header = memory.bindMemory(to: VcoreMapHeader.self, capacity: 1)
        header.initialize(to: VcoreMapHeader())
        slots = memory + Self.headerLines * CacheLine.size
        for index in 0..<count {
            (slots + index * CacheLine.size).bindMemory(to: VcoreSlot.self, capacity: 1)
                .initialize(to: VcoreSlot())
        }
        self.count = count
        // Zero bytes are empty atomics: binding the memory initializes them.
        let mailboxes = slots + count * CacheLine.size
        mailboxes.bindMemory(to: Atomic<UInt64>.self,
                             capacity: count * Self.mailboxLines(count: count) * CacheLine.size / 8)
    }

    /// 64-bit words in one mailbox (one bit per vcore) and the lines it takes.
    static func mailboxWords(count: Int) -> Int { (count + 63) / 64 }
    static func mailboxLines(count: Int) -> Int { CacheLine.roundUp(mailboxWords(count: count) * 8) / CacheLine.size }
    var mailboxWords: Int { Self.mailboxWords(count: count) }

    /// `vcore`'s mailbox: bit r set means "vcore r was preempted" (an
    /// EV_VCORE_PREEMPT event) still to be handled. Off the lock paths.
    func mailbox(_ vcore: VcoreID) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let lines = Self.mailboxLines(count: count)
        return (slots + (count + Int(vcore) * lines) * CacheLine.size)
            .assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Frees the map. No vcore thread may run, and none may be parked.
    public func deallocate() { CacheLine.free(UnsafeMutableRawPointer(header)) }

    @inlinable
    func slot(_ vcore: VcoreID) -> UnsafeMutablePointer<VcoreSlot> {
        (slots + Int(vcore) * CacheLine.size).assumingMemoryBound(to: VcoreSlot.self)
    }

    /// `slot`, for the public queries and thread life cycle (off the lock
    /// paths): a bad id traps instead of reading past the map.
    func checkedSlot(_ vcore: VcoreID) -> UnsafeMutablePointer<VcoreSlot> {
        precondition(Int(vcore) < count, "VcoreMap: no vcore \(vcore) (count \(count))")
        return slot(vcore)
    }

    // MARK: What userspace reads

    /// Whether `vcore` is marked preempted (VC_PREEMPTED). A relaxed read: a
    /// hint for spinning waiters; the kernel operations re-check under the kernel lock.
    @inlinable
    public func isPreempted(_ vcore: VcoreID) -> Bool {
        Int(vcore) < count
            && slot(vcore).pointee.state.load(ordering: .relaxed) == VcoreState.preempted.rawValue
    }

    /// The run state of `vcore`.
    public func state(_ vcore: VcoreID) -> VcoreState {
        VcoreState(rawValue: checkedSlot(vcore).pointee.state.load(ordering: .acquiring)) ?? .running
    }

    /// Whether `vcore`'s thread is actually asleep because of a preemption.
    public func isParked(_ vcore: VcoreID) -> Bool {
        checkedSlot(vcore).pointee.parked.load(ordering: .acquiring) != 0
    }

    /// The preemption sequence counter: odd while a change is in flight, and
    /// different from an earlier read if any vcore was preempted or changed since.
    @inlinable
    public var sequence: UInt32 { header.pointee.sequence.load(ordering: .acquiring) }

    /// Preemption messages sent: every original preemption and every change
    /// (Akaros' EV_VCORE_PREEMPT count in the thesis' Figures 6.5/6.6).
    public var preemptionMessages: UInt64 { header.pointee.messages.load(ordering: .relaxed) }

    /// Original preemptions by the controller.
    public var preemptionCount: UInt64 { header.pointee.preemptions.load(ordering: .relaxed) }

    /// Successful `changeToVcore` calls (in-chain: the caller expects to resume).
    public var changeCount: UInt64 { header.pointee.changes.load(ordering: .relaxed) }

    /// One-way changes made by vcores handling preemption events (Akaros'
    /// EV_CHECK_MSGS; not counted in `preemptionMessages`, as in the thesis).
    public var oneWayChangeCount: UInt64 { header.pointee.oneWayChanges.load(ordering: .relaxed) }

    /// Preemption events vcores have taken out of their mailboxes and handled
    /// (stale ones included: the target was running again by then).
    public var eventsHandled: UInt64 { header.pointee.eventsHandled.load(ordering: .relaxed) }

    /// Whether `vcore` has preemption events waiting (its `notif_pending`).
    public func hasPendingEvents(_ vcore: VcoreID) -> Bool {
        checkedSlot(vcore).pointee.notifPending.load(ordering: .acquiring) != 0
    }

    /// How often `vcore` was stopped (preempted or changed away from).
    public func stops(_ vcore: VcoreID) -> UInt64 { checkedSlot(vcore).pointee.stops.load(ordering: .relaxed) }

    /// The vcores marked preempted now.
    public var preemptedVcores: [VcoreID] {
        (0..<UInt32(count)).filter { isPreempted($0) }
    }

    // MARK: ensure_vcore_runs / sys_change_vcore

    /// Makes sure `target` runs, as parlib's `ensure_vcore_runs`: if it is
    /// preempted, the caller changes to it (and returns once restored). If
    /// `target` is the caller itself (a waiter that knows no better vcore),
    /// every other vcore is made to run. Ids out of range are ignored: a PDR
    /// waiter may read a stale id from a recycled node, and the thesis makes
    /// such spurious calls safe.
    public func ensureVcoreRuns(_ target: VcoreID, from caller: VcoreID) {
        if target == caller {
            for other in 0..<UInt32(count) where other != caller && isPreempted(other) {
                _ = changeToVcore(other, from: caller)
            }
        } else if isPreempted(target) {
            _ = changeToVcore(target, from: caller)
        }
    }

    /// `sys_change_vcore(target, enable_my_notif = false)`: if `target` is
    /// preempted and the caller is not, the target is marked running, moved to
    /// the caller's CPU and woken, the caller is marked preempted (one
    /// preemption message, posted to the target's mailbox as Akaros sends
    /// EV_VCORE_PREEMPT to the new vcore) and parks until something restores
    /// it: a vcore changing to it, or the controller giving the core back;
    /// then the call returns. Only one of several racing callers wins; the
    /// others see `.targetNotPreempted` (no message, as Akaros' -EBUSY).
    /// Must be called from the vcore thread `caller`.
    @discardableResult
    public func changeToVcore(_ target: VcoreID, from caller: VcoreID) -> ChangeResult {
        change(to: target, from: caller, oneWay: false)
    }

    /// Both kinds of change. `oneWay` is `enable_my_notif = true`, what the
    /// preemption-event handler does: the caller has nothing to resume in a
    /// lock, so no preemption message is sent (Akaros sends EV_CHECK_MSGS),
    /// and the caller's undelivered events go to the target with its core.
    func change(to target: VcoreID, from caller: VcoreID, oneWay: Bool) -> ChangeResult {
        guard Int(target) < count, Int(caller) < count, target != caller else { return .targetNotPreempted }
        let me = slot(caller)
        enterKernel(me)
        lockKernel()
        let result: ChangeResult
        if me.pointee.state.load(ordering: .relaxed) != VcoreState.running.rawValue {
            result = .callerPreempted   // a preemption is in flight: abort, as Akaros does
        } else if slot(target).pointee.state.load(ordering: .relaxed) != VcoreState.preempted.rawValue {
            result = .targetNotPreempted
        } else {
            beginChange()
            slot(target).pointee.state.store(VcoreState.running.rawValue, ordering: .relaxed)
            me.pointee.state.store(VcoreState.preempted.rawValue, ordering: .relaxed)
            endChange()
            // The target takes over the caller's CPU (the caller is about to
            // sleep), so it runs at once instead of queueing behind whatever
            // shares its own CPU. Under the kernel lock: no restore races it.
            move(target, to: me.pointee.cpu.load(ordering: .relaxed))
            me.pointee.stops.wrappingAdd(1, ordering: .relaxed)
            if oneWay {
                transferEvents(from: caller, to: target)
                header.pointee.oneWayChanges.wrappingAdd(1, ordering: .relaxed)
            } else {
                post(preempted: caller, to: target)
                header.pointee.changes.wrappingAdd(1, ordering: .relaxed)
                header.pointee.messages.wrappingAdd(1, ordering: .relaxed)
            }
            result = .changed
        }
        unlockKernel()
        leaveKernel(me)
        if result == .changed { wake(target) }
        // Parks if we changed away, or if a preemption signal was deferred.
        Self.parkWhilePreempted(me)
        return result
    }

    // MARK: Preemption events (parlib's handle_vc_preempt)

    /// The emulated `uth_enable_notifs`: a vcore leaving vcore context (the
    /// PDR locks call it at the end of `unlock`) handles the preemption events
    /// waiting in its mailbox. One relaxed load when there are none.
    /// `vcore` must be below `count` (unchecked: it is on the unlock path).
    @inlinable
    public func checkEvents(_ vcore: VcoreID) {
        assert(Int(vcore) < count, "VcoreMap.checkEvents: no vcore \(vcore) (count \(count))")
        if slot(vcore).pointee.notifPending.load(ordering: .relaxed) != 0 {
            handleEvents(vcore)
        }
    }

    /// Handles `vcore`'s pending preemption events, as parlib's
    /// `handle_vc_preempt`: for each vcore r reported preempted, if r is
    /// still preempted, change to it one way (`change_to_vcore` with
    /// `enable_my_notif`): r resumes on our core, and we go offline outside
    /// every lock, taking no place in any queue, until the controller gives
    /// a core back (or someone changes to us). Stale events (r already
    /// running) are dropped. Returns once the mailbox is empty or after we
    /// were changed away and restored.
    ///
    /// Every preempted vcore is treated as being in vcore context (inside a
    /// lock path), where the handler must change to it: an emulated vcore's
    /// thread is its only uthread, so there is nothing to steal. For a vcore
    /// preempted outside a lock this changes which vcore stays offline, never
    /// how many.
    @inline(never)
    public func handleEvents(_ vcore: VcoreID) {
        guard Int(vcore) < count else { return }
        let me = slot(vcore)
        let box = mailbox(vcore)
        while me.pointee.notifPending.exchange(0, ordering: .acquiring) != 0 {
            for word in 0..<mailboxWords {
                var events = box[word].exchange(0, ordering: .acquiring)
                while events != 0 {
                    let remote = VcoreID(word * 64 + events.trailingZeroBitCount)
                    events &= events &- 1
                    header.pointee.eventsHandled.wrappingAdd(1, ordering: .relaxed)
                    guard remote != vcore, isPreempted(remote) else { continue }
                    // Put back what we have not handled: a one-way change
                    // hands our mailbox to the target.
                    if events != 0 {
                        box[word].bitwiseOr(events, ordering: .releasing)
                        me.pointee.notifPending.store(1, ordering: .releasing)
                        events = 0
                    }
                    if change(to: remote, from: vcore, oneWay: true) == .changed { return }
                }
            }
        }
    }

    /// Posts "`preempted` was preempted" to `recipient`'s mailbox (a bit, so
    /// duplicates merge, as repeated spammed messages are harmless), then
    /// raises its `notif_pending`.
    func post(preempted: VcoreID, to recipient: VcoreID) {
        let word = Int(preempted) / 64, bit = UInt64(1) << (UInt64(preempted) % 64)
        mailbox(recipient)[word].bitwiseOr(bit, ordering: .releasing)
        slot(recipient).pointee.notifPending.store(1, ordering: .releasing)
    }

    /// EV_CHECK_MSGS: `from`'s undelivered events become `to`'s.
    func transferEvents(from source: VcoreID, to target: VcoreID) {
        let (from, to) = (mailbox(source), mailbox(target))
        var any = false
        for word in 0..<mailboxWords {
            let events = from[word].exchange(0, ordering: .acquiring)
            if events != 0 {
                to[word].bitwiseOr(events, ordering: .releasing)
                any = true
            }
        }
        if any { slot(target).pointee.notifPending.store(1, ordering: .releasing) }
    }

    /// Where the kernel sends a preemption event: the lowest-numbered running
    /// vcore (Akaros prefers vcore 0 and spams to an online vcore when it is
    /// not); vcore 0 if none runs (it reads its mailbox when it runs again).
    func eventRecipient() -> VcoreID {
        for vcore in 0..<UInt32(count)
        where slot(vcore).pointee.state.load(ordering: .relaxed) == VcoreState.running.rawValue {
            return vcore
        }
        return 0
    }

    // MARK: The emulated kernel's side (the preemption controller)

    /// Preempts `vcore`: marks it preempted under the sequence counter, counts
    /// one preemption message, and signals its thread, which parks at once.
    /// Returns false (and does nothing) if the vcore is not running, or has no
    /// thread registered. Call from any thread but the vcore's own.
    @discardableResult
    public func preempt(_ vcore: VcoreID) -> Bool {
        preempt([vcore]) == 1
    }

    /// Preempts several vcores at once: all are marked in one kernel critical
    /// section, so no change of vcore can slip in between and turn two
    /// preemptions into one (a vcore changing to the first victim before the
    /// second is marked would itself be offline, and the second mark would
    /// find nothing to do). Returns how many were running and got preempted.
    @discardableResult
    public func preempt(_ vcores: [VcoreID]) -> Int {
        var marked: [(slot: UnsafeMutablePointer<VcoreSlot>, tid: Int32)] = []
        marked.reserveCapacity(vcores.count)
        lockKernel()
        for vcore in vcores where Int(vcore) < count {
            let target = slot(vcore)
            let tid = target.pointee.tid.load(ordering: .relaxed)
            guard tid != 0, target.pointee.state.load(ordering: .relaxed) == VcoreState.running.rawValue
            else { continue }
            beginChange()
            target.pointee.state.store(VcoreState.preempted.rawValue, ordering: .relaxed)
            endChange()
            target.pointee.stops.wrappingAdd(1, ordering: .relaxed)
            header.pointee.preemptions.wrappingAdd(1, ordering: .relaxed)
            header.pointee.messages.wrappingAdd(1, ordering: .relaxed)
            marked.append((target, tid))
        }
        // EV_VCORE_PREEMPT for each victim, to a vcore that still runs.
        if !marked.isEmpty {
            let recipient = eventRecipient()
            for vcore in vcores where Int(vcore) < count && marked.contains(where: { $0.slot == slot(vcore) }) {
                post(preempted: vcore, to: recipient)
            }
        }
        unlockKernel()
        // The "IPI": the handler parks the thread (or defers to the end of an
        // emulated system call). If the vcore was changed to meanwhile, the
        // handler finds it running and returns.
        for (target, tid) in marked {
            _ = kb_tgsigqueue(tid, PreemptionSignal.number, UnsafeMutableRawPointer(target))
        }
        return marked.count
    }

    /// Gives a core back to `vcore` if it is preempted: marks it running,
    /// moves it back to its home CPU and wakes its thread. Returns whether it
    /// was preempted.
    @discardableResult
    public func restore(_ vcore: VcoreID) -> Bool {
        guard Int(vcore) < count else { return false }
        lockKernel()
        let restored = restoreLocked(vcore)
        unlockKernel()
        if restored { wake(vcore) }
        return restored
    }

    /// Restores every preempted vcore and puts every vcore back on its home
    /// CPU, in one kernel critical section; returns how many were preempted.
    /// Changes of vcore move a preemption from one vcore to another (and a
    /// vcore onto another's CPU), so after preempting k vcores this is how the
    /// controller gives all k cores back and returns to one vcore per home
    /// CPU. (Restoring one by one would race with changes: a restored vcore
    /// could change to one not yet restored and stay offline.)
    @discardableResult
    public func restoreAll() -> Int {
        var restored: [VcoreID] = []
        lockKernel()
        for vcore in 0..<UInt32(count) {
            if restoreLocked(vcore) { restored.append(vcore) }
            move(vcore, to: slot(vcore).pointee.homeCPU.load(ordering: .relaxed))
        }
        unlockKernel()
        for vcore in restored { wake(vcore) }
        return restored.count
    }

    /// Marks `vcore` running if it is preempted and moves it home; under the kernel lock.
    private func restoreLocked(_ vcore: VcoreID) -> Bool {
        guard slot(vcore).pointee.state.load(ordering: .relaxed) == VcoreState.preempted.rawValue
        else { return false }
        beginChange()
        slot(vcore).pointee.state.store(VcoreState.running.rawValue, ordering: .relaxed)
        endChange()
        move(vcore, to: slot(vcore).pointee.homeCPU.load(ordering: .relaxed))
        return true
    }

    // MARK: Vcore thread life cycle (VcoreGroup)

    /// Registers the calling thread as `vcore` (so it can be signalled), pinned
    /// to `cpu` (-1: not pinned), and marks it running.
    public func register(_ vcore: VcoreID, cpu: Int32 = -1) {
        PreemptionSignal.install()
        PreemptionSignal.unblockInCurrentThread()
        let me = checkedSlot(vcore)
        me.pointee.cpu.store(cpu, ordering: .relaxed)
        me.pointee.homeCPU.store(cpu, ordering: .relaxed)
        me.pointee.state.store(VcoreState.running.rawValue, ordering: .relaxed)
        me.pointee.tid.store(kb_gettid(), ordering: .releasing)
    }

    /// Marks the calling vcore exited, after honouring any pending preemption.
    public func exit(_ vcore: VcoreID) {
        let me = checkedSlot(vcore)
        while true {
            Self.parkWhilePreempted(me)
            lockKernel()
            let done = me.pointee.state.load(ordering: .relaxed) == VcoreState.running.rawValue
            if done {
                beginChange()
                me.pointee.state.store(VcoreState.exited.rawValue, ordering: .relaxed)
                endChange()
            }
            unlockKernel()
            if done { break }
        }
        me.pointee.tid.store(0, ordering: .releasing)
    }

    // MARK: Internals

    /// Takes the emulated kernel's lock: a futex mutex (0 free, 1 held,
    /// 2 held with sleepers). Waiters sleep rather than spin: vcores share
    /// CPUs in the emulation and the controller may run SCHED_FIFO, so a
    /// spinning (or sched_yield-ing) waiter could starve the holder forever.
    func lockKernel() {
        if header.pointee.kernelLock.compareExchange(expected: 0, desired: 1, successOrdering: .acquiring,
                                                     failureOrdering: .relaxed).exchanged { return }
        while header.pointee.kernelLock.exchange(2, ordering: .acquiring) != 0 {
            _ = kb_futex_wait(kernelLockWord, 2, -1)
        }
    }

    func unlockKernel() {
        if header.pointee.kernelLock.exchange(0, ordering: .releasing) == 2 {
            _ = kb_futex_wake(kernelLockWord, 1)
        }
    }

    /// The kernel lock as a futex word: the first field of the header's second line.
    var kernelLockWord: UnsafeMutablePointer<UInt32> {
        (UnsafeMutableRawPointer(header) + CacheLine.size).assumingMemoryBound(to: UInt32.self)
    }

    /// Seqlock write side, under the kernel lock: the counter goes odd, and
    /// the release fence keeps the state stores that follow from being seen
    /// before it.
    func beginChange() {
        header.pointee.sequence.wrappingAdd(1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
    }

    /// The counter goes even; releasing: whoever reads the new value sees the change.
    func endChange() {
        header.pointee.sequence.wrappingAdd(1, ordering: .releasing)
    }

    /// Re-pins `vcore`'s thread to `cpu` if it is pinned elsewhere. Called
    /// under the kernel lock while the vcore is stopped or about to run.
    func move(_ vcore: VcoreID, to cpu: Int32) {
        let target = slot(vcore)
        let tid = target.pointee.tid.load(ordering: .relaxed)
        guard cpu >= 0, tid != 0, target.pointee.cpu.load(ordering: .relaxed) != cpu else { return }
        var pinned = cpu
        if kb_set_affinity(tid, &pinned, 1) == 0 {
            target.pointee.cpu.store(cpu, ordering: .relaxed)
        }
    }

    /// The CPU `vcore`'s thread is pinned to now (-1: not pinned).
    public func cpu(_ vcore: VcoreID) -> Int32 { checkedSlot(vcore).pointee.cpu.load(ordering: .relaxed) }

    func enterKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        me.pointee.inKernel.store(1, ordering: .relaxed)
        kb_compiler_barrier()   // a signal fence: the handler on this thread sees the flag
    }

    func leaveKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        kb_compiler_barrier()
        me.pointee.inKernel.store(0, ordering: .relaxed)
    }

    func wake(_ vcore: VcoreID) {
        _ = kb_futex_wake(Self.futexWord(slot(vcore)), 1)
    }

    /// `state`, the slot's first stored property (Swift lays stored properties
    /// out in declaration order), as the futex word.
    static func futexWord(_ slot: UnsafeMutablePointer<VcoreSlot>) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(slot).assumingMemoryBound(to: UInt32.self)
    }

    /// Sleeps while the slot says preempted. Async-signal-safe: atomics and the
    /// futex system call only. Called from the signal handler and on the way
    /// out of `changeToVcore`.
    static func parkWhilePreempted(_ me: UnsafeMutablePointer<VcoreSlot>) {
        let preempted = VcoreState.preempted.rawValue
        // Acquiring: once restored, everything the restorer did is visible.
        guard me.pointee.state.load(ordering: .acquiring) == preempted else { return }
        me.pointee.parked.store(1, ordering: .releasing)
        while me.pointee.state.load(ordering: .acquiring) == preempted {
            _ = kb_futex_wait(futexWord(me), preempted, -1)
        }
        me.pointee.parked.store(0, ordering: .releasing)
    }

    /// The preemption signal's work on the victim's thread.
    static func handlePreemption(_ slotAddress: UnsafeMutableRawPointer) {
        let me = slotAddress.assumingMemoryBound(to: VcoreSlot.self)
        // A late signal for a thread that left the vcore (tid reused or cleared).
        guard me.pointee.tid.load(ordering: .relaxed) == kb_gettid() else { return }
        // Inside an emulated system call: it parks on its way out.
        guard me.pointee.inKernel.load(ordering: .relaxed) == 0 else { return }
        parkWhilePreempted(me)
    }
}
