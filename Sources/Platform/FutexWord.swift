// FutexWord: a 32-bit atomic that threads can sleep on.

import CPlatform
import Synchronization

/// A 32-bit atomic word with the futex calls on it. The futex address is
/// the atomic's own storage, taken where the call is made (never computed
/// from a field's offset in an enclosing struct), so moving or reordering
/// fields cannot make a waiter sleep on one word while wakers write another.
///
/// Keep it in memory that does not move while threads use it (a
/// `CacheLineBox`, a `CacheLineArray` element, a field of either). The calls
/// are async-signal-safe: an atomic access and one system call.
@frozen
public struct FutexWord: ~Copyable {
    /// The word itself; every access names its ordering.
    public let value: Atomic<UInt32>

    @inlinable
    public init(_ initial: UInt32 = 0) { value = Atomic(initial) }

    /// Sleeps while the word holds `expected`: returns at once if it does
    /// not, else when woken, when a signal arrives, or after `timeoutNs` ns
    /// (negative: no limit). Returns 0 or -errno (EAGAIN: the value differed;
    /// ETIMEDOUT; EINTR). Callers re-check the word in a loop.
    @discardableResult
    public func wait(whileEqualTo expected: UInt32, timeoutNs: Int64 = -1) -> Int32 {
        withAddress { kb_futex_wait($0, expected, timeoutNs) }
    }

    /// Wakes up to `count` threads sleeping on the word; returns how many
    /// woke, or -errno.
    @discardableResult
    public func wake(_ count: Int32 = 1) -> Int32 {
        withAddress { kb_futex_wake($0, count) }
    }

    /// Wakes every thread sleeping on the word.
    @discardableResult
    public func wakeAll() -> Int32 { wake(Int32.max) }

    /// Calls `body` with the atomic's own address, as the futex call wants it.
    @usableFromInline
    func withAddress<R>(_ body: (UnsafeMutablePointer<UInt32>) -> R) -> R {
        withUnsafePointer(to: value) {
            body(UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: UInt32.self))
        }
    }
}
