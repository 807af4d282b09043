import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench c2c`: the core-to-core cache-line matrix: a CAS round trip, and
/// reads and writes of lines held modified, between every ordered pair of
/// CPUs, repeated within the run, labelled from sysfs topology.
struct C2CCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "c2c",
        abstract: "Measure the core-to-core matrix: CAS round trip, read and write of a line held modified, every ordered CPU pair.",
        discussion: """
            Writes c2c.csv (one row per pair and transfer, labelled smt_sibling, same_die, same_socket or \
            other_socket from /sys/devices/system/cpu/cpu*/topology) beside summary.csv and trials.csv. \
            The whole matrix is measured --rounds times, round by round; c2c.csv's round_p50_min_ns and \
            round_p50_max_ns give the spread of the per-round medians. scripts/plot-c2c RUN draws the heat maps.
            """)

    @Option(help: ArgumentHelp("CPUs of the matrix, two or more (e.g. 0-3,6; default: every allowed CPU).", valueName: "list"),
            transform: CPUSet.parse)
    var cpus: CPUSet?

    @Option(help: ArgumentHelp("Transfers: cas_round_trip, read_modified, write_modified, comma separated.", valueName: "list"),
            transform: { try NameList.parse($0, what: "a transfer") })
    var transfers = LineTransfer.allCases

    @Option(help: "Times the whole matrix is measured (the spread is over these).")
    var rounds = 3

    @Option(help: "Timed trials per pair, transfer and round.")
    var trials = 5

    @Option(help: "Operations per trial.")
    var iterations = 2_000

    @OptionGroup var runOptions: RunOptions


    func validate() throws {
        if let cpus {
            try Validate.cpus(cpus, option: "--cpus")
            guard cpus.count >= 2 else { throw ValidationError("--cpus: the matrix needs two CPUs or more, got \(cpus)") }
        }
        try Validate.positive(rounds, option: "--rounds", atMost: 1_000)
        try Validate.positive(trials, option: "--trials", atMost: TrialOptions.maximumTrials)
        try Validate.positive(iterations, option: "--iterations", atMost: 100_000_000)
    }

    func run() throws {
        let cpuList = try (cpus ?? Affinity.allowedCPUs()).cpus
        guard cpuList.count >= 2 else {
            throw ValidationError("the matrix needs two CPUs or more; this process may use only \(CPUSet(cpuList))")
        }
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet(cpuList), parameters: [
            "benchmark": "c2c", "rounds": .int(Int64(rounds)), "trials": .int(Int64(trials)),
            "iterations": .int(Int64(iterations)), "transfers": .array(transfers.map { .string($0.rawValue) }),
        ])
        let runner = TrialRunner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks,
                                 trials: trials, iterations: iterations, warmupBatches: 1)
        let rows = try CoreToCoreSession.run(cpus: cpuList, transfers: transfers, rounds: rounds, runner: runner,
                                             benchRun: benchRun)
        func ns(_ value: Double) -> String { CSVFormat.number((value * 10).rounded() / 10) }
        for row in rows {
            print("\(row.metric) cpu\(row.fromCPU)->cpu\(row.toCPU) (\(row.relation)): \(ns(row.p50Ns)) ns, rounds \(ns(row.roundP50MinNs))-\(ns(row.roundP50MaxNs)) ns")
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
