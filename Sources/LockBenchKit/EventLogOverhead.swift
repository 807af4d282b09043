// Uhlig's event-logging configurations (a)-(f) of Figures 6.7/6.8 on the
// same hot path, as ratios to (a), and their flatness over CPUs (Fig 6.9).

import BenchKit
import RunFormat
import CPlatform
import KernelCore
import Platform

/// One logging configuration.
public enum EventLogConfiguration: String, CaseIterable, Sendable {
    case a, b, c, d, e, f

    /// What the figure's legend says.
    public var meaning: String {
        switch self {
        case .a: "no logging code"
        case .b: "logging code, same domain"
        case .c: "accounting only"
        case .d: "one 4-byte entry"
        case .e: "four entries"
        case .f: "five entries with the TSC"
        }
    }

    /// The receiving domain's control word ((a) and (b) never read one).
    var control: EventLogControl {
        switch self {
        case .a, .b: .off
        case .c: .countOnly
        case .d: .records(words: 1)
        case .e: .records(words: 4)
        case .f: .records(words: 5, timestamp: true)
        }
    }
}

/// Uhlig's event raise on the IPC path, as the guard of the same loop (a)
/// runs (`dynamicGuardedBatch`): the sender is the running thread, whose
/// domain a kernel keeps at hand (here a register: it is this value's
/// field), and the receiver's domain is read from its control block on
/// every message. Same domain, (b): (a)'s loop plus one compare (the read is
/// its memory operand) and one not-taken branch. A different domain calls
/// `raise`, out of line, which goes through `EventLog.event` (the same test)
/// to the record, (c)-(f). `scripts/check-hot-paths` checks (b)'s loop
/// against (a)'s.
struct EventGuard: SectionGuard {
    let log: EventLog
    let sender: DomainID
    /// `MessageBuffers.receiverDomainWord` of the loop's buffers.
    let receiverDomain: UnsafePointer<UInt64>
    let cpu: Int
    /// The event's parameter: the message length, a constant of the batch.
    let parameter: UInt32

    @inline(__always) func enter() {
        // EventLog.event's test. The record path reads the word again itself,
        // so the hot read has the compare as its only use and folds into it.
        if _slowPath(sender != DomainID(truncatingIfNeeded: receiverDomain.pointee)) { raise() }
    }
    @inline(__always) func exit(_ held: Void) {}

    @inline(never)
    func raise() {
        log.event(from: sender, to: DomainID(truncatingIfNeeded: receiverDomain.pointee), cpu: cpu, parameter: parameter)
    }
}

/// One configuration's loop, set up: its own log (128-byte per-CPU buffers,
/// as Uhlig's evaluation). The receiver is in `receiverDomain`, whose
/// control word is the configuration's; the sender is in the same domain
/// for (b) and in another for (c)-(f).
struct EventLogSetup: Sendable {
    /// The receiving thread's domain (`MessageBuffers(receiverDomain:)`).
    static let receiverDomain: DomainID = 1
    let configuration: EventLogConfiguration
    let log: EventLog

    init(_ configuration: EventLogConfiguration, cpuSlots: Int) {
        self.configuration = configuration
        let words = max(1, configuration.control.words)
        // 128 bytes of log per CPU: the records that fit (a power of two).
        var records = 1
        while records * 2 * words * 4 <= 128 { records *= 2 }
        log = EventLog(domains: 3, cpuSlots: cpuSlots, backlog: records, recordWords: words)
        log.configure(1, configuration.control)
        log.configure(2, configuration.control)
    }

    /// The sending thread's domain.
    var sender: DomainID { configuration == .b ? Self.receiverDomain : Self.receiverDomain + 1 }

    /// One timed batch; (a) is the same loop with no guard at all. `work`'s
    /// receiver must be in `receiverDomain`.
    func batch(cpu: Int, work: MessageBuffers, iterations: Int) -> UInt64 {
        configuration == .a ? dynamicGuardedBatch(NoGuard(), work: work, iterations: iterations)
            : dynamicGuardedBatch(EventGuard(log: log, sender: sender, receiverDomain: work.receiverDomainWord, cpu: cpu,
                                             parameter: UInt32(truncatingIfNeeded: work.words)),
                                  work: work, iterations: iterations)
    }

    func deallocate() { log.deallocate() }
}

public enum EventLogOverhead {
    /// `eventlog_overhead` rows on the calling (pinned) thread: one per
    /// configuration (metric `op`, ns), then each as a ratio to (a).
    public static func measure(runner: TrialRunner, messageWords: Int) -> [Measurement] {
        let work = MessageBuffers(words: messageWords, receiverDomain: EventLogSetup.receiverDomain)
        let setups = EventLogConfiguration.allCases.map { EventLogSetup($0, cpuSlots: 1) }
        defer { setups.forEach { $0.deallocate() }; work.deallocate() }
        var batches = setups.map { setup in
            TimedBatch(benchmark: "eventlog_overhead", variant: setup.configuration.rawValue, metric: "op") {
                setup.batch(cpu: 0, work: work, iterations: $0)
            }
        }
        let rows = InterleavedTrials.run(&batches, runner: runner, param: "log_bytes=128 message_words=\(messageWords)")
        guard let base = rows.first(where: { $0.variant == "a" }) else { return rows }
        return rows + rows.compactMap { InterleavedTrials.ratio($0, to: base, name: "a") }
    }

    /// `eventlog_scaling` rows: every configuration on 1, 2, ... of `cpus` at
    /// once (one ThreadTeam per CPU count, each member its own CPU slot and
    /// buffers), the mean per-operation cost over members per trial, and its
    /// ratio to (a) at the same CPU count. The configurations run interleaved
    /// inside the one team, as on one CPU: trial i of (b) is paired with
    /// trial i of (a) from the same round, not from a team launched later.
    public static func scaling(cpus: [Int], runner: TrialRunner, messageWords: Int, scheduling: TeamScheduling) throws -> [Measurement] {
        var rows: [Measurement] = []
        let configurations = EventLogConfiguration.allCases
        for count in 1...cpus.count where !StopRequest.isRequested {
            let setups = configurations.map { EventLogSetup($0, cpuSlots: count) }
            defer { setups.forEach { $0.deallocate() } }
            let perConfiguration = try TeamTrials.run(cpus: Array(cpus.prefix(count)), variants: setups.count, runner: runner,
                                                      messageWords: messageWords, scheduling: scheduling) { variant, member, work, iterations in
                setups[variant].batch(cpu: member, work: work, iterations: iterations)
            }
            var base: Measurement?
            for (configuration, perMember) in zip(configurations, perConfiguration) {
                guard let statistics = SampleStatistics(perMember) else { continue }
                let row = Measurement(benchmark: "eventlog_scaling", variant: configuration.rawValue, threads: count,
                                      param: "log_bytes=128 message_words=\(messageWords)", metric: "op", unit: "ns", lowerIsBetter: true,
                                      statistics: statistics, trials: perMember)
                rows.append(row)
                if configuration == .a { base = row }
                if let base, let ratio = InterleavedTrials.ratio(row, to: base, name: "a") { rows.append(ratio) }
            }
        }
        return rows
    }
}

/// Every member of a team runs `variants` timed batches `runner.trials`
/// times on its own CPU, starting together: round r runs one trial of each
/// variant, starting at variant r mod k (as `InterleavedTrials` on one CPU),
/// so drift hits every variant alike. The result is, per variant and trial,
/// the mean ns per operation over members.
enum TeamTrials {
    static func run(cpus: [Int], variants: Int, runner: TrialRunner, messageWords: Int, scheduling: TeamScheduling,
                    batch: @escaping @Sendable (_ variant: Int, _ member: Int, MessageBuffers, _ iterations: Int) -> UInt64)
        throws -> [[Double]] {
        let trials = runner.trials, iterations = runner.iterations, warmup = runner.warmupBatches
        let team = ThreadTeam(cpus: cpus, scheduling: scheduling) { _, _ in
            TrialSlots(trials: trials * variants, messageWords: messageWords)
        }
        try team.launch(body: { member, slots in
            for variant in 0..<variants {
                for _ in 0..<warmup { _ = batch(variant, member.index, slots.work, iterations) }
            }
            for trial in 0..<trials where !member.shouldStop {
                for offset in 0..<variants {
                    let variant = (trial + offset) % variants
                    slots.ticks[variant * trials + trial] = batch(variant, member.index, slots.work, iterations)
                }
            }
        })
        team.release()
        let joined = team.join(timeout: .seconds(600))
        // An abandoned member may still write its slots: they are leaked with it.
        guard joined.joined else { throw TeamTrialsError(abandoned: joined.abandoned) }
        defer { team.workspaces.forEach { $0.deallocate() } }
        return (0..<variants).map { variant in
            (0..<trials).map { trial in
                let total = team.workspaces.reduce(0.0) { sum, slots in
                    let ticks = slots.ticks[variant * trials + trial]
                    let net = ticks > runner.overheadTicks ? ticks - runner.overheadTicks : 0
                    return sum + runner.clock.nanoseconds(net) / Double(iterations)
                }
                return total / Double(cpus.count)
            }
        }
    }
}

/// A member's trial results and its own message buffers, made before it starts.
struct TrialSlots: @unchecked Sendable {
    let ticks: UnsafeMutablePointer<UInt64>
    let work: MessageBuffers
    init(trials: Int, messageWords: Int) {
        ticks = .allocate(capacity: trials)
        ticks.initialize(repeating: 0, count: trials)
        work = MessageBuffers(words: messageWords, receiverDomain: EventLogSetup.receiverDomain)
    }
    func deallocate() { ticks.deallocate(); work.deallocate() }
}

struct TeamTrialsError: Error, CustomStringConvertible {
    let abandoned: [Int]
    var description: String { "team members \(abandoned) did not finish" }
}
