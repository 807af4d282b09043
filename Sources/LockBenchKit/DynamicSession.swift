// lockbench dynamic: Uhlig's adaptive mechanisms measured in one run.

import BenchKit
import RunFormat
import Platform

/// The parts of `lockbench dynamic`.
public enum DynamicPart: String, CaseIterable, Sendable {
    /// One CPU: no lock, disabled and enabled dynamic locks, plain spin and MCS, around a 256-byte copy.
    case overhead
    /// The same variants around ctxbench's IPC round trip (threads and processes).
    case ipc
    /// Transition latency against vcores and quiescent interval, exclusion under random transitions.
    case transition
    /// Coarse against fine locks over 1-1024 map nodes, and the cascade switching at run time.
    case granularity
    /// Event-logging configurations (a)-(f) on one CPU and over CPU counts.
    case eventlog
}

/// What one `lockbench dynamic` run measures (plain values; the command parses them).
public struct DynamicSettings: Sendable {
    public var parts: [DynamicPart]
    public var cpus: [Int]
    public var vcoreCounts: [Int]
    public var quiescentEvery: [Int]
    public var nodeCounts: [Int]
    public var transitionSeconds: Double
    /// Words of the message the overhead and event-logging sections copy.
    public var messageWords: Int
    /// IPC round trips per trial of the ipc part.
    public var ipcRoundTrips = 2_000
    /// Vcores sharing a CPU yield at quiescent states while an epoch is wanted.
    public var yieldWhenOversubscribed = true

    public init(parts: [DynamicPart], cpus: [Int], vcoreCounts: [Int], quiescentEvery: [Int], nodeCounts: [Int],
                transitionSeconds: Double, messageWords: Int = MessageBuffers.defaultWords) {
        self.messageWords = messageWords
        self.parts = parts
        self.cpus = cpus
        self.vcoreCounts = vcoreCounts
        self.quiescentEvery = quiescentEvery
        self.nodeCounts = nodeCounts
        self.transitionSeconds = transitionSeconds
    }
}

public enum DynamicSession {
    /// Runs the chosen parts; the single-CPU parts on the calling thread,
    /// which the caller has pinned to `settings.cpus[0]`.
    /// `warn` receives what the run's meta.json should note (a responder
    /// process refused SCHED_FIFO).
    public static func run(_ settings: DynamicSettings, runner: TrialRunner,
                           scheduling: TeamScheduling, warn: (String) -> Void = { _ in }) throws -> [Measurement] {
        var rows: [Measurement] = []
        for part in settings.parts where !StopRequest.isRequested {
            switch part {
            case .overhead:
                rows += DynamicOverhead.measure(runner: runner, messageWords: settings.messageWords)
            case .ipc:
                rows += try DynamicIPCOverhead.measure(cpus: settings.cpus, runner: runner, roundTrips: settings.ipcRoundTrips,
                                                       scheduling: scheduling) { _, result in result.warnings.forEach(warn) }
            case .eventlog:
                rows += EventLogOverhead.measure(runner: runner, messageWords: settings.messageWords)
                rows += try EventLogOverhead.scaling(cpus: settings.cpus, runner: runner, messageWords: settings.messageWords,
                                                     scheduling: scheduling)
            case .transition:
                rows += try DynamicTransitions.measure(cpus: settings.cpus, vcoreCounts: settings.vcoreCounts,
                                                       quiescentEvery: settings.quiescentEvery,
                                                       seconds: settings.transitionSeconds, clock: runner.clock,
                                                       scheduling: scheduling,
                                                       yieldWhenOversubscribed: settings.yieldWhenOversubscribed)
            case .granularity:
                rows += try DynamicGranularity.measure(cpus: settings.cpus, nodeCounts: settings.nodeCounts,
                                                       trials: runner.trials, runner: runner, scheduling: scheduling)
            }
        }
        return rows
    }
}

extension DynamicSession {
    /// A row of the run's summary (RunFormat's `Measurement`), named here so
    /// the executable needs no RunFormat import.
    public typealias Row = Measurement
}
