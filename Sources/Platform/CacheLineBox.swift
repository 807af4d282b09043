// CacheLineBox: one value alone on its own cache line(s).

/// One value in memory of its own, aligned to `CacheLine.separation` and
/// padded to a multiple of it, so no other object's writes share its line.
///
/// A trivial handle: copies share the same value, which lives until
/// `deallocate()`. This is how a lock word, a queue node or a control block
/// shared by threads gets its memory; reading `pointee` (or `pointer`) on a
/// hot path is one load of the handle's pointer, nothing more.
@frozen
public struct CacheLineBox<Value: ~Copyable>: BitwiseCopyable, @unchecked Sendable {
    /// The value's address; stable until `deallocate()`.
    public let pointer: UnsafeMutablePointer<Value>

    /// Bytes the box takes: the value's size rounded up to the separation.
    @inlinable
    public static var bytes: Int { CacheLine.roundUp(max(MemoryLayout<Value>.size, 1), to: CacheLine.separation) }

    /// A box holding `value`.
    public init(_ value: consuming Value) {
        pointer = CacheLine.allocate(bytes: Self.bytes, alignment: CacheLine.separation)
            .bindMemory(to: Value.self, capacity: 1)
        pointer.initialize(to: value)
    }

    /// The box whose value is at `pointer`, as an earlier `pointer` gave it
    /// (for structures that link boxes by address, as MCS queue nodes do).
    @inlinable
    public init(boxAt pointer: UnsafeMutablePointer<Value>) { self.pointer = pointer }

    /// The boxed value, in place (atomics are used through it, never copied).
    @inlinable
    public var pointee: Value {
        unsafeAddress { UnsafePointer(pointer) }
    }

    /// Deinitializes the value and frees the memory. No thread may use the
    /// box (or a copy) afterwards.
    public func deallocate() {
        pointer.deinitialize(count: 1)
        CacheLine.free(UnsafeMutableRawPointer(pointer))
    }
}
