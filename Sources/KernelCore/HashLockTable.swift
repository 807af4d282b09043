// HashLockTable: spinlocks kept outside the objects they protect (thesis §5.1).

import Platform
import Synchronization

/// A hash table of spinlocks, keyed by an object's address. The UCQ's
/// producers must serialize page swaps, but the UCQ lives in memory its
/// consumer may scribble on, so its lock cannot live inside it: the hashlock is
/// the producers' private lock for any UCQ, found by hashing the UCQ's address.
/// Fewer locks than objects (two UCQs may share one: harmless, only slower),
/// and nothing to register in advance.
///
/// Each lock is a CAS test-and-set on its own line; a waiter spins and yields
/// (`SpinWait`), since a holder here may be preempted, as a kernel's may not.
/// A trivial handle: copies share the table.
@frozen
public struct HashLockTable: @unchecked Sendable {
    /// Locks in a table: a power of two.
    public let count: Int
    @usableFromInline let words: UnsafeMutableRawPointer

    /// The table the process's queues share unless given another.
    public static let shared = HashLockTable(count: 64)

    /// A table of `count` locks (rounded up to a power of two, at least 1).
    public init(count: Int) {
        var size = 1
        while size < count { size <<= 1 }
        self.count = size
        words = CacheLine.allocate(lines: size * CacheLine.separation / CacheLine.size)
    }

    /// The lock word for `address`: Fibonacci hashing of the address, whose
    /// low bits (alignment) carry nothing.
    @inlinable
    func word(for address: UInt) -> UnsafeMutablePointer<Atomic<UInt32>> {
        let hash = (UInt64(address) >> 6) &* 0x9E37_79B9_7F4A_7C15
        let index = Int(truncatingIfNeeded: hash >> 40) & (count - 1)
        return (words + index * CacheLine.separation).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    /// The index of the lock `address` hashes to (tests: two keys on one lock).
    public func index(for address: UInt) -> Int {
        (Int(bitPattern: UInt(bitPattern: word(for: address))) - Int(bitPattern: words)) / CacheLine.separation
    }

    /// Takes the lock `address` hashes to.
    @inlinable
    public func lock(_ address: UInt) {
        let word = word(for: address)
        var wait = SpinWait()
        // Acquiring: the protected state is read only after the lock is ours.
        while !word.pointee.compareExchange(expected: 0, desired: 1, successOrdering: .acquiring,
                                            failureOrdering: .relaxed).exchanged {
            repeat { wait.once() } while word.pointee.load(ordering: .relaxed) != 0
        }
    }

    /// Releases the lock `address` hashes to.
    @inlinable
    public func unlock(_ address: UInt) {
        // Releasing: the protected writes are visible before the lock looks free.
        word(for: address).pointee.store(0, ordering: .releasing)
    }

    /// True while the lock `address` hashes to is held (a snapshot).
    public func isLocked(_ address: UInt) -> Bool {
        word(for: address).pointee.load(ordering: .relaxed) != 0
    }
}
