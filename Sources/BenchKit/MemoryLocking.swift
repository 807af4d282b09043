import Platform
import Glibc

/// Locked, pre-faulted memory for measurement buffers.
///
/// A page fault in a measurement loop costs microseconds and looks exactly like
/// OS noise, so buffers are touched (zero-filled) before measuring and the
/// process's memory is locked so it stays resident.
public enum MemoryLocking {
    /// `mlockall(MCL_CURRENT | MCL_FUTURE)`. Returns nil on success, or the
    /// warning to print and record when it is not permitted.
    public static func lockAll() -> String? {
        if mlockall(MCL_CURRENT | MCL_FUTURE) == 0 { return nil }
        let error = SystemCallError("mlockall", errno: .last)
        return "memory not locked (\(error)); page faults may appear as noise: run as root or raise RLIMIT_MEMLOCK (ulimit -l)"
    }
}

/// A fixed-capacity buffer of trivial values for a measurement loop: allocated
/// once, aligned to a cache line, pre-faulted; appending is a store and an
/// increment, with no bounds growth, ARC or allocation.
public struct SampleBuffer<Element: BitwiseCopyable>: ~Copyable {
    public let base: UnsafeMutablePointer<Element>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a sample buffer needs room for at least one sample")
        let bytes = capacity * MemoryLayout<Element>.stride
        // Zero-filled on allocation, which touches (pre-faults) every page.
        let raw = CacheLine.allocate(lines: CacheLine.roundUp(bytes) / CacheLine.size)
        base = raw.bindMemory(to: Element.self, capacity: capacity)
        self.capacity = capacity
    }

    deinit { CacheLine.free(UnsafeMutableRawPointer(base)) }

    /// The first `count` samples, for analysis after the loop.
    public func prefix(_ count: Int) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base, count: min(count, capacity))
    }
}
