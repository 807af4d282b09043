// Memory test threads share: a value or a row of counters, each on lines of
// its own, freed when the test lets go of it.

import Platform
import Synchronization

/// A value shared by test threads, on its own lines.
public final class Shared<T>: @unchecked Sendable {
    public let box: CacheLineBox<T>
    public var pointer: UnsafeMutablePointer<T> { box.pointer }
    public init(_ value: T) { box = CacheLineBox(value) }
    deinit { box.deallocate() }
    public var value: T {
        get { pointer.pointee }
        set { pointer.pointee = newValue }
    }
}

/// An array of atomic counters, one cache line each.
public final class Counters: @unchecked Sendable {
    public let counters: CacheLineArray<Atomic<UInt64>>
    public var count: Int { counters.count }
    public init(_ count: Int) { counters = CacheLineArray(count: count) { _ in Atomic(0) } }
    deinit { counters.deallocate() }
    public func slot(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> { counters.pointer(at: index) }
    public func increment(_ index: Int) { slot(index).pointee.wrappingAdd(1, ordering: .relaxed) }
    public subscript(index: Int) -> UInt64 { slot(index).pointee.load(ordering: .relaxed) }
    public var total: UInt64 { (0..<count).reduce(0) { $0 + self[$1] } }
}
