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

/// Two threads' control blocks as the hot path sees them: the domain id of
/// the sender and of the receiver, read from memory on every message.
@frozen
public struct ThreadDomains: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let ids: UnsafeMutablePointer<DomainID>
    init(_ a: DomainID, _ b: DomainID) {
        ids = CacheLine.allocate(lines: 1).bindMemory(to: DomainID.self, capacity: 2)
        ids[0] = a
        ids[1] = b
    }
    func deallocate() { CacheLine.free(UnsafeMutableRawPointer(ids)) }
}

/// `iterations` transfers, each raising the event of a message from one
/// thread to the other (alternating), logged as the configuration says.
@inline(never)
func eventLogBatch(_ log: EventLog, domains: ThreadDomains, cpu: Int, work: MessageBuffers,
                   iterations: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for index in 0..<iterations {
        work.transfer(tag: UInt64(truncatingIfNeeded: index))
        let side = index & 1
        log.event(from: domains.ids[side], to: domains.ids[side ^ 1], cpu: cpu,
                  parameter: UInt32(truncatingIfNeeded: index))
    }
    return kb_rdtsc_end() &- start
}

/// One configuration's loop, set up: its own log (128-byte per-CPU buffers,
/// as Uhlig's evaluation) and domains.
struct EventLogSetup {
    let configuration: EventLogConfiguration
    let log: EventLog
    let domains: ThreadDomains

    init(_ configuration: EventLogConfiguration, cpuSlots: Int) {
        self.configuration = configuration
        let words = max(1, configuration.control.words)
        // 128 bytes of log per CPU: the records that fit (a power of two).
        var records = 1
        while records * 2 * words * 4 <= 128 { records *= 2 }
        log = EventLog(domains: 3, cpuSlots: cpuSlots, backlog: records, recordWords: words)
        log.configure(1, configuration.control)
        log.configure(2, configuration.control)
        domains = configuration == .b ? ThreadDomains(1, 1) : ThreadDomains(1, 2)
    }

    func batch(cpu: Int, work: MessageBuffers, iterations: Int) -> UInt64 {
        configuration == .a ? dynamicGuardedBatch(NoGuard(), work: work, iterations: iterations)
            : eventLogBatch(log, domains: domains, cpu: cpu, work: work, iterations: iterations)
    }

    func deallocate() { log.deallocate(); domains.deallocate() }
}

public enum EventLogOverhead {
    /// `eventlog_overhead` rows on the calling (pinned) thread: one per
    /// configuration (metric `op`, ns), then each as a ratio to (a).
    public static func measure(runner: TrialRunner, messageWords: Int) -> [Measurement] {
        let work = MessageBuffers(words: messageWords)
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
    /// once (a ThreadTeam, each member its own CPU slot and buffers), the
    /// mean per-operation cost over members per trial, and its ratio to (a)
    /// at the same CPU count.
    public static func scaling(cpus: [Int], runner: TrialRunner, messageWords: Int, scheduling: TeamScheduling) throws -> [Measurement] {
        var rows: [Measurement] = []
        for count in 1...cpus.count where !StopRequest.isRequested {
            var base: Measurement?
            for configuration in EventLogConfiguration.allCases {
                let setup = EventLogSetup(configuration, cpuSlots: count)
                defer { setup.deallocate() }
                let perMember = try TeamTrials.run(cpus: Array(cpus.prefix(count)), runner: runner,
                                                   messageWords: messageWords, scheduling: scheduling) { member, work, iterations in
                    setup.batch(cpu: member, work: work, iterations: iterations)
                }
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

/// Every member of a team runs the same timed batch `runner.trials` times
/// on its own CPU, starting together; the result is, per trial, the mean
/// ns per operation over members.
enum TeamTrials {
    static func run(cpus: [Int], runner: TrialRunner, messageWords: Int, scheduling: TeamScheduling,
                    batch: @escaping @Sendable (_ member: Int, MessageBuffers, _ iterations: Int) -> UInt64) throws -> [Double] {
        let trials = runner.trials, iterations = runner.iterations, warmup = runner.warmupBatches
        let team = ThreadTeam(cpus: cpus, scheduling: scheduling) { _, _ in
            TrialSlots(trials: trials, messageWords: messageWords)
        }
        try team.launch(body: { member, slots in
            for _ in 0..<warmup { _ = batch(member.index, slots.work, iterations) }
            for trial in 0..<trials where !member.shouldStop {
                slots.ticks[trial] = batch(member.index, slots.work, iterations)
            }
        })
        team.release()
        let joined = team.join(timeout: .seconds(600))
        // An abandoned member may still write its slots: they are leaked with it.
        guard joined.joined else { throw TeamTrialsError(abandoned: joined.abandoned) }
        defer { team.workspaces.forEach { $0.deallocate() } }
        return (0..<trials).map { trial in
            let total = team.workspaces.reduce(0.0) { sum, slots in
                let net = slots.ticks[trial] > runner.overheadTicks ? slots.ticks[trial] - runner.overheadTicks : 0
                return sum + runner.clock.nanoseconds(net) / Double(iterations)
            }
            return total / Double(cpus.count)
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
        work = MessageBuffers(words: messageWords)
    }
    func deallocate() { ticks.deallocate(); work.deallocate() }
}

struct TeamTrialsError: Error, CustomStringConvertible {
    let abandoned: [Int]
    var description: String { "team members \(abandoned) did not finish" }
}
