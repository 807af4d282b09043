// The vcore map's kernel side: the emulated kernel preempting and restoring
// vcores (the preemption controller calls these), and a vcore thread's
// registration and exit.

import Platform
import KernelCore
import CPlatform
import Synchronization

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
    @discardableResult
    public func preempt(_ vcores: [VcoreID]) -> Int {
        var marked: [(slot: UnsafeMutablePointer<VcoreSlot>, tid: Int32)] = []
        marked.reserveCapacity(vcores.count)
        kernel.pointee.lock.lock()
        for vcore in vcores where Int(vcore) < count {
            let target = slot(vcore)
            let tid = target.pointee.tid.load(ordering: .relaxed)
            guard tid != 0, target.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue
            else { continue }
            sequenceCounter.pointee.beginWrite()
            target.pointee.state.value.store(VcoreState.preempted.rawValue, ordering: .relaxed)
            sequenceCounter.pointee.endWrite()
            target.pointee.stops.wrappingAdd(1, ordering: .relaxed)
            kernel.pointee.preemptions.wrappingAdd(1, ordering: .relaxed)
            kernel.pointee.messages.wrappingAdd(1, ordering: .relaxed)
            marked.append((target, tid))
        }
        // EV_VCORE_PREEMPT for each victim, to a vcore that still runs.
        if !marked.isEmpty {
            let recipient = eventRecipient()
            for vcore in vcores where Int(vcore) < count && marked.contains(where: { $0.slot == slot(vcore) }) {
                post(preempted: vcore, to: recipient)
            }
        }
        kernel.pointee.lock.unlock()
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
    @discardableResult
    public func restoreAll() -> Int {
        var restored: [VcoreID] = []
        kernel.pointee.lock.lock()
        for vcore in 0..<UInt32(count) {
            if restoreLocked(vcore) { restored.append(vcore) }
            move(vcore, to: slot(vcore).pointee.homeCPU.load(ordering: .relaxed))
        }
        kernel.pointee.lock.unlock()
        for vcore in restored { wake(vcore) }
        return restored.count
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
        me.pointee.state.value.store(VcoreState.running.rawValue, ordering: .relaxed)
        me.pointee.tid.store(kb_gettid(), ordering: .releasing)
    }

    /// Marks the calling vcore exited, after honouring any pending preemption.
    public func exit(_ vcore: VcoreID) {
        let me = checkedSlot(vcore)
        while true {
            Self.parkWhilePreempted(me)
            kernel.pointee.lock.lock()
            let done = me.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue
            if done {
                sequenceCounter.pointee.beginWrite()
                me.pointee.state.value.store(VcoreState.exited.rawValue, ordering: .relaxed)
                sequenceCounter.pointee.endWrite()
            }
            kernel.pointee.lock.unlock()
            if done { break }
        }
        me.pointee.tid.store(0, ordering: .releasing)
    }

    // MARK: Emulated system calls

    /// Marks the caller's own thread inside an emulated system call: a
    /// preemption signal arriving now is deferred to `leaveKernel`'s caller.
    func enterKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        me.pointee.inKernel.store(1, ordering: .relaxed)
        kb_compiler_barrier()   // a signal fence: the handler on this thread sees the flag
    }

    func leaveKernel(_ me: UnsafeMutablePointer<VcoreSlot>) {
        kb_compiler_barrier()
        me.pointee.inKernel.store(0, ordering: .relaxed)
    }
}
