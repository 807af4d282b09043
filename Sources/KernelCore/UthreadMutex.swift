// A mutex for uthreads: a waiter blocks in its 2LS (the vcore runs other
// uthreads), never in the kernel.

import Platform

/// A FIFO hand-off mutex on top of the 2LS. `lock` by an owner-less mutex
/// takes it; otherwise the uthread queues itself and blocks, and `unlock`
/// hands ownership to the first waiter and makes it runnable, so a woken
/// waiter never races a newcomer.
///
/// A short spinlock guards the mutex's own fields; a blocking uthread keeps
/// it held across its switch into vcore context, where the block hook
/// queues it and only then releases it, so an `unlock` on another vcore can
/// never wake a uthread whose context is not yet saved.
/// A trivial handle; `deallocate` when no uthread uses it.
public struct UthreadMutex: @unchecked Sendable {
    let box: CacheLineBox<MutexState>

    public init() { box = CacheLineBox(MutexState()) }

    /// Locks on behalf of `uthread` (the caller), blocking it in the 2LS while
    /// another uthread owns the mutex.
    public func lock(by uthread: Uthread) {
        let state = box.pointer
        state.pointee.guardLock.lock()
        if state.pointee.owner == nil {
            state.pointee.owner = uthread.record
            state.pointee.guardLock.unlock()
            return
        }
        // Queued and the guard released in vcore context; resumed as owner.
        uthread.block(.mutex, argument: UnsafeMutableRawPointer(state))
    }

    /// Takes the mutex if no one owns it; true when taken.
    public func tryLock(by uthread: Uthread) -> Bool {
        let state = box.pointer
        state.pointee.guardLock.lock()
        defer { state.pointee.guardLock.unlock() }
        guard state.pointee.owner == nil else { return false }
        state.pointee.owner = uthread.record
        return true
    }

    /// Unlocks; `uthread` must own it. The first waiter becomes the owner
    /// and runnable.
    public func unlock(by uthread: Uthread) {
        box.pointer.release(by: uthread.record)
    }

    /// Whether some uthread owns it (a snapshot, for tests).
    public var isLocked: Bool {
        box.pointer.pointee.guardLock.lock()
        defer { box.pointer.pointee.guardLock.unlock() }
        return box.pointer.pointee.owner != nil
    }

    public func deallocate() {
        box.pointer.pointee.guardLock.deallocate()
        box.deallocate()
    }
}

/// The mutex's fields: owner and FIFO of waiters.
struct MutexState {
    let guardLock = SpinLock()
    var owner: UnsafeMutablePointer<UthreadRecord>?
    var waiters = UthreadQueue()
}

extension UnsafeMutablePointer where Pointee == MutexState {
    /// The unlock: hand the mutex to the first waiter, or free it.
    func release(by owner: UnsafeMutablePointer<UthreadRecord>) {
        pointee.guardLock.lock()
        precondition(pointee.owner == owner, "uthread mutex unlocked by a uthread that does not own it")
        let waiter = pointee.waiters.popFirst()
        pointee.owner = waiter
        pointee.guardLock.unlock()
        if let waiter { waiter.pointee.scheduler.threadRunnable(waiter) }
    }
}

/// Vcore context, after a uthread blocked in `lock`: queue it, release the guard.
@inline(never)
func finishMutexBlock(_ argument: UnsafeMutableRawPointer?, _ uthread: UnsafeMutablePointer<UthreadRecord>) {
    let state = argument.unsafelyUnwrapped.assumingMemoryBound(to: MutexState.self)
    state.pointee.waiters.append(uthread)
    state.pointee.guardLock.unlock()
}
