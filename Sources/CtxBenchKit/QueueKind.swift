// QueueKind: the queues `ctxbench queue` measures, and their adapters.

import KernelCore
import CQueueReference

/// A queue `ctxbench queue` can drive: KernelCore's UCQ and BCQ, and the
/// references measured beside them (a mutex deque, ck_ring, ck_fifo_mpmc).
public enum QueueKind: String, CaseIterable, Sendable {
    case ucq, bcq, mutex
    case ckRing = "ck-ring"
    case ckFifo = "ck-fifo"

    /// The summary.csv variant: kbench's own queues by name, peers as references.
    public var variant: String {
        switch self {
        case .ucq, .bcq: return rawValue
        default: return "reference:\(rawValue)"
        }
    }

    /// The CQueueReference kind of a peer (nil for kbench's own queues).
    var referenceCode: Int32? {
        switch self {
        case .ckRing: return Int32(KB_QREF_CK_RING)
        case .ckFifo: return Int32(KB_QREF_CK_FIFO)
        case .mutex: return Int32(KB_QREF_MUTEX)
        case .ucq, .bcq: return nil
        }
    }

    /// Bounded queues report a full queue; the producer retries.
    public var isBounded: Bool { self == .bcq || self == .ckRing }
}

/// What the measuring loops need of a queue: fixed-size messages copied in and
/// out. Implemented by trivial structs, so the loops specialize per queue and
/// call no witness table.
public protocol BenchQueue: Sendable {
    /// Copies one message in; false when it is not queued (full, or out of memory).
    func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool
    /// Copies the next message out; false when the queue is empty.
    func dequeue(into out: UnsafeMutableRawPointer) -> Bool
}

/// KernelCore's UCQ.
public struct UCQBenchQueue: BenchQueue {
    public let queue: UnboundedConcurrentQueue
    // Always inlined, like the queue's own verbs: a call here puts the queue's
    // fields and the call's own stores on the stack, in the measured loops.
    @inlinable @inline(__always)
    public func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool { queue.produce(message) }
    @inlinable @inline(__always)
    public func dequeue(into out: UnsafeMutableRawPointer) -> Bool { queue.consume(into: out) }
}

/// KernelCore's BCQ; a full queue is a failed enqueue the producer counts.
public struct BCQBenchQueue: BenchQueue {
    public let queue: BoundedConcurrentQueue
    // Always inlined, as UCQBenchQueue's.
    @inlinable @inline(__always)
    public func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool { queue.enqueue(message) == .enqueued }
    @inlinable @inline(__always)
    public func dequeue(into out: UnsafeMutableRawPointer) -> Bool { queue.dequeue(into: out) }
}

/// Concurrency Kit's ck_ring, MPMC.
public struct CKRingBenchQueue: BenchQueue, @unchecked Sendable {
    public let handle: OpaquePointer
    @inlinable public func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool {
        kb_qref_ck_ring_enqueue(handle, message)
    }
    @inlinable public func dequeue(into out: UnsafeMutableRawPointer) -> Bool { kb_qref_ck_ring_dequeue(handle, out) }
}

/// Concurrency Kit's ck_fifo_mpmc, entries preallocated per producer.
public struct CKFifoBenchQueue: BenchQueue, @unchecked Sendable {
    public let handle: OpaquePointer
    @inlinable public func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool {
        kb_qref_ck_fifo_enqueue(handle, UInt32(truncatingIfNeeded: producer), message)
    }
    @inlinable public func dequeue(into out: UnsafeMutableRawPointer) -> Bool { kb_qref_ck_fifo_dequeue(handle, out) }
}

/// A pthread mutex around a growing circular buffer.
public struct MutexBenchQueue: BenchQueue, @unchecked Sendable {
    public let handle: OpaquePointer
    @inlinable public func enqueue(_ message: UnsafeRawPointer, producer: Int) -> Bool {
        kb_qref_mutex_enqueue(handle, message)
    }
    @inlinable public func dequeue(into out: UnsafeMutableRawPointer) -> Bool { kb_qref_mutex_dequeue(handle, out) }
}
