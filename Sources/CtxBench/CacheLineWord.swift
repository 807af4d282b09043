import Glibc
import Synchronization

/// An atomic 64-bit word alone on its own 64-byte cache line (Swift cannot
/// over-align, so the line is allocated by hand). Shared between threads by
/// reference; the class itself is only touched at setup.
final class CacheLineWord: @unchecked Sendable {
    let atomic: UnsafeMutablePointer<Atomic<UInt64>>

    init(_ value: UInt64 = 0) {
        var raw: UnsafeMutableRawPointer?
        precondition(posix_memalign(&raw, 64, 64) == 0 && raw != nil, "out of memory")
        atomic = raw!.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        atomic.initialize(to: Atomic(value))
    }

    deinit {
        atomic.deinitialize(count: 1)
        free(UnsafeMutableRawPointer(atomic))
    }
}
