// A uthread as its body sees it: yield, switch to another, block, exit.
// Every verb drops into vcore context (or straight into another uthread)
// through the assembly switch; none allocates or retains.

import CUthread

/// A user-level thread: a saved context (callee-saved registers, stack
/// pointer, instruction pointer, FP control words, and the FS base when it
/// has TLS) on a stack of its own with a guard page under it.
///
/// A trivial handle over the control block the `TwoLevelScheduler` made; the
/// body receives its own handle, and passes it to the mutex and condition
/// variable, since "the current uthread" is not a TLS lookup here (a TLS
/// uthread runs with its own TLS block loaded).
public struct Uthread: Hashable, @unchecked Sendable {
    @usableFromInline let record: UnsafeMutablePointer<UthreadRecord>

    init(record: UnsafeMutablePointer<UthreadRecord>) { self.record = record }

    /// Its number in its scheduler, from 0 in spawn order.
    public var id: Int { record.pointee.id }
    /// Whether it has a TLS block of its own (and so switches the FS base).
    public var hasTLS: Bool { record.pointee.hasTLS }
    /// The vcore it runs on now (valid in its body).
    public var vcoreID: Int { record.pointee.vcore.unsafelyUnwrapped.pointee.id }
    /// Events its vcore's vcore context has handled so far (valid in its body).
    public var eventsHandledByVcore: UInt64 { record.pointee.vcore.unsafelyUnwrapped.pointee.eventsHandled }

    /// `uthread_yield`: saves this uthread and drops into vcore context,
    /// where the 2LS puts it back on the run queue, handles events if
    /// `notif_pending`, and pops whichever uthread it picks next.
    public func yield() {
        let vcore = record.pointee.vcore.unsafelyUnwrapped
        kb_vcore_notif_disabled_store_relaxed(vcore.pointee.events, 1)
        vcore.pointee.action = .requeue
        enterVcoreContext(vcore)
    }

    /// Switch-to: passes the vcore straight to `target`, a blocked uthread
    /// (one made with `.suspended`, or that switched away itself), without
    /// asking the 2LS; this uthread becomes blocked until something switches
    /// to it or wakes it.
    ///
    /// Skipping vcore context could skip an event, so the whole step is one
    /// assembly routine (`kb_uthread_switch_to`) that keeps vcore context's
    /// rules: notifications disabled and `notif_pending` checked before the
    /// switch (set: the slow way, vcore context handles the events, then
    /// pops `target`), and enabled and checked again on `target`'s behalf
    /// once the stack is switched (set: into vcore context, which handles
    /// them before `target` runs). The bookkeeping (state, the vcore's
    /// current uthread, pops) is in the same routine, so no Swift runs
    /// between the checks and the switch, and none on a half-switched stack
    /// or FS base.
    ///
    /// Inlinable, so a caller's loop calls the assembly directly: the 2LS
    /// variants that check invariants check them out of line first.
    @inlinable
    public func switchTo(_ target: Uthread) {
        if record.pointee.core.checks != 0 { checkSwitchTo(target) }
        kb_uthread_switch_to(UnsafeMutableRawPointer(record).assumingMemoryBound(to: kb_uthread_core.self),
                             UnsafeMutableRawPointer(target.record).assumingMemoryBound(to: kb_uthread_core.self))
    }

    /// Switch-to `count` times in a row, for a ring whose members all switch
    /// to the next: each return (something switched back to this uthread)
    /// starts the next switch; returns after the `count`-th switch returns.
    ///
    /// The same switch as `switchTo(_:)`, with the loop's bookkeeping kept
    /// to a counter: whether the 2LS checks invariants is read once, not per
    /// switch, and every ring member that runs this loop switches from one
    /// call site, so each switch returns to the address the return-stack
    /// predictor expects whichever uthread resumes.
    @inlinable
    public func switchTo(_ target: Uthread, times count: Int) {
        let me = UnsafeMutableRawPointer(record).assumingMemoryBound(to: kb_uthread_core.self)
        let next = UnsafeMutableRawPointer(target.record).assumingMemoryBound(to: kb_uthread_core.self)
        if record.pointee.core.checks != 0 {
            for _ in 0..<count {
                checkSwitchTo(target)
                kb_uthread_switch_to(me, next)
            }
        } else {
            for _ in 0..<count { kb_uthread_switch_to(me, next) }
        }
    }

    /// The invariants of a switch-to (checking 2LS variants only).
    @usableFromInline @inline(never)
    func checkSwitchTo(_ target: Uthread) {
        let next = target.record
        precondition(record.pointee.state == .running, "switch-to from a uthread that is not running")
        precondition(next.pointee.state == .blocked && next != record,
                     "switch-to a uthread that is not blocked (runnable, running or exited)")
    }

    /// Blocks until `TwoLevelScheduler.wake` (or a switch-to) resumes it;
    /// the 2LS does not know of it meanwhile.
    public func park() {
        block(.park, argument: nil)
    }

    /// Whether it is blocked (parked, waiting, or handed off by switch-to):
    /// what `wake` and `switchTo` accept. A snapshot.
    public var isBlocked: Bool { record.pointee.state == .blocked }

    /// Blocks: drops into vcore context, which finishes `kind` there with
    /// `argument` (with this uthread's context already saved, so a waker on
    /// another vcore can never resume a half-saved uthread), then schedules.
    func block(_ kind: BlockKind, argument: UnsafeMutableRawPointer?) {
        let vcore = record.pointee.vcore.unsafelyUnwrapped
        kb_vcore_notif_disabled_store_relaxed(vcore.pointee.events, 1)
        vcore.pointee.action = .block
        vcore.pointee.blockKind = kind
        vcore.pointee.blockArgument = argument
        enterVcoreContext(vcore)
    }

    /// The end of the body: vcore context retires it; it never runs again.
    func exit() -> Never {
        let vcore = record.pointee.vcore.unsafelyUnwrapped
        kb_vcore_notif_disabled_store_relaxed(vcore.pointee.events, 1)
        vcore.pointee.action = .exit
        enterVcoreContext(vcore)
        fatalError("uthread \(id) resumed after it exited")
    }

    /// Saves this uthread and resumes its vcore's context (loading the
    /// vcore's own FS base when this uthread had its TLS loaded).
    private func enterVcoreContext(_ vcore: UnsafeMutablePointer<VcoreState>) {
        switchContext(save: contextPointer(record), load: vcoreContextPointer(vcore),
                      loadFS: record.pointee.hasTLS, mechanism: vcore.pointee.fsMechanism)
    }
}

/// The saved context of a uthread (in its record's first field, `core`).
@inline(__always)
func contextPointer(_ record: UnsafeMutablePointer<UthreadRecord>) -> UnsafeMutablePointer<kb_uctx> {
    kb_uthread_context(corePointer(record))
}

/// The part of a uthread the switch-to assembly reads: its record's first field.
@inline(__always)
func corePointer(_ record: UnsafeMutablePointer<UthreadRecord>) -> UnsafeMutablePointer<kb_uthread_core> {
    UnsafeMutableRawPointer(record).assumingMemoryBound(to: kb_uthread_core.self)
}

/// The saved context of a vcore: its state's first field.
@inline(__always)
func vcoreContextPointer(_ vcore: UnsafeMutablePointer<VcoreState>) -> UnsafeMutablePointer<kb_uctx> {
    UnsafeMutableRawPointer(vcore).assumingMemoryBound(to: kb_uctx.self)
}

/// The one place a switch happens: the plain routine, or one that also loads
/// `load`'s FS base by the configured mechanism.
@inline(__always)
func switchContext(save: UnsafeMutablePointer<kb_uctx>, load: UnsafeMutablePointer<kb_uctx>,
                   loadFS: Bool, mechanism: FSBaseMechanism) {
    if !loadFS {
        kb_uctx_switch(save, load)
    } else if mechanism == .wrfsbase {
        kb_uctx_switch_wrfsbase(save, load)
    } else {
        kb_uctx_switch_arch_prctl(save, load)
    }
}

/// What runs first on a fresh uthread's stack (via the assembly trampoline):
/// the body, then the exit. Whatever popped it (vcore context or a
/// switch-to) made the wakeup-waiting check on its behalf.
let uthreadEntry: @convention(c) (UnsafeMutableRawPointer?) -> Void = { raw in
    let record = raw.unsafelyUnwrapped.assumingMemoryBound(to: UthreadRecord.self)
    runBody(of: record)
    Uthread(record: record).exit()
}

/// Runs the body and lets go of it (and of everything it captured) before
/// the uthread exits, since `exit` never returns to release anything.
@inline(never)
func runBody(of record: UnsafeMutablePointer<UthreadRecord>) {
    guard let raw = record.pointee.body else { return }
    record.pointee.body = nil
    let body = Unmanaged<UthreadBody>.fromOpaque(raw).takeRetainedValue()
    body.run(Uthread(record: record))
}

/// A uthread's body, boxed so its address fits the control block.
final class UthreadBody {
    let run: (Uthread) -> Void
    init(_ run: @escaping (Uthread) -> Void) { self.run = run }
}
