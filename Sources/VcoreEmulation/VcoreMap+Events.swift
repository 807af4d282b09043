// The vcore map's preemption events: posting EV_VCORE_PREEMPT to mailboxes,
// and parlib's handle_vc_preempt when a vcore re-enables notifications.

import KernelCore
import Synchronization

extension VcoreMap {
    /// 64-bit words in each mailbox.
    var mailboxWords: Int { VcoreMailboxes.words(count: count) }

    /// `vcore`'s mailbox (see `VcoreMailboxes`).
    func mailbox(_ vcore: VcoreID) -> UnsafeMutablePointer<Atomic<UInt64>> {
        mailboxes.mailbox(vcore, count: count)
    }

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
                    kernel.pointee.eventsHandled.wrappingAdd(1, ordering: .relaxed)
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
        where slot(vcore).pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue {
            return vcore
        }
        return 0
    }
}
