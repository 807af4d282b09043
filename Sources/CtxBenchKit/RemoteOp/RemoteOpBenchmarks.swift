// The two ways of ctxbench remote-op, as the requester's measured batches.

import BenchKit
import CPlatform
import KernelCore
import Synchronization

/// Lock-based: the requester, on its own CPU, takes the owner's lock and
/// inserts into the owner's table itself (the table's lines come to it,
/// and go back when the owner works on its table).
public struct LockedInsert<L: KernelLock>: TrialBenchmark {
    public let benchmark = "remote_op", metric = "insert"
    public var variant: String { "lock_\(L.name)" }
    let lock: L, node: L.Node, table: RemoteTable
    /// Operations done so far (operation n inserts `RemoteTable.operation(n)`).
    public private(set) var operations: UInt64 = 0

    init(lock: L, node: L.Node, table: RemoteTable) {
        self.lock = lock
        self.node = node
        self.table = table
    }

    public mutating func runBatch(iterations: Int) -> UInt64 {
        let lock = self.lock, node = self.node, table = self.table
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

    public mutating func runBatch(iterations: Int) -> UInt64 {
        guard completed else { return 0 }
        let mailbox = self.mailbox, stop = self.stop
        var n = operations, completed = true
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations {
            let (key, value) = RemoteTable.operation(n &+ 1)
            if !mailbox.request(UInt32(truncatingIfNeeded: n &+ 1), key: key, value: value, stop: stop) {
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
