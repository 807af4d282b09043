// QueueRound: one round of one queue: a fresh queue, pinned producers and
// consumers on a thread team, every message checked.

import Platform
import BenchKit
import CPlatform
import CQueueReference
import KernelCore
import Glibc

/// What one round measured.
public struct QueueRoundResult: Sendable {
    public var kind: QueueKind
    /// First TSC tick (the team's start) to the last message received.
    public var elapsedTicks: UInt64
    public var messages: Int
    /// Produce-to-consume latency samples, ticks.
    public var latencyTicks: [UInt64]
    /// Enqueues refused because the queue was full (bounded queues).
    public var failedEnqueues: Int
    /// Bytes the queue held at most and at the end; pages it mapped and unmapped (UCQ).
    public var peakBytes: Int, finalBytes: Int, pagesMapped: Int, pagesUnmapped: Int
    /// What each member's thread ran under (for meta.json).
    public var scheduling: [MemberScheduling]
    /// The round ran past its budget and was stopped: `messages` is what it
    /// delivered by then (each checked exactly once), not the round's total.
    public var collapsed = false
}

/// A round that could not finish.
public struct QueueRoundError: Error, CustomStringConvertible {
    public var description: String
    /// Members were abandoned still running: the queue they use must be leaked, not freed.
    public var abandoned: Bool
}

/// One member's workspace: its role and message buffer (and a consumer's ledger).
final class QueueMember: @unchecked Sendable {
    let producer: Int?
    let ledger: QueueLedger?
    let message: UnsafeMutablePointer<UInt64>
    var failed = 0
    /// Messages a producer sent (all of its share unless the round was stopped).
    var sent = 0

    init(producer: Int?, ledger: QueueLedger?, words: Int) {
        self.producer = producer
        self.ledger = ledger
        message = .allocate(capacity: words)
        message.initialize(repeating: 0, count: words)
    }
    deinit { message.deallocate() }
}

enum QueueRound {
    /// Runs one round of `kind` under `configuration`. Throws a
    /// `QueueViolation` when exactly-once (or promised order) broke, a
    /// `QueueError` when the queue cannot be made, `QueueRoundError` on a stall.
    static func run(_ kind: QueueKind, _ configuration: QueueConfiguration,
                    scheduling: TeamScheduling, clock: TSCClock, stallSeconds: Double = 20) throws -> QueueRoundResult {
        let c = configuration
        switch kind {
        case .ucq:
            let queue = try UnboundedConcurrentQueue(layout: try UCQLayout(messageBytes: c.messageBytes,
                                                                            pageBytes: c.ucqPageBytes))
            var result = try freeing(queue.destroy) {
                do { return try drive(UCQBenchQueue(queue: queue), kind, c, scheduling, clock, stallSeconds) } catch var error as QueueRoundError {
                    error.description += " (\(queue.stateDescription))"
                    throw error
                }
            }
            let stats = queue.statistics
            result.peakBytes = stats.peakPages * stats.pageBytes
            result.finalBytes = stats.currentPages * stats.pageBytes
            result.pagesMapped = stats.pagesMapped
            result.pagesUnmapped = stats.pagesUnmapped
            queue.destroy()
            return result
        case .bcq:
            let queue = try BoundedConcurrentQueue(capacity: c.ringSlots, messageBytes: c.messageBytes)
            var result = try freeing(queue.destroy) { try drive(BCQBenchQueue(queue: queue), kind, c, scheduling, clock, stallSeconds) }
            (result.peakBytes, result.finalBytes) = (queue.bytes, queue.bytes)
            queue.destroy()
            return result
        case .ckRing, .ckFifo, .mutex:
            let code = kind.referenceCode ?? 0
            guard let handle = kb_qref_create(code, UInt32(c.messageBytes), UInt32(c.ringSlots),
                                              UInt32(c.producers), UInt64(c.perProducer)) else {
                throw QueueError.noMemory(bytes: Int(c.bookkeepingBytes), errno: ENOMEM)
            }
            return try freeing({ kb_qref_destroy(handle) }) {
                var result: QueueRoundResult
                switch kind {
                case .ckRing: result = try drive(CKRingBenchQueue(handle: handle), kind, c, scheduling, clock, stallSeconds)
                case .ckFifo: result = try drive(CKFifoBenchQueue(handle: handle), kind, c, scheduling, clock, stallSeconds)
                default: result = try drive(MutexBenchQueue(handle: handle), kind, c, scheduling, clock, stallSeconds)
                }
                result.peakBytes = Int(kb_qref_peak_bytes(handle))
                result.finalBytes = Int(kb_qref_current_bytes(handle))
                kb_qref_destroy(handle)
                return result
            }
        }
    }

    /// Runs `body`; when it throws, frees the queue with `destroy` (on
    /// success the caller frees it after reading its statistics). A round whose members were abandoned
    /// still running leaks the queue instead: they may still touch it.
    static func freeing<R>(_ destroy: () -> Void, _ body: () throws -> R) throws -> R {
        do {
            let result = try body()
            return result
        } catch let error as QueueRoundError where error.abandoned {
            throw error
        } catch {
            destroy()
            throw error
        }
    }

    /// Producers first, then consumers, each pinned (CPU lists cycled).
    static func drive<Q: BenchQueue>(_ queue: Q, _ kind: QueueKind, _ c: QueueConfiguration,
                                     _ scheduling: TeamScheduling, _ clock: TSCClock, _ stallSeconds: Double) throws -> QueueRoundResult {
        let plan = QueuePlan(producers: c.producers, perProducer: c.perProducer, words: c.messageBytes / 8,
                             burstPerProducer: c.burstPerProducer, checksOrder: c.consumers == 1)
        let cpus = (0..<c.producers).map { c.producerCPUs[$0 % c.producerCPUs.count] }
            + (0..<c.consumers).map { c.consumerCPUs[$0 % c.consumerCPUs.count] }
        let control = QueueControl()
        let team = ThreadTeam(cpus: cpus, scheduling: scheduling) { index, _ in
            index < c.producers
                ? QueueMember(producer: index, ledger: nil, words: plan.words)
                : QueueMember(producer: nil, ledger: QueueLedger(producers: c.producers, perProducer: c.perProducer,
                                                                  total: c.total), words: plan.words)
        }
        try team.launch(body: { member, workspace in
            member.waitForStartTick()
            if let producer = workspace.producer {
                (workspace.failed, workspace.sent) = produceMessages(queue, producer: producer, plan: plan, control: control,
                                                                     message: workspace.message, member: member)
            } else if let ledger = workspace.ledger {
                consumeMessages(queue, plan: plan, control: control, ledger: ledger,
                                message: workspace.message, member: member)
            }
        })
        let start = team.release(leadTicks: clock.ticks(nanoseconds: 2_000_000))
        // Progress for the stall watchdog: producers done plus members finished.
        let watchdog = try team.watch(timeoutSeconds: stallSeconds, progress: {
            UInt64(control.progress.pointee.load(ordering: .relaxed))
        }, onStall: { _ in })
        var collapsed = false
        let budgetEnd = monotonicNanos() &+ UInt64(c.roundBudgetSeconds * 1e9)
        while team.finishedCount < cpus.count {
            if StopRequest.isRequested { team.requestStop() }
            if !collapsed && monotonicNanos() > budgetEnd {
                // Past the budget: stop the members between messages; they
                // drain what was sent, so exactly-once is still checked.
                collapsed = true
                team.requestStop()
            }
            sleepNanoseconds(2_000_000)
            // No progress at all for `stallSeconds`: the watchdog asked the
            // members to stop; if they do, the round is a collapsed one too.
            if watchdog.hasFired { collapsed = true; break }
        }
        watchdog.stop()
        let joined = team.join(timeout: .seconds(5))
        defer { if joined.joined { control.deallocate() } }
        if !joined.joined {
            throw QueueRoundError(description: "\(kind.rawValue): stopped after \(watchdog.hasFired ? "no progress for \(Int(stallSeconds)) s" : "its budget"), members \(joined.abandoned) did not stop within 5 s; the queue stalled", abandoned: true)
        }
        let ledgers = team.workspaces.compactMap(\.ledger)
        // A round cut short is checked against what each producer sent.
        let sent = collapsed || StopRequest.isRequested ? team.workspaces.filter { $0.producer != nil }.map(\.sent) : nil
        if let violation = QueueLedger.firstViolation(ledgers, sent: sent) { throw violation }
        let end = ledgers.map(\.state.lastTick).max() ?? start
        return QueueRoundResult(kind: kind, elapsedTicks: end > start ? end - start : 0,
                                messages: ledgers.reduce(0) { $0 + $1.state.received },
                                latencyTicks: ledgers.flatMap { Array($0.latencyTicks) },
                                failedEnqueues: team.workspaces.reduce(0) { $0 + $1.failed },
                                peakBytes: 0, finalBytes: 0, pagesMapped: 0, pagesUnmapped: 0,
                                scheduling: team.memberScheduling, collapsed: collapsed)
    }
}
