import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import LockBenchKit

/// `lockbench dynamic`: Uhlig's dynamic locks, lock cascades and event logging.
///
/// A lockbench subcommand, not ctxbench: what it measures is a lock (its
/// disabled, enabled and transitional costs beside the plain spin and MCS
/// locks lockbench already measures). The protected path is ctxbench's IPC
/// round trip (the ipc part, through ctxbench's own conversation code) and a
/// 256-byte copy of its own (the overhead part).
struct DynamicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamic",
        abstract: "Dynamic locks, lock cascades and per-domain event logging (Uhlig §4.3, §4.5, §6.3-6.4).",
        discussion: """
            Parts: overhead (one CPU: no lock, disabled/enabled dynamic lock, spin, MCS around a 256-byte copy; same-run ratios), \
            ipc (the same variants around the send of ctxbench's IPC round trip: futex mailbox on one CPU between threads and between processes, \
            and the polled mailbox across two CPUs), \
            transition (latency of demotion/promotion vs vcores and quiescent interval; mutual exclusion \
            under random transitions: any violation fails the run, exit 1 as in `lockbench run`), granularity (coarse vs fine \
            over 1-1024 map nodes on one and every CPU, then a cascade switching at run time), \
            eventlog (configurations a-f of Uhlig's Figs 6.7/6.8 as ratios to a, and over CPU counts).

            Variants run interleaved trial by trial; each target (disabled within 3% of no lock, enabled within 10% of its lock, \
            event logging b within 3% of a) is judged on the median of the paired ratios and its 95% order-statistic interval: \
            met, missed, or undecided at this noise (printed and recorded in meta.json).
            """)

    @Option(help: ArgumentHelp("Parts, comma separated (default: all): overhead,ipc,transition,granularity,eventlog.",
                               valueName: "list"))
    var parts: String?

    @Option(help: ArgumentHelp("CPUs to run on (default: every allowed CPU); single-CPU parts use the first.",
                               valueName: "list"), transform: CPUSet.parse)
    var cpus: CPUSet?

    @Option(help: ArgumentHelp("Vcore counts of the epoch ring (pinned round robin on --cpus).", valueName: "list"),
            transform: CountList.parse)
    var vcores = CountList([1, 2, 4])

    @Option(name: .customLong("quiescent-every"), help: ArgumentHelp("Operations between quiescent states.", valueName: "list"),
            transform: CountList.parse)
    var quiescentEvery = CountList([1, 16, 256])

    @Option(help: ArgumentHelp("Map node counts of the granularity part (1-1024).", valueName: "list"),
            transform: CountList.parse)
    var nodes = CountList([1, 4, 16, 64, 256, 1024])

    @Option(name: .customLong("transition-seconds"), help: "Seconds per transition configuration (0.01-60).")
    var transitionSeconds = 0.3

    @Option(name: .customLong("message-words"),
            help: "8-byte words of the message the overhead and event-logging sections copy (1-4096; 32 = 256 bytes, Uhlig's largest IPC).")
    var messageWords = MessageBuffers.defaultWords

    @Option(name: .customLong("ipc-round-trips"), help: "IPC round trips per trial of the ipc part (1-1000000).")
    var ipcRoundTrips = 2_000

    @Flag(name: .customLong("no-oversubscribed-yield"),
          help: "Vcores sharing a CPU do not yield at quiescent states (the old behaviour, to measure what yielding gains).")
    var noOversubscribedYield = false

    @OptionGroup var trialOptions: TrialOptions

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if let cpus { try Validate.cpus(cpus, option: "--cpus") }
        _ = try partList()
        guard transitionSeconds.isFinite, (0.01...60).contains(transitionSeconds) else {
            throw ValidationError("--transition-seconds must be from 0.01 to 60, not \(transitionSeconds)")
        }
        guard (1...MessageBuffers.maximumWords).contains(messageWords) else {
            throw ValidationError("--message-words must be from 1 to \(MessageBuffers.maximumWords), not \(messageWords)")
        }
        guard (1...1_000_000).contains(ipcRoundTrips) else {
            throw ValidationError("--ipc-round-trips must be from 1 to 1000000, not \(ipcRoundTrips)")
        }
        if let big = vcores.counts.first(where: { $0 > 64 }) {
            throw ValidationError("--vcores: \(big) is more than 64 vcores")
        }
        if let big = nodes.counts.first(where: { $0 > 1024 }) {
            throw ValidationError("--nodes: \(big) is more than 1024 map nodes")
        }
        if let big = quiescentEvery.counts.first(where: { $0 > 1 << 20 }) {
            throw ValidationError("--quiescent-every: \(big) is more than \(1 << 20)")
        }
    }

    func partList() throws -> [DynamicPart] {
        guard let parts else { return DynamicPart.allCases }
        return try parts.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let part = DynamicPart(rawValue: String(name)) else {
                throw ValidationError("unknown part '\(name)' in --parts: valid parts are "
                                      + DynamicPart.allCases.map(\.rawValue).joined(separator: ","))
            }
            return part
        }
    }


    func run() throws {
        let set = try cpus ?? Affinity.allowedCPUs()
        let runCPUs = set.cpus
        var settings = DynamicSettings(parts: try partList(), cpus: runCPUs, vcoreCounts: vcores.counts,
                                       quiescentEvery: quiescentEvery.counts, nodeCounts: nodes.counts,
                                       transitionSeconds: transitionSeconds, messageWords: messageWords)
        settings.ipcRoundTrips = ipcRoundTrips
        settings.yieldWhenOversubscribed = !noOversubscribedYield
        let benchRun = try BenchRun(tool: "lockbench", options: runOptions, cpus: set,
                                    parameters: trialOptions.parameters.merging([
                                        "mode": "dynamic", "parts": .string(settings.parts.map(\.rawValue).joined(separator: ",")),
                                        "vcores": .string(vcores.description), "quiescent_every": .string(quiescentEvery.description),
                                        "nodes": .string(nodes.description), "transition_seconds": .double(transitionSeconds),
                                        "message_words": .int(Int64(messageWords)), "ipc_round_trips": .int(Int64(ipcRoundTrips)),
                                        "oversubscribed_yield": .bool(!noOversubscribedYield),
                                    ]) { $1 })
        if vcores.counts.contains(where: { $0 > runCPUs.count }) {
            benchRun.warn("more vcores than CPUs: vcores share CPUs under SCHED_OTHER, so a token pass may wait for a time slice")
        }
        try Affinity.pinCurrentThread(to: runCPUs[0])
        benchRun.prepareMeasurementThread(name: "dynamic@cpu\(runCPUs[0])")
        let runner = trialOptions.runner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks)
        let rows: [DynamicSession.Row]
        do {
            rows = try DynamicSession.run(settings, runner: runner, scheduling: benchRun.teamScheduling,
                                          warn: { benchRun.warn($0) })
        } catch let interruption as DynamicIPCInterruption {
            try benchRun.finish(measurements: [], complete: false)
            writeStderr("lockbench dynamic: \(interruption)\n")
            if case .failed(let failure) = interruption, failure.isCorruption { throw ExitCode(1) }
            throw ExitCode(70)
        } catch let error as DynamicExclusionError {
            try benchRun.finish(measurements: [error.row], complete: false)
            writeStderr("lockbench dynamic: \(error)\n")
            throw ExitCode(1)  // as `lockbench run`: mutual exclusion broken; 70 is a stall
        }
        for row in rows where row.unit == "ratio" || row.benchmark.hasSuffix("overhead") {
            print("\(row.benchmark) \(row.variant) \(row.metric) [\(row.param)]: p50 \(String(format: "%.3f", row.statistics.p50))")
        }
        for (index, verdict) in TargetVerdict.judge(rows).enumerated() {
            print("target: \(verdict)")
            benchRun.setParameter("target_\(index)", .string(verdict.description))
        }
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
