// PthreadMutexLock: glibc's pthread_mutex_t, the baseline every OS ships.

import Platform
#if canImport(Glibc)
import Glibc
#endif

/// A default (non-recursive, non-robust) `pthread_mutex_t` in its own cache
/// line(s): the baseline. Waiters spin briefly, then sleep in the kernel on a
/// futex, so it is the one lock here whose waiters give their CPU away.
@frozen
public struct PthreadMutexLock: KernelLock, @unchecked Sendable {
    @usableFromInline let mutex: CacheLineBox<pthread_mutex_t>

    public static var name: String { "pthread" }

    /// A new, unlocked mutex. Traps if pthread_mutex_init fails (it cannot for
    /// a default mutex on Linux).
    public init() {
        mutex = CacheLineBox(pthread_mutex_t())
        let rc = pthread_mutex_init(mutex.pointer, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    // pthread_mutex_lock/unlock only fail for error-checking or robust
    // mutexes, or on misuse; a default mutex used correctly always succeeds.

    @inlinable
    public func lock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        _ = pthread_mutex_lock(mutex.pointer)
    }

    @inlinable
    public func tryLock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) -> Bool {
        pthread_mutex_trylock(mutex.pointer) == 0
    }

    @inlinable
    public func unlock(_ node: NoNode = NoNode(), vcore: VcoreID = 0) {
        _ = pthread_mutex_unlock(mutex.pointer)
    }

    public func deallocate() {
        pthread_mutex_destroy(mutex.pointer)
        mutex.deallocate()
    }
}
