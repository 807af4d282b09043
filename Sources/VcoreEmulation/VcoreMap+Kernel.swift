// The vcore map's kernel side: the emulated kernel preempting and restoring
// vcores (the preemption controller calls these), and a vcore thread's
// registration and exit.

import Platform
import KernelCore
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension VcoreMap {
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
    ///
    /// Allocates nothing (the controller calls it while vcores may be parked
    /// in a signal handler, possibly holding the malloc lock). Each victim is
    /// marked preempted, under the sequence counter, before its signal is
    /// sent: the map shows the preemption before the vcore stops, never after.
    @discardableResult
    public func preempt(_ vcores: [VcoreID]) -> Int {
        vcores.withUnsafeBufferPointer { preempt($0) }
    }

    /// `preempt(_:)` on a buffer the caller owns (no array, no allocation).
    /// With scheduled cores (`scheduleCores`) a victim's pcore is left idle
    /// until the scheduler's next tick hands it out; the controller's rounds
    /// use `revokeCores` instead.
    @discardableResult
    public func preempt(_ vcores: UnsafeBufferPointer<VcoreID>) -> Int {
        var marked = 0
        kernel.pointee.lock.lock()
        for vcore in vcores where Int(vcore) < count {
            if markPreemptedLocked(vcore, listedAt: marked) { marked += 1 }
        }
        notifyPreemptedLocked(marked)
        kernel.pointee.lock.unlock()
        return marked
    }

    /// Marks `vcore` preempted under the sequence counter and counts one
    /// original preemption message, if it runs and has a thread; lists it in
    /// `scratch[index]` for `notifyPreemptedLocked`. Its pcore, if any, is
    /// free from now. Under the kernel lock.
    func markPreemptedLocked(_ vcore: VcoreID, listedAt index: Int) -> Bool {
        let target = slot(vcore)
        let tid = target.pointee.tid.load(ordering: .relaxed)
        guard tid != 0, target.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue
        else { return false }
        sequenceCounter.pointee.beginWrite()
        target.pointee.state.value.store(VcoreState.preempted.rawValue, ordering: .relaxed)
        target.pointee.pcore.store(-1, ordering: .relaxed)
        sequenceCounter.pointee.endWrite()
        // The tick it lost its core at: the scheduler does not hand it one
        // back in the same tick.
        target.pointee.since.store(kernel.pointee.ticks.load(ordering: .relaxed), ordering: .relaxed)
        target.pointee.stops.wrappingAdd(1, ordering: .relaxed)
        kernel.pointee.preemptions.wrappingAdd(1, ordering: .relaxed)
        kernel.pointee.messages.wrappingAdd(1, ordering: .relaxed)
        scratch[index] = vcore
        return true
    }

    /// Sends what the preemption of `scratch[0..<marked]` entails, under the
    /// kernel lock: EV_VCORE_PREEMPT for each victim to a vcore that still
    /// runs, then the "IPI" (the scratch list is the lock's). The handler
    /// parks the thread (or defers to the end of an emulated system call) and
    /// never takes the kernel lock; a vcore changed to before its handler
    /// runs finds itself running and returns.
    func notifyPreemptedLocked(_ marked: Int) {
        guard marked > 0 else { return }
        let recipient = eventRecipient()
        for index in 0..<marked { post(preempted: scratch[index], to: recipient) }
        for index in 0..<marked {
            let target = slot(scratch[index])
            _ = kb_tgsigqueue(target.pointee.tid.load(ordering: .relaxed), PreemptionSignal.number,
                              UnsafeMutableRawPointer(target))
        }
    }

    /// Gives a core back to `vcore` if it is preempted: marks it running,
    /// moves it back to its home CPU and wakes its thread. Returns whether it
    /// was preempted.
    @discardableResult
    public func restore(_ vcore: VcoreID) -> Bool {
        guard Int(vcore) < count else { return false }
        kernel.pointee.lock.lock()
        let restored = restoreLocked(vcore)
        kernel.pointee.lock.unlock()
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
    /// Allocates nothing: the controller calls it while vcores are parked.
    ///
    /// With scheduled cores (`scheduleCores`) this ends the scheduling:
    /// every vcore runs on its home CPU, sharing CPUs again. Call it only to
    /// stop (once the vcores have left, or to free vcores a stalled run
    /// abandons); rounds end with `returnCores`.
    @discardableResult
    public func restoreAll() -> Int {
        var restored = 0
        kernel.pointee.lock.lock()
        if kernel.pointee.pcores.exchange(0, ordering: .relaxed) != 0 {
            for vcore in 0..<UInt32(count) { slot(vcore).pointee.pcore.store(-1, ordering: .relaxed) }
        }
        for vcore in 0..<UInt32(count) {
            if restoreLocked(vcore) {
                scratch[restored] = vcore
                restored += 1
            }
            move(vcore, to: slot(vcore).pointee.homeCPU.load(ordering: .relaxed))
        }
        for index in 0..<restored { wake(scratch[index]) }
        kernel.pointee.lock.unlock()
        return restored
    }

    /// Marks `vcore` running if it is preempted and moves it home; under the kernel lock.
    private func restoreLocked(_ vcore: VcoreID) -> Bool {
        guard slot(vcore).pointee.state.value.load(ordering: .relaxed) == VcoreState.preempted.rawValue
        else { return false }
        sequenceCounter.pointee.beginWrite()
        slot(vcore).pointee.state.value.store(VcoreState.running.rawValue, ordering: .relaxed)
        sequenceCounter.pointee.endWrite()
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
        // Under the kernel lock: the scheduler may already be ticking. No
        // signal can reach this thread yet (its tid is published last).
        kernel.pointee.lock.lock()
        let initial = initialStateLocked(vcore)
        sequenceCounter.pointee.beginWrite()
        me.pointee.state.value.store(initial.rawValue, ordering: .relaxed)
        sequenceCounter.pointee.endWrite()
        me.pointee.tid.store(kb_gettid(), ordering: .releasing)
        kernel.pointee.lock.unlock()
    }

    /// Marks the calling vcore exited, after honouring any pending preemption.
    ///
    /// An emulated system call like the others: it takes the kernel lock only
    /// inside `enterKernel`/`leaveKernel`, so a preemption signal landing
    /// while it holds the lock is deferred, and the vcore parks after
    /// releasing it. (Parking in the handler with the lock held would hang
    /// every `restoreAll`, the controller's and `stop`'s.)
    public func exit(_ vcore: VcoreID) {
        let me = checkedSlot(vcore)
        while true {
            Self.parkWhilePreempted(me)
            enterKernel(me)
            kernel.pointee.lock.lock()
            let done = me.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue
            var successor: VcoreID? = nil
            if done {
                sequenceCounter.pointee.beginWrite()
                me.pointee.state.value.store(VcoreState.exited.rawValue, ordering: .relaxed)
                sequenceCounter.pointee.endWrite()
                // Cleared under the lock: `preempt` reads it there, so no
                // signal can be sent to this thread once it has left.
                me.pointee.tid.store(0, ordering: .releasing)
                // Its core goes to a vcore waiting for one, at once.
                successor = passOnCoreLocked(of: me)
            }
            kernel.pointee.lock.unlock()
            if let successor { wake(successor) }
            leaveKernel(me)
            if done { break }
        }
    }

    // MARK: Emulated system calls

    /// Marks the caller's own thread inside an emulated system call: a
    /// preemption signal arriving now is deferred to `leaveKernel`'s caller.
    /// With SCHED_FIFO vcores (`runKernelSide`), the call also runs above
    /// every vcore, as Akaros' kernel code cannot be preempted by a spinning
    /// user thread.
    func enterKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        me.pointee.inKernel.store(1, ordering: .relaxed)
        kb_compiler_barrier()   // a signal fence: the handler on this thread sees the flag
        let raised = kernel.pointee.kernelPriority.load(ordering: .relaxed)
        if raised != 0 { _ = kb_set_scheduler(0, SCHED_FIFO, raised) }
    }

    /// Back to the vcores' priority (lowering a SCHED_FIFO priority keeps the
    /// thread at the front of its new run list, so it parks at once), then
    /// preemption signals are taken again.
    func leaveKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        let raised = kernel.pointee.kernelPriority.load(ordering: .relaxed)
        if raised != 0 { _ = kb_set_scheduler(0, SCHED_FIFO, kernel.pointee.vcorePriority.load(ordering: .relaxed)) }
        kb_compiler_barrier()
        me.pointee.inKernel.store(0, ordering: .relaxed)
    }

    /// Makes every emulated system call of a vcore thread run at SCHED_FIFO
    /// `kernelPriority` and return to `vcorePriority`; nil: calls keep the
    /// thread's policy (SCHED_OTHER vcores). `kernelPriority` must be above
    /// `vcorePriority`: a vcore holding the kernel lock that sleeps (in
    /// sched_setaffinity) must preempt a same-CPU spinning vcore when it
    /// wakes. `VcoreGroup` sets this for SCHED_FIFO vcores; set it before the
    /// vcores start.
    public func runKernelSide(atPriority kernelPriority: Int32?, vcorePriority: Int32) {
        if let kernelPriority {
            precondition(kernelPriority > vcorePriority && kernelPriority <= 99,
                         "VcoreMap: kernel priority \(kernelPriority) must be above the vcores' \(vcorePriority)")
        }
        kernel.pointee.vcorePriority.store(vcorePriority, ordering: .relaxed)
        kernel.pointee.kernelPriority.store(kernelPriority ?? 0, ordering: .relaxed)
    }

    /// The SCHED_FIFO priority emulated system calls run at (nil: unchanged).
    public var kernelSidePriority: Int32? {
        let raised = kernel.pointee.kernelPriority.load(ordering: .relaxed)
        return raised == 0 ? nil : raised
    }
}
