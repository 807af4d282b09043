import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench ipi`: IPIs caused from user space (membarrier, mprotect, munmap,
/// futex wake), timed at the initiator, their cost to the victim measured
/// with Völp's TSC-gap loop, verified in /proc/interrupts.
struct IPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipi",
        abstract: "Measure IPIs caused from user space: initiator latency, victim interruption (TSC-gap loop), IPIs per operation.",
        discussion: """
            The initiator runs on --cpu, the victim on --victim-cpu: for membarrier, mprotect and munmap it \
            reads the TSC in a closed loop and sums the gaps while operations run and in an equally long quiet \
            window; for futex_wake it sleeps, so its CPU is idle. /proc/interrupts (CAL, TLB, RES of the victim \
            CPU) before, between and after says how many IPIs each operation caused above the background; when \
            none was observed the run says so and reports no victim figure. --fifo keeps the victim running \
            (without it, a busy machine may leave the victim descheduled, and then no IPI is sent).
            """)

    @Option(help: ArgumentHelp("CPU of the initiator (default: the first allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("victim-cpu"), help: ArgumentHelp("CPU of the victim (default: another allowed CPU).", valueName: "n"))
    var victimCPU: Int?

    @Option(help: ArgumentHelp("Operations: membarrier, mprotect, munmap, futex_wake, comma separated.", valueName: "list"),
            transform: { try NameList.parse($0, what: "an operation") })
    var operations = IPIOperation.allCases

    @Option(help: "Timed trials per operation (after one warm-up trial).")
    var trials = 11

    @Option(help: "Operations per trial (munmap: at most 16384 pages over all trials).")
    var ops = 500

    @Option(name: .customLong("gap-ns"), help: "A TSC-gap loop step longer than this (ns) is an interruption.")
    var gapNs = 200.0

    @OptionGroup var runOptions: RunOptions


    func validate() throws {
        try Validate.cpuPair(cpu, victimCPU, partnerOption: "--victim-cpu")
        try Validate.positive(trials, option: "--trials", atMost: 10_000)
        try Validate.positive(ops, option: "--ops", atMost: 10_000_000)
        try Validate.positive(gapNs, option: "--gap-ns", atMost: 1e9)
        guard gapNs >= 10 else { throw ValidationError("--gap-ns must be at least 10 (a TSC read takes that long), got \(gapNs)") }
    }

    func run() throws {
        let allowed = try Affinity.allowedCPUs().cpus
        let initiator = cpu ?? allowed[0]
        guard let victim = victimCPU ?? allowed.first(where: { $0 != initiator }) else {
            throw ValidationError("ipi needs two CPUs; this process may use only \(CPUSet(allowed))")
        }
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet([initiator, victim]), parameters: [
            "benchmark": "ipi", "trials": .int(Int64(trials)), "ops": .int(Int64(ops)), "gap_ns": .double(gapNs),
            "operations": .array(operations.map { .string($0.rawValue) }),
        ])
        let settings = IPISession.Settings(initiatorCPU: initiator, victimCPU: victim, trials: trials, operations: ops,
                                           gapThresholdNs: gapNs, clock: benchRun.clock,
                                           overheadTicks: benchRun.timerOverhead.minTicks,
                                           scheduling: benchRun.teamScheduling)
        let rows = try IPISession.run(operations, settings: settings, benchRun: benchRun)
        func figure(_ m: Measurement) -> String { CSVFormat.number((m.statistics.p50 * 100).rounded() / 100) }
        for m in rows where m.unit != "ticks" || m.metric == "victim_time_per_ipi" {
            let note = m.metric == "victim_time_per_ipi" && m.unit == "ticks" ? " (Völp: 290-410 cycles)" : ""
            print("\(m.variant) \(m.metric): \(figure(m)) \(m.unit)\(note)")
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
