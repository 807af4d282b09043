// The two ways of ctxbench remote-op, as the requester's measured batches.

import BenchKit
import CPlatform
import KernelCore
import Synchronization

/// The lock a `LockedInsert` takes, with the node it needs.
public enum RemoteLock: Sendable {
    case spin(SpinLock), ticket(TicketLock), mcs(MCSLock, QueueNode)

    public var name: String {
        switch self {
        case .spin: SpinLock.name
        case .ticket: TicketLock.name
        case .mcs: MCSLock.name
        }
    }
}

/// Lock-based: the requester, on its own CPU, takes the owner's lock and
/// inserts into the owner's table itself (the table's lines come to it,
/// and go back when the owner works on its table).
///
/// Not generic: the lock is chosen once per batch (an if chain, outside the
/// loop) and each branch runs the loop specialized for its lock, so the
/// measured loops are in this function, where scripts/check-hot-paths looks.
public struct LockedInsert: TrialBenchmark {
    public let benchmark = "remote_op", metric = "insert"
    public var variant: String { "lock_\(lock.name)" }
    let lock: RemoteLock, table: RemoteTable
    /// Operations done so far (operation n inserts `RemoteTable.operation(n)`).
    public private(set) var operations: UInt64 = 0

    init(lock: RemoteLock, table: RemoteTable) {
        self.lock = lock
        self.table = table
    }

    public mutating func runBatch(iterations: Int) -> UInt64 {
        if case .spin(let lock) = lock { return Self.batch(lock, NoNode(), table, iterations, &operations) }
        if case .ticket(let lock) = lock { return Self.batch(lock, NoNode(), table, iterations, &operations) }
        if case .mcs(let lock, let node) = lock { return Self.batch(lock, node, table, iterations, &operations) }
        return 0
    }

    @inline(__always)
    static func batch<L: KernelLock>(_ lock: L, _ node: L.Node, _ table: RemoteTable, _ iterations: Int,
                                     _ operations: inout UInt64) -> UInt64 {
        var n = operations
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations {
            n &+= 1
            let (key, value) = RemoteTable.operation(n)
            lock.lock(node, vcore: 0)
            table.insert(key: key, value: value)
            lock.unlock(node, vcore: 0)
        }
        let elapsed = kb_rdtsc_end() &- start
        operations = n
        return elapsed
    }
}

/// Message-based: the requester asks the owner through the mailbox and waits
/// for its completion; the owner inserts into its own table.
public struct MailboxInsert: TrialBenchmark {
    public let benchmark = "remote_op", metric = "insert"
    public var variant: String { "message_\(mailbox.wake.rawValue)" }
    let mailbox: RemoteMailbox
    let stop: UnsafeMutablePointer<Atomic<Bool>>
    public private(set) var operations: UInt64 = 0
    /// False once a wait was cut short by a stop (the batch ended early).
    public private(set) var completed = true

    init(mailbox: RemoteMailbox, stop: UnsafeMutablePointer<Atomic<Bool>>) {
        self.mailbox = mailbox
        self.stop = stop
    }

    /// The wake-up is chosen once per batch (an if chain outside the loop);
    /// each branch inlines `request` with a constant `wake`, whose switches fold.
    public mutating func runBatch(iterations: Int) -> UInt64 {
        guard completed else { return 0 }
        let wake = mailbox.wake
        if wake == .polled { return batch(.polled, iterations) }
        if wake == .futex { return batch(.futex, iterations) }
        if wake == .eventfd { return batch(.eventfd, iterations) }
        return batch(.hybrid, iterations)
    }

    @inline(__always)
    mutating func batch(_ wake: RemoteWake, _ iterations: Int) -> UInt64 {
        let mailbox = self.mailbox, stop = self.stop
        var n = operations, completed = true
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations {
            let (key, value) = RemoteTable.operation(n &+ 1)
            if !mailbox.request(UInt32(truncatingIfNeeded: n &+ 1), key: key, value: value, wake: wake, stop: stop) {
                completed = false
                break
            }
            n &+= 1
        }
        let elapsed = kb_rdtsc_end() &- start
        operations = n
        self.completed = completed
        return elapsed
    }
}
