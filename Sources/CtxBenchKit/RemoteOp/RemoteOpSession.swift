// `ctxbench remote-op`: Uhlig's comparison of lock-based and message-based
// cross-CPU operations (his thesis, the remote ready-list insertion: message-
// based 153-170% slower), on a hash table owned by one CPU.

import BenchKit
import CPlatform
import Glibc
import KernelCore
import Platform
import RunFormat
import Synchronization

/// One way of inserting into the owner's table.
public enum RemoteOpMode: Sendable, Equatable, CustomStringConvertible {
    case lock(String)          // "spin", "ticket", "mcs"
    case message(RemoteWake)

    public static let locks = ["spin", "ticket", "mcs"]
    public static let all: [RemoteOpMode] = locks.map { .lock($0) } + RemoteWake.allCases.map { .message($0) }

    public var description: String {
        switch self {
        case .lock(let name): "lock_\(name)"
        case .message(let wake): "message_\(wake.rawValue)"
        }
    }

    /// Parses a variant name as `description` spells it.
    public init?(_ name: String) {
        guard let mode = Self.all.first(where: { $0.description == name }) else { return nil }
        self = mode
    }
}

/// The table a mode left differs from the one the same operations leave
/// when replayed on one thread: the mode lost or doubled an insertion.
public struct RemoteOpStateMismatch: Error, CustomStringConvertible, Sendable {
    public let mode: RemoteOpMode
    public let operations: UInt64
    public let firstSlot: Int
    public var description: String {
        "remote-op \(mode): after \(operations) insertions the table differs from the replayed one at slot \(firstSlot): an insertion was lost or doubled"
    }
}

/// Runs ctxbench remote-op.
public enum RemoteOpSession {
    /// One mode's result: the measurement and the table it left.
    public struct ModeResult: Sendable {
        public var mode: RemoteOpMode
        public var measurement: Measurement?
        public var operations: UInt64
        public var table: [RemoteTableSlot]
        /// Hybrid only: times the owner fell back to sleeping.
        public var ownerSleeps: UInt64
        public var scheduling: [MemberScheduling]
    }

    final class Outcome: @unchecked Sendable {
        var measurement: Measurement?
        var operations: UInt64 = 0
        var completed = true
        let done = Atomic<Bool>(false)
    }

    /// Measures `mode` with the requester on `cpu` and the table's owner on
    /// `ownerCPU`, then checks the table against a replay of the same
    /// operations (throws `RemoteOpStateMismatch` when it differs).
    public static func measure(_ mode: RemoteOpMode, cpu: Int, ownerCPU: Int, runner: TrialRunner,
                               scheduling: TeamScheduling = .inherit) throws -> ModeResult {
        let table = RemoteTable()
        let stop = CacheLineBox(Atomic<Bool>(false))
        let mailbox: RemoteMailbox? = if case .message(let wake) = mode { try RemoteMailbox(wake: wake) } else { nil }
        let remoteLock: RemoteLock? = switch mode {
        case .lock("ticket"): .ticket(TicketLock())
        case .lock("mcs"): .mcs(MCSLock(), QueueNode.allocate())
        case .lock: .spin(SpinLock())
        case .message: nil
        }
        var abandoned = false
        defer {
            if !abandoned {
                table.deallocate(); stop.deallocate(); mailbox?.deallocate()
                switch remoteLock {
                case .spin(let lock): lock.deallocate()
                case .ticket(let lock): lock.deallocate()
                case .mcs(let lock, let node): lock.deallocate(); node.deallocate()
                case nil: break
                }
            }
        }
        let team = ThreadTeam(cpus: [cpu, ownerCPU], scheduling: scheduling) { _, _ in Outcome() }
        switch mode {
        case .lock:
            try launch(team, lock: remoteLock!, table: table, stop: stop, runner: runner)
        case .message:
            let mailbox = mailbox!
            try team.launch(body: { member, outcome in
                if member.index == 1 { mailbox.serve(table, stop: stop.pointer); return }
                var insert = MailboxInsert(mailbox: mailbox, stop: stop.pointer)
                outcome.measurement = runner.measure(&insert, threads: 2, param: "cpu=\(cpu);owner=\(ownerCPU)")
                outcome.operations = insert.operations
                outcome.completed = insert.completed
                outcome.done.store(true, ordering: .releasing)
            })
        }
        team.release()
        let requester = team.workspaces[0]
        while !requester.done.load(ordering: .acquiring) && !StopRequest.isRequested { sleepNanoseconds(2_000_000) }
        stop.pointee.store(true, ordering: .relaxed)
        mailbox?.poke()
        guard team.join(timeout: .seconds(5)).joined else {
            abandoned = true
            throw SystemCallError("remote-op \(mode): a thread did not stop within 5 s", errno: ETIMEDOUT)
        }
        let contents = table.contents
        if requester.completed && requester.done.load(ordering: .acquiring) {
            let replayed = RemoteTable.replay(operations: requester.operations)
            if let slot = zip(contents, replayed).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                throw RemoteOpStateMismatch(mode: mode, operations: requester.operations, firstSlot: slot)
            }
        }
        return ModeResult(mode: mode, measurement: requester.measurement, operations: requester.operations, table: contents,
                          ownerSleeps: mailbox?.hybridSleeps ?? 0, scheduling: team.memberScheduling)
    }

    /// The lock modes: the requester inserts under `lock`; the owner keeps
    /// using its table, a lookup under the lock every 64 pauses, so the
    /// table's lines travel between the CPUs as a run queue's do when its
    /// CPU schedules from it.
    private static func launch(_ team: ThreadTeam<Outcome>, lock: RemoteLock, table: RemoteTable,
                               stop: CacheLineBox<Atomic<Bool>>, runner: TrialRunner) throws {
        try team.launch(body: { member, outcome in
            if member.index == 1 {
                switch lock {
                case .spin(let lock): ownerWork(lock: lock, node: NoNode(), table: table, stop: stop.pointer)
                case .ticket(let lock): ownerWork(lock: lock, node: NoNode(), table: table, stop: stop.pointer)
                case .mcs(let lock, _):
                    // The owner's own queue node; the requester's is in `lock`.
                    let node = QueueNode.allocate()
                    ownerWork(lock: lock, node: node, table: table, stop: stop.pointer)
                    node.deallocate()
                }
                return
            }
            var insert = LockedInsert(lock: lock, table: table)
            outcome.measurement = runner.measure(&insert, threads: 2, param: "cpu=\(team.cpus[0]);owner=\(team.cpus[1])")
            outcome.operations = insert.operations
            outcome.done.store(true, ordering: .releasing)
        })
    }

    private static func ownerWork<L: KernelLock>(lock: L, node: L.Node, table: RemoteTable,
                                                 stop: UnsafeMutablePointer<Atomic<Bool>>) {
        var key: UInt32 = 1
        while !stop.pointee.load(ordering: .relaxed) {
            lock.lock(node, vcore: 1)
            kb_keep(table.lookup(key: key))
            lock.unlock(node, vcore: 1)
            key = key % RemoteTable.keys + 1
            for _ in 0..<64 { kb_pause() }
        }
    }

    /// Every mode of `modes`, then the ratio of each message mode to each
    /// lock mode (per trial: message trial i over lock trial i), and the run
    /// directory. Throws `RemoteOpStateMismatch` (after writing what was
    /// measured) when a mode's table differs from the replay, or the modes'
    /// tables differ from each other.
    public static func run(_ modes: [RemoteOpMode], cpu: Int, ownerCPU: Int, runner: TrialRunner,
                           benchRun: BenchRun) throws -> [Measurement] {
        var results: [ModeResult] = []
        var measurements: [Measurement] = []
        do {
            for mode in modes where !StopRequest.isRequested {
                let result = try measure(mode, cpu: cpu, ownerCPU: ownerCPU, runner: runner, scheduling: benchRun.teamScheduling)
                for (index, scheduling) in result.scheduling.enumerated() {
                    benchRun.recordScheduling(scheduling, thread: "\(mode)-\(index == 0 ? "requester" : "owner")@cpu\(index == 0 ? cpu : ownerCPU)")
                }
                if case .message(.hybrid) = mode {
                    benchRun.setParameter("hybrid_owner_sleeps", .int(Int64(result.ownerSleeps)))
                }
                if let m = result.measurement { measurements += [m, m.inTicks(benchRun.clock)] }
                results.append(result)
            }
            if !StopRequest.isRequested, let first = results.first,
               let other = results.first(where: { $0.operations == first.operations && $0.table != first.table }) {
                throw RemoteOpStateMismatch(mode: other.mode, operations: other.operations,
                                            firstSlot: zip(first.table, other.table).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0)
            }
        } catch {
            try benchRun.finish(measurements: measurements, complete: false)
            throw error
        }
        measurements += ratios(results)
        try benchRun.finish(measurements: measurements, complete: !StopRequest.isRequested)
        return measurements
    }

    /// message / lock per trial, for every pair measured.
    static func ratios(_ results: [ModeResult]) -> [Measurement] {
        var rows: [Measurement] = []
        for message in results {
            guard case .message = message.mode, let m = message.measurement else { continue }
            for lock in results {
                guard case .lock = lock.mode, let l = lock.measurement else { continue }
                if let row = Measurement.ratio(m, over: l, benchmark: "remote_op",
                                               param: "message=\(message.mode);lock=\(lock.mode)", metric: "message_over_lock") {
                    rows.append(row)
                }
            }
        }
        return rows
    }
}
