// A condition variable for uthreads, over UthreadMutex and the 2LS.

import Platform

/// Waiters block in the 2LS; `signal` wakes the longest waiter, `broadcast`
/// all of them. `wait` releases the mutex and queues the caller atomically
/// (both happen in vcore context, after the caller's context is saved), so
/// a signal sent right after the release cannot be lost; the woken uthread
/// takes the mutex again before `wait` returns. As with pthreads, recheck
/// the predicate in a loop. A trivial handle; `deallocate` when unused.
public struct UthreadCondition: @unchecked Sendable {
    let box: CacheLineBox<ConditionState>

    public init() { box = CacheLineBox(ConditionState()) }

    /// Releases `mutex` (owned by `uthread`), blocks until signalled, then
    /// locks `mutex` again.
    public func wait(_ mutex: UthreadMutex, by uthread: Uthread) {
        let state = box.pointer
        state.pointee.guardLock.lock()
        var wait = ConditionWait(condition: state, mutex: mutex.box.pointer)
        withUnsafeMutablePointer(to: &wait) { waitPointer in
            // The pair lives on this uthread's stack, which stays put while it is blocked.
            uthread.block(.condition, argument: UnsafeMutableRawPointer(waitPointer))
        }
        mutex.lock(by: uthread)
    }

    /// Wakes the longest-waiting uthread, if any.
    public func signal() {
        let state = box.pointer
        state.pointee.guardLock.lock()
        let waiter = state.pointee.waiters.popFirst()
        state.pointee.guardLock.unlock()
        if let waiter { waiter.pointee.scheduler.threadRunnable(waiter) }
    }

    /// Wakes every waiting uthread.
    public func broadcast() {
        let state = box.pointer
        state.pointee.guardLock.lock()
        var waiter = state.pointee.waiters.takeAll()
        state.pointee.guardLock.unlock()
        while let current = waiter {
            waiter = current.pointee.runNext
            current.pointee.runNext = nil
            current.pointee.scheduler.threadRunnable(current)
        }
    }

    public func deallocate() {
        box.pointer.pointee.guardLock.deallocate()
        box.deallocate()
    }
}

struct ConditionState {
    let guardLock = SpinLock()
    var waiters = UthreadQueue()
}

/// What the block hook of `wait` needs: the condition (guard held) and the
/// mutex to release.
struct ConditionWait {
    let condition: UnsafeMutablePointer<ConditionState>
    let mutex: UnsafeMutablePointer<MutexState>
}

/// Vcore context, after a uthread blocked in `wait`: queue it on the
/// condition, release the condition's guard, then the mutex.
@inline(never)
func finishConditionWait(_ argument: UnsafeMutableRawPointer?, _ record: UnsafeMutablePointer<UthreadRecord>) {
    let wait = argument.unsafelyUnwrapped.assumingMemoryBound(to: ConditionWait.self).pointee
    wait.condition.pointee.waiters.append(record)
    wait.condition.pointee.guardLock.unlock()
    wait.mutex.release(by: record)
}
