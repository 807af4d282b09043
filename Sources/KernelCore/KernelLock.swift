// The one lock protocol: every lock in KernelCore has the same verbs, as every
// Concurrency Kit spinlock does (lock, unlock, trylock).

/// A vcore's number: the index of its slot in the `VcoreMap`. PDR locks store
/// it to advertise who holds the lock; other locks ignore it.
public typealias VcoreID = UInt32

/// A mutual-exclusion lock whose every path can be specialized into a generic
/// caller with no dynamic dispatch, no allocation and no reference counting.
///
/// Conforming types are trivial structs wrapping a pointer to cache-line
/// aligned raw memory, so copies are free and share the same lock; the memory
/// lives until `deallocate()`. A generic loop such as
/// `func run<L: KernelLock>(_ lock: L, node: L.Node, vcore: VcoreID)`
/// specializes into direct, inlined atomics because every verb is `@inlinable`.
///
/// The verbs take the caller's queue node and vcore id uniformly:
/// - `Node` is the per-acquirer state an algorithm needs. MCS and MCS-PDRO
///   need a caller-supplied queue node (`QueueNode`); the others take `NoNode`,
///   an empty value the optimizer deletes.
/// - `vcore` is the caller's vcore id. The PDR locks advertise it and use it to
///   recover from preemption; the others ignore it.
///
/// The same node must be passed to the `unlock` that follows a `lock` (or a
/// successful `tryLock`), by the same vcore.
public protocol KernelLock: BitwiseCopyable, Sendable {
    /// Per-acquirer state: `QueueNode` for queue locks, `NoNode` otherwise.
    associatedtype Node: LockNode

    /// A short name, as `lockbench --lock` spells it.
    static var name: String { get }

    /// Acquires the lock, waiting as long as it takes.
    func lock(_ node: Node, vcore: VcoreID)

    /// Releases the lock acquired with the same `node` and `vcore`.
    func unlock(_ node: Node, vcore: VcoreID)

    /// Acquires the lock only if that needs no waiting; true when acquired.
    func tryLock(_ node: Node, vcore: VcoreID) -> Bool

    /// Frees the lock's memory. No thread may use the lock (or a copy) afterwards.
    func deallocate()
}

/// Per-acquirer state a lock needs; made once per thread at setup, never on a
/// lock path.
public protocol LockNode: BitwiseCopyable, Sendable {
    /// Allocates a node (aligned memory for queue nodes; nothing for `NoNode`).
    static func allocate() -> Self
    /// Frees the node. It must not be queued on any lock.
    func deallocate()
}

/// The node of locks that need none: an empty value that costs nothing.
@frozen
public struct NoNode: LockNode {
    @inlinable public init() {}
    @inlinable public static func allocate() -> NoNode { NoNode() }
    @inlinable public func deallocate() {}
}
