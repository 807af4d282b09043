// A 32-bit word a thread can sleep on until another thread changes it: the
// Linux futex, over real 32-bit atomic storage.

import CPlatform
import Synchronization

/// A futex word on its own cache line.
///
/// The kernel sleeps on an address, so the address must be that of the very
/// 32-bit atomic the other threads store to. This type owns its allocation and
/// hands the kernel the allocation's own address, taken, never computed from a
/// field's offset in some larger struct: reordering another type's fields
/// cannot move a waiter onto the wrong word and lose its wake-up.
///
/// Waits are always bounded and may return early (a wake, a signal, a timeout
/// or the value already changed): callers re-check their condition in a loop.
@frozen
public struct FutexWord: @unchecked Sendable {
    /// The word, for atomic loads and stores (each names its ordering).
    public let atomic: UnsafeMutablePointer<Atomic<UInt32>>

    /// A new word holding `value`. Free it with `deallocate()`.
    public init(_ value: UInt32 = 0) {
        atomic = CacheLine.allocate(Atomic(value))
    }

    /// Frees the word. No thread may wait on it or touch it afterwards.
    public func deallocate() {
        CacheLine.free(UnsafeMutableRawPointer(atomic))
    }

    /// Sleeps while the word holds `expected`, for at most `timeoutNs`.
    public func wait(whileEqualTo expected: UInt32, timeoutNs: Int64) {
        _ = kb_futex_wait(kernelAddress, expected, max(0, timeoutNs))
    }

    /// Wakes every thread sleeping on the word.
    public func wakeAll() {
        _ = kb_futex_wake(kernelAddress, Int32.max)
    }

    /// The same storage as `atomic`, typed as the kernel reads it.
    private var kernelAddress: UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(atomic).assumingMemoryBound(to: UInt32.self)
    }
}
