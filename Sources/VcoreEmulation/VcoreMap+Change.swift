// The vcore map's change of vcore: parlib's ensure_vcore_runs and Akaros'
// sys_change_vcore, as the emulated kernel performs them.

import Platform
import KernelCore
import CPlatform
import Synchronization

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

extension VcoreMap {
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
        kernel.pointee.lock.lock()
        let result: ChangeResult
        if me.pointee.state.value.load(ordering: .relaxed) != VcoreState.running.rawValue {
            result = .callerPreempted   // a preemption is in flight: abort, as Akaros does
        } else if slot(target).pointee.state.value.load(ordering: .relaxed) != VcoreState.preempted.rawValue {
            result = .targetNotPreempted
        } else {
            sequenceCounter.pointee.beginWrite()
            slot(target).pointee.state.value.store(VcoreState.running.rawValue, ordering: .relaxed)
            me.pointee.state.value.store(VcoreState.preempted.rawValue, ordering: .relaxed)
            // With scheduled cores the target takes the caller's pcore, and
            // the age of its slice: a change does not reset the rotation.
            slot(target).pointee.pcore.store(me.pointee.pcore.load(ordering: .relaxed), ordering: .relaxed)
            me.pointee.pcore.store(-1, ordering: .relaxed)
            sequenceCounter.pointee.endWrite()
            slot(target).pointee.since.store(me.pointee.since.load(ordering: .relaxed), ordering: .relaxed)
            // The target takes over the caller's CPU (the caller is about to
            // sleep), so it runs at once instead of queueing behind whatever
            // shares its own CPU. Under the kernel lock: no restore races it.
            move(target, to: me.pointee.cpu.load(ordering: .relaxed))
            me.pointee.stops.wrappingAdd(1, ordering: .relaxed)
            if oneWay {
                transferEvents(from: caller, to: target)
                kernel.pointee.oneWayChanges.wrappingAdd(1, ordering: .relaxed)
            } else {
                post(preempted: caller, to: target)
                kernel.pointee.changes.wrappingAdd(1, ordering: .relaxed)
                kernel.pointee.messages.wrappingAdd(1, ordering: .relaxed)
            }
            result = .changed
        }
        kernel.pointee.lock.unlock()
        leaveKernel(me)
        if result == .changed { wake(target) }
        // Parks if we changed away, or if a preemption signal was deferred.
        Self.parkWhilePreempted(me)
        return result
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
}
