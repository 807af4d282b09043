import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench forkjoin`: the cost of a parallel region (fork, trivial body,
/// join) over N pinned threads, with a futex, a sense-reversing spinning and a
/// combining-tree barrier (Uhlig §6.2.3).
struct ForkJoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forkjoin",
        abstract: "Measure the cost of a parallel region over N pinned threads: futex, spinning and combining-tree barriers.",
        discussion: """
            Participant 0 is the master; participant i runs on the i-th CPU of --cpus, round robin, so N above \
            the CPU count is oversubscribed (the spinning barriers then yield early, and the figures include \
            context switches). Every participant counts its regions; a run in which any participant missed \
            or repeated one fails (exit 1). The tree barrier runs for N >= 3.
            """)

    @Option(help: ArgumentHelp("Team sizes N (master included), comma separated.", valueName: "list"),
            transform: CountList.parse)
    var workers = CountList([2])

    @Option(help: ArgumentHelp("Barriers: futex, spin, tree, comma separated.", valueName: "list"),
            transform: { try NameList.parse($0, what: "a barrier") })
    var barriers = ForkJoinBarrier.allCases

    @Option(help: ArgumentHelp("CPUs to run on (e.g. 0-3,6; default: every allowed CPU).", valueName: "list"),
            transform: CPUSet.parse)
    var cpus: CPUSet?

    @Option(help: "Timed trials per barrier and N (each one batch of --regions).")
    var trials = 11

    @Option(help: "Parallel regions per trial.")
    var regions = 2_000

    @OptionGroup var runOptions: RunOptions

    /// Team sizes above this are typing mistakes on any machine kbench runs on.
    static let maximumWorkers = 256


    func validate() throws {
        if let cpus { try Validate.cpus(cpus, option: "--cpus") }
        for count in workers.counts {
            guard count >= 2, count <= Self.maximumWorkers else {
                throw ValidationError("--workers: a team is 2 to \(Self.maximumWorkers) threads (master included), got \(count)")
            }
        }
        try Validate.positive(trials, option: "--trials", atMost: TrialOptions.maximumTrials)
        try Validate.positive(regions, option: "--regions", atMost: 100_000_000)
    }

    func run() throws {
        let cpuList = try (cpus ?? Affinity.allowedCPUs()).cpus
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet(cpuList), parameters: [
            "benchmark": "forkjoin", "trials": .int(Int64(trials)), "regions": .int(Int64(regions)),
            "workers": .array(workers.counts.map { .int(Int64($0)) }),
            "barriers": .array(barriers.map { .string($0.rawValue) }),
        ])
        let runner = TrialRunner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks,
                                 trials: trials, iterations: regions, warmupBatches: 1)
        let rows = try ForkJoinSession.run(barriers: barriers, participants: workers.counts, cpus: cpuList,
                                           runner: runner, benchRun: benchRun)
        for m in rows where m.unit == "ns" {
            print("\(m.variant) N=\(m.threads): \(CSVFormat.number((m.statistics.p50 * 10).rounded() / 10)) ns per region (median of \(m.statistics.count) trials)")
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
