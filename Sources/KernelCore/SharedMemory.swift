// SharedMemory: the raw pages the queues live in, and atomics at offsets in them.

import Glibc
import Synchronization

/// Anonymous, populated mappings: the queues' state lives in raw pages, as it
/// would in memory shared between a kernel and a process, and every shared
/// word is an atomic at a fixed offset in them.
public enum SharedMemory {
    /// The system page size.
    public static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// `bytes` (a multiple of the page size) of zeroed, populated memory, or nil.
    @inlinable
    public static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)
        guard let memory, memory != MAP_FAILED else { return nil }
        return memory
    }

    /// Unmaps what `map` returned.
    @inlinable
    public static func unmap(_ memory: UnsafeMutableRawPointer, _ bytes: Int) {
        munmap(memory, bytes)
    }

    /// The 64-bit atomic at `offset` bytes into `base` (8-byte aligned).
    @inlinable
    public static func word(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// The 32-bit atomic at `offset` bytes into `base` (4-byte aligned).
    @inlinable
    public static func word32(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
}
