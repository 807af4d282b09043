// CacheLineArray: n values, each alone on its own cache line(s).

/// `count` values, each aligned to `CacheLine.separation` and `stride` bytes
/// from the next, so threads writing different elements never share a line
/// (per-vcore slots, per-vcore queue nodes).
///
/// A trivial handle: copies share the same elements, which live until
/// `deallocate()`. The stride is a compile-time constant once specialized,
/// so `pointer(at:)` and `index(of:)` are a shift and an add.
@frozen
public struct CacheLineArray<Element: ~Copyable>: BitwiseCopyable, @unchecked Sendable {
    /// Element 0; element i is `stride * i` bytes further.
    public let base: UnsafeMutableRawPointer
    /// Number of elements.
    public let count: Int

    /// Bytes from one element to the next: its size rounded up to the separation.
    @inlinable
    public static var stride: Int { CacheLine.roundUp(max(MemoryLayout<Element>.size, 1), to: CacheLine.separation) }

    /// `count` elements, element i initialized to `element(i)`.
    public init(count: Int, _ element: (Int) -> Element) {
        precondition(count > 0, "CacheLineArray: count must be positive")
        base = CacheLine.allocate(bytes: count * Self.stride, alignment: CacheLine.separation)
        self.count = count
        for index in 0..<count {
            (base + index * Self.stride).bindMemory(to: Element.self, capacity: 1).initialize(to: element(index))
        }
    }

    /// The address of element `index`. Unchecked in release builds (it is on
    /// lock paths); the caller keeps `index` below `count`.
    @inlinable
    public func pointer(at index: Int) -> UnsafeMutablePointer<Element> {
        assert(index >= 0 && index < count, "CacheLineArray: index \(index) out of 0..<\(count)")
        return (base + index &* Self.stride).assumingMemoryBound(to: Element.self)
    }

    /// Element `index`, in place (unchecked in release builds, as `pointer(at:)`).
    @inlinable
    public subscript(index: Int) -> Element {
        unsafeAddress { UnsafePointer(pointer(at: index)) }
    }

    /// The index of the element at `address` (an address `pointer(at:)` gave).
    @inlinable
    public func index(of address: UnsafeRawPointer) -> Int {
        (address - UnsafeRawPointer(base)) / Self.stride
    }

    /// Deinitializes every element and frees the memory. No thread may use
    /// the array (or a copy) afterwards.
    public func deallocate() {
        for index in 0..<count { pointer(at: index).deinitialize(count: 1) }
        CacheLine.free(base)
    }
}
