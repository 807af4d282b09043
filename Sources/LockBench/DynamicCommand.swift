import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import LockBenchKit

/// `lockbench dynamic`: Uhlig's dynamic locks, lock cascades and event logging.
///
/// A lockbench subcommand, not ctxbench: what it measures is a lock (its
/// disabled, enabled and transitional costs beside the plain spin and MCS
/// locks lockbench already measures), and until ctxbench's IPC path lands
/// the protected path is a critical-section microbenchmark of its own.
struct DynamicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamic",
        abstract: "Dynamic locks, lock cascades and per-domain event logging (Uhlig §4.3, §4.5, §6.3-6.4).",
        discussion: """
            Parts: overhead (one CPU: no lock, disabled/enabled dynamic lock, spin, MCS; same-run ratios),
            transition (latency of demotion/promotion vs vcores and quiescent interval; mutual exclusion
            under random transitions: any violation fails the run, exit 1 as in `lockbench run`), granularity (coarse vs fine
            over 1-1024 map nodes on one and every CPU, then a cascade switching at run time),
            eventlog (configurations a-f of Uhlig's Figs 6.7/6.8 as ratios to a, and over CPU counts).
            """)

    @Option(help: ArgumentHelp("Parts, comma separated (default: all): overhead,transition,granularity,eventlog.",
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
        let settings = DynamicSettings(parts: try partList(), cpus: runCPUs, vcoreCounts: vcores.counts,
                                       quiescentEvery: quiescentEvery.counts, nodeCounts: nodes.counts,
                                       transitionSeconds: transitionSeconds, messageWords: messageWords)
        let benchRun = try BenchRun(tool: "lockbench", options: runOptions, cpus: set,
                                    parameters: trialOptions.parameters.merging([
                                        "mode": "dynamic", "parts": .string(settings.parts.map(\.rawValue).joined(separator: ",")),
                                        "vcores": .string(vcores.description), "quiescent_every": .string(quiescentEvery.description),
                                        "nodes": .string(nodes.description), "transition_seconds": .double(transitionSeconds),
                                        "message_words": .int(Int64(messageWords)),
                                    ]) { $1 })
        if vcores.counts.contains(where: { $0 > runCPUs.count }) {
            benchRun.warn("more vcores than CPUs: vcores share CPUs under SCHED_OTHER, so a token pass may wait for a time slice")
        }
        try Affinity.pinCurrentThread(to: runCPUs[0])
        benchRun.prepareMeasurementThread(name: "dynamic@cpu\(runCPUs[0])")
        let runner = trialOptions.runner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks)
        let rows: [DynamicSession.Row]
        do {
            rows = try DynamicSession.run(settings, runner: runner, scheduling: benchRun.teamScheduling)
        } catch let error as DynamicExclusionError {
            try benchRun.finish(measurements: [error.row], complete: false)
            writeStderr("lockbench dynamic: \(error)\n")
            throw ExitCode(1)  // as `lockbench run`: mutual exclusion broken; 70 is a stall
        }
        for row in rows where row.unit == "ratio" || row.benchmark.hasSuffix("overhead") {
            print("\(row.benchmark) \(row.variant) \(row.metric): p50 \(String(format: "%.3f", row.statistics.p50))")
        }
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
