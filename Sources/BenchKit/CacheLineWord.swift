import Platform
import Synchronization

/// An atomic 64-bit word alone on its own cache line, shared between threads
/// by reference; the class itself is only touched at setup.
public final class CacheLineWord: @unchecked Sendable {
    public let atomic: UnsafeMutablePointer<Atomic<UInt64>>

    public init(_ value: UInt64 = 0) { atomic = CacheLineBox(Atomic(value)).pointer }

    deinit { CacheLineBox(boxAt: atomic).deallocate() }
}
