// `ctxbench queue`: every asked-for queue, round after round (interleaved so
// the host's drift touches all alike), then one run directory.

import Platform
import BenchKit
import RunFormat
import Glibc

/// Measures message queues: throughput, produce-to-consume latency, memory.
public enum QueueSession {
    /// One queue's figures over all rounds.
    public struct Summary: Sendable {
        public var kind: QueueKind
        public var measurements: [Measurement]
        /// These rows are of rounds stopped at their budget (param `;collapsed`).
        public var collapsed = false
    }

    /// Runs `configuration.rounds` rounds of each queue and writes summary.csv,
    /// trials.csv and meta.json; returns the rows per queue and the
    /// uncontended pairs (with the CAS floor). Throws a `QueueViolation` (after writing the
    /// run, marked incomplete) when a queue broke exactly-once or promised order.
    public static func run(_ configuration: QueueConfiguration, benchRun: BenchRun,
                           progress: (String) -> Void = { _ in }) throws -> (summaries: [Summary], pairs: [Measurement]) {
        let c = configuration
        benchRun.setParameter("checks_order", .bool(c.consumers == 1))
        var results: [QueueKind: [QueueRoundResult]] = [:]
        var failure: (any Error)?
        let pairs = try measurePairs(c, benchRun: benchRun)
        rounds: for round in 0..<c.rounds {
            for kind in c.queues {
                if StopRequest.isRequested { break rounds }
                do {
                    let result = try QueueRound.run(kind, c, scheduling: benchRun.teamScheduling, clock: benchRun.clock)
                    results[kind, default: []].append(result)
                    if round == 0 {
                        for (index, scheduling) in result.scheduling.enumerated() {
                            let role = index < c.producers ? "producer\(index)" : "consumer\(index - c.producers)"
                            benchRun.recordScheduling(scheduling, thread: "\(kind.rawValue)-\(role)")
                        }
                    }
                    progress("round \(round + 1)/\(c.rounds) \(kind.rawValue): "
                             + "\(CSVFormat.number((benchRun.clock.nanoseconds(result.elapsedTicks) / Double(max(1, result.messages)) * 10).rounded() / 10)) ns/message"
                             + (result.collapsed ? " (collapsed)" : ""))
                    if result.collapsed {
                        benchRun.warn("queue \(kind.rawValue) round \(round + 1) collapsed: stopped after its \(CSVFormat.number(c.roundBudgetSeconds)) s budget (or no progress) with \(result.messages) of \(c.total) messages delivered, each exactly once; recorded as rows with param ';collapsed'")
                    }
                } catch let violation as QueueViolation {
                    failure = QueueRunFailure(kind: kind, round: round + 1, reason: violation.description)
                    break rounds
                } catch {
                    failure = error
                    break rounds
                }
            }
        }
        // Whole rounds and collapsed ones are separate rows: a collapsed
        // round's figures say what it achieved, not what the queue costs.
        let summaries = c.queues.flatMap { kind in
            [false, true].compactMap { collapsed -> Summary? in
                let rounds = (results[kind] ?? []).filter { $0.collapsed == collapsed }
                if rounds.isEmpty { return nil }
                return Summary(kind: kind, measurements: measurements(kind, rounds, c, clock: benchRun.clock, collapsed: collapsed),
                               collapsed: collapsed)
            }
        }
        try benchRun.finish(measurements: pairs + summaries.flatMap(\.measurements),
                            complete: failure == nil && !StopRequest.isRequested)
        if let failure { throw failure }
        return (summaries, pairs)
    }

    /// The rows of one queue: time per message and throughput (one trial per
    /// round), latency quantiles (all samples), memory and overflow counts.
    static func measurements(_ kind: QueueKind, _ rounds: [QueueRoundResult], _ c: QueueConfiguration,
                             clock: TSCClock, collapsed: Bool = false) -> [Measurement] {
        let param = "producers=\(c.producers);consumers=\(c.consumers);bytes=\(c.messageBytes);burst=\(c.burst)"
            + (kind == .ucq ? ";page=\(c.ucqPageBytes)" : kind.isBounded || kind == .mutex ? ";slots=\(c.ringSlots)" : "")
            + (collapsed ? ";collapsed" : "")
        let threads = c.producers + c.consumers
        func row(_ metric: String, _ unit: String, lowerIsBetter: Bool, _ values: [Double], trials: Bool = true) -> Measurement? {
            SampleStatistics(values).map {
                Measurement(benchmark: "queue", variant: kind.variant, threads: threads, param: param, metric: metric,
                            unit: unit, lowerIsBetter: lowerIsBetter, statistics: $0, trials: trials ? values : [])
            }
        }
        let perMessage = rounds.map { clock.nanoseconds($0.elapsedTicks) / Double(max(1, $0.messages)) }
        let latency = rounds.flatMap { $0.latencyTicks.map { clock.nanoseconds($0) } }
        return [
            row("time_per_message", "ns", lowerIsBetter: true, perMessage),
            row("throughput", "messages_per_s", lowerIsBetter: false, perMessage.map { $0 > 0 ? 1e9 / $0 : 0 }),
            row("latency", "ns", lowerIsBetter: true, latency, trials: false),
            row("peak_memory", "bytes", lowerIsBetter: true, rounds.map { Double($0.peakBytes) }),
            row("final_memory", "bytes", lowerIsBetter: true, rounds.map { Double($0.finalBytes) }),
            row("pages_mapped", "pages", lowerIsBetter: true, rounds.map { Double($0.pagesMapped) }),
            row("pages_unmapped", "pages", lowerIsBetter: true, rounds.map { Double($0.pagesUnmapped) }),
            row("full_retries", "enqueues", lowerIsBetter: true, rounds.map { Double($0.failedEnqueues) }),
            row("delivered", "messages", lowerIsBetter: false, rounds.map { Double($0.messages) }),
        ].compactMap { $0 }
    }

    /// The uncontended pairs and the CAS floor, on one thread pinned to the
    /// first producer CPU, before any round (nothing else runs then).
    static func measurePairs(_ c: QueueConfiguration, benchRun: BenchRun) throws -> [Measurement] {
        guard c.pairTrials > 0, !StopRequest.isRequested else { return [] }
        let runner = TrialRunner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks,
                                 trials: c.pairTrials, iterations: QueueConfiguration.pairIterations)
        final class Outcome: @unchecked Sendable { var rows: [Measurement] = [], warnings: [String] = [] }
        let team = ThreadTeam(cpus: [c.producerCPUs[0]], scheduling: benchRun.teamScheduling) { _, _ in Outcome() }
        try team.launch(body: { _, outcome in (outcome.rows, outcome.warnings) = UncontendedPairs.measure(c, runner: runner) })
        team.release()
        while team.finishedCount == 0 { sleepNanoseconds(5_000_000) }
        guard team.join(timeout: .seconds(30)).joined else {
            throw SystemCallError("uncontended pair thread on CPU \(c.producerCPUs[0]) (did not stop)", errno: ETIMEDOUT)
        }
        for warning in team.workspaces[0].warnings { benchRun.warn(warning) }
        return team.workspaces[0].rows
    }
}

/// A queue broke its promise: which queue, which round, which message.
public struct QueueRunFailure: Error, CustomStringConvertible {
    public var kind: QueueKind
    public var round: Int
    public var reason: String
    public var description: String { "\(kind.rawValue), round \(round): exactly-once violated: \(reason)" }
}
