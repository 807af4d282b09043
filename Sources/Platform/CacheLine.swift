// Cache-line aligned raw memory. Swift cannot align a type beyond 16 bytes, so
// every lock and queue node lives in memory from posix_memalign, padded to
// whole lines: no two objects share a line, so no false sharing between them.

#if canImport(Glibc)
import Glibc
#endif

/// Cache-line geometry and aligned allocation.
public enum CacheLine {
    /// Bytes per cache line on every x86-64 (and most arm64) part kbench targets.
    public static let size = 64

    /// Rounds `bytes` up to whole lines.
    @inlinable
    public static func roundUp(_ bytes: Int) -> Int {
        (bytes + size - 1) / size * size
    }

    /// `lines` zero-filled cache lines, aligned to a line. Traps when the
    /// system is out of memory, as Swift's own allocation does; this is setup,
    /// never a lock path.
    public static func allocate(lines: Int) -> UnsafeMutableRawPointer {
        precondition(lines > 0, "CacheLine.allocate: lines must be positive")
        var raw: UnsafeMutableRawPointer?
        let bytes = lines * size
        let rc = posix_memalign(&raw, size, bytes)
        guard rc == 0, let memory = raw else {
            fatalError("posix_memalign(\(size), \(bytes)) failed: errno \(rc)")
        }
        memset(memory, 0, bytes)
        return memory
    }

    /// Aligned memory for one `T`, padded to whole lines, with `T` initialized.
    public static func allocate<T: ~Copyable>(_ value: consuming T) -> UnsafeMutablePointer<T> {
        let memory = allocate(lines: roundUp(MemoryLayout<T>.size) / size)
        let typed = memory.bindMemory(to: T.self, capacity: 1)
        typed.initialize(to: value)
        return typed
    }

    /// Frees memory from `allocate`. Atomic storage is trivially destructible,
    /// so no deinitialization is needed for the types KernelCore puts there.
    public static func free(_ memory: UnsafeMutableRawPointer) {
        Glibc.free(memory)
    }
}
