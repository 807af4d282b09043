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
    /// (`CacheLineBox`, `CacheLineArray`): two lines, not one. The L2
    /// "adjacent line" prefetchers (Intel's spatial prefetcher, AMD Zen's)
    /// fetch lines in aligned 128-byte pairs, so with 64-byte spacing a
    /// write to one object can drag its neighbour's line between cores.
    ///
    /// Measured on the development VM (AMD EPYC, 2 vCPUs, busy with other
    /// builds), 64 against 128 in alternating runs of `lockbench run
    /// --threads 2 --duration 2 --fifo`. Runs fall in two regimes set by
    /// where the host places the vCPUs (p50 ~400 or ~1500 ticks per
    /// acquisition), so the comparison is within a regime and by pairs:
    /// - contended MCS (lock tail, per-thread queue nodes), 14 pairs: of the
    ///   pairs split across regimes, 128 had the fast one 4 times and 64 once;
    ///   fast regime p50 392-441 ticks for both, throughput median 5,709
    ///   (128, 7 runs) against 5,542 (64, 4 runs) acquisitions/ms;
    /// - contended MCS-PDRN (qnodes in one CacheLineArray, the vcore slots
    ///   read by every waiter), 14 pairs: p50 median 1,592 (128) against
    ///   1,556 (64) ticks, throughput ~1,910 against ~1,930 per ms: equal
    ///   within noise.
    /// Uncontended figures are the same (identical instruction counts; 7
    /// alternating `lockbench uncontended` runs within noise). 128 is as fast
    /// or faster, and on parts where the pair prefetcher matters more it is
    /// the safe choice; the cost is 64 more bytes per lock word or slot.
    public static let separation = 128

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
