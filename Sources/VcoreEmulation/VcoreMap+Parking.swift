// The vcore map's parking: how a preempted vcore's thread sleeps on its
// slot's state word until the emulated kernel marks it running again.

import KernelCore
import CPlatform
import Synchronization

extension VcoreMap {
    /// Wakes `vcore`'s thread if it sleeps on its state word.
    func wake(_ vcore: VcoreID) {
        slot(vcore).pointee.state.wake(1)
    }

    /// Sleeps while the slot says preempted. Async-signal-safe: atomics and the
    /// futex system call only. Called from the signal handler and on the way
    /// out of `changeToVcore`.
    static func parkWhilePreempted(_ me: UnsafeMutablePointer<VcoreSlot>) {
        let preempted = VcoreState.preempted.rawValue
        // Acquiring: once restored, everything the restorer did is visible.
        guard me.pointee.state.value.load(ordering: .acquiring) == preempted else { return }
        me.pointee.parked.store(1, ordering: .releasing)
        while me.pointee.state.value.load(ordering: .acquiring) == preempted {
            me.pointee.state.wait(whileEqualTo: preempted)
        }
        me.pointee.parked.store(0, ordering: .releasing)
    }

    /// Parks the calling vcore thread while `vcore` waits for a core (a
    /// vcore of a scheduled map that starts without one; `VcoreGroup` calls
    /// it before the body).
    func awaitCore(_ vcore: VcoreID) {
        Self.parkWhilePreempted(checkedSlot(vcore))
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
