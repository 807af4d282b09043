// `ctxbench queue`: every asked-for queue, round after round (interleaved so
// the host's drift touches all alike), then one run directory.

import Platform
import BenchKit
import RunFormat

/// Measures message queues: throughput, produce-to-consume latency, memory.
public enum QueueSession {
    /// One queue's figures over all rounds.
    public struct Summary: Sendable {
        public var kind: QueueKind
        public var measurements: [Measurement]
    }

    /// Runs `configuration.rounds` rounds of each queue and writes summary.csv,
    /// trials.csv and meta.json. Throws a `QueueViolation` (after writing the
    /// run, marked incomplete) when a queue broke exactly-once or promised order.
    public static func run(_ configuration: QueueConfiguration, benchRun: BenchRun,
                           progress: (String) -> Void = { _ in }) throws -> [Summary] {
        let c = configuration
        benchRun.setParameter("checks_order", .bool(c.consumers == 1))
        var results: [QueueKind: [QueueRoundResult]] = [:]
        var failure: (any Error)?
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
                             + "\(CSVFormat.number((benchRun.clock.nanoseconds(result.elapsedTicks) / Double(max(1, result.messages)) * 10).rounded() / 10)) ns/message")
                } catch let violation as QueueViolation {
                    failure = QueueRunFailure(kind: kind, round: round + 1, reason: violation.description)
                    break rounds
                } catch {
                    failure = error
                    break rounds
                }
            }
        }
        let summaries = c.queues.compactMap { kind in
            results[kind].map { Summary(kind: kind, measurements: measurements(kind, $0, c, clock: benchRun.clock)) }
        }
        try benchRun.finish(measurements: summaries.flatMap(\.measurements),
                            complete: failure == nil && !StopRequest.isRequested)
        if let failure { throw failure }
        return summaries
    }

    /// The rows of one queue: time per message and throughput (one trial per
    /// round), latency quantiles (all samples), memory and overflow counts.
    static func measurements(_ kind: QueueKind, _ rounds: [QueueRoundResult], _ c: QueueConfiguration,
                             clock: TSCClock) -> [Measurement] {
        let param = "producers=\(c.producers);consumers=\(c.consumers);bytes=\(c.messageBytes);burst=\(c.burst)"
            + (kind == .ucq ? ";page=\(c.ucqPageBytes)" : kind.isBounded || kind == .mutex ? ";slots=\(c.ringSlots)" : "")
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
        ].compactMap { $0 }
    }
}

/// A queue broke its promise: which queue, which round, which message.
public struct QueueRunFailure: Error, CustomStringConvertible {
    public var kind: QueueKind
    public var round: Int
    public var reason: String
    public var description: String { "\(kind.rawValue), round \(round): exactly-once violated: \(reason)" }
}
