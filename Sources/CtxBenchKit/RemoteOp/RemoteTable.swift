// The shared structure of ctxbench remote-op: a small hash table owned by one
// CPU, into which another CPU inserts.

import Platform

/// One slot: a key (0: empty), how many times it was inserted and the sum of
/// the values inserted with it.
public struct RemoteTableSlot: Equatable, Sendable, BitwiseCopyable {
    public var key: UInt32
    public var count: UInt32
    public var sum: UInt64
}

/// A 128-slot open-addressing hash table (linear probing) of 96 possible
/// keys: an insertion hashes, probes and updates a slot, like putting a
/// thread on a run queue or an entry in a kernel hash, and the table never
/// fills. Operation n always inserts the same key and value, so any mode that
/// performs operations 1...n in order leaves the same table.
///
/// A trivial handle over cache-line-aligned memory; `deallocate()` once.
@frozen
public struct RemoteTable: @unchecked Sendable {
    public static let capacity = 128
    public static let keys: UInt32 = 96
    @usableFromInline let slots: UnsafeMutablePointer<RemoteTableSlot>

    public init() {
        slots = CacheLine.allocate(lines: Self.capacity * MemoryLayout<RemoteTableSlot>.stride / CacheLine.size)
            .bindMemory(to: RemoteTableSlot.self, capacity: Self.capacity)
    }

    /// Operation n's key (1...96) and value.
    @inlinable @inline(__always)
    public static func operation(_ n: UInt64) -> (key: UInt32, value: UInt64) {
        // SplitMix64's finalizer: keys spread evenly over 1...96.
        var z = n &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (UInt32(truncatingIfNeeded: z % UInt64(keys)) + 1, z >> 16)
    }

    /// Inserts `key` with `value`: its slot's count and sum grow, or a free
    /// slot takes it. The caller holds whatever makes it the only writer.
    @inlinable @inline(__always)
    public func insert(key: UInt32, value: UInt64) {
        var index = Int((key &* 0x9E37_79B1) >> 25)   // top 7 bits: 0..<128
        while true {
            let slot = slots + index
            if slot.pointee.key == key || slot.pointee.key == 0 {
                slot.pointee.key = key
                slot.pointee.count &+= 1
                slot.pointee.sum &+= value
                return
            }
            index = (index &+ 1) & (Self.capacity - 1)
        }
    }

    /// The sum stored with `key`, 0 if absent (the owner's own reads).
    @inlinable @inline(__always)
    public func lookup(key: UInt32) -> UInt64 {
        var index = Int((key &* 0x9E37_79B1) >> 25)
        for _ in 0..<Self.capacity {
            let slot = slots + index
            if slot.pointee.key == key { return slot.pointee.sum }
            if slot.pointee.key == 0 { return 0 }
            index = (index &+ 1) & (Self.capacity - 1)
        }
        return 0
    }

    /// Every slot, to compare tables.
    public var contents: [RemoteTableSlot] { Array(UnsafeBufferPointer(start: slots, count: Self.capacity)) }

    /// The table operations 1...n leave, built on this thread.
    public static func replay(operations n: UInt64) -> [RemoteTableSlot] {
        let table = RemoteTable()
        defer { table.deallocate() }
        var op: UInt64 = 0
        while op < n { op += 1; let (key, value) = operation(op); table.insert(key: key, value: value) }
        return table.contents
    }

    public func deallocate() { CacheLine.free(UnsafeMutableRawPointer(slots)) }
}
