import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench floors`: an rdtsc read, an uncontended CAS, a system call and a
/// core-to-core cache-line round trip, each as ns per operation over trials.
struct FloorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floors",
        abstract: "Measure the physical floors: timer read, uncontended CAS, getppid system call (beside its C twin, trial by trial, with their ratio), core-to-core CAS round trip.")

    @Option(help: ArgumentHelp("CPU to measure on (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("partner-cpu"), help: ArgumentHelp("CPU of the round-trip partner (default: another allowed CPU; skipped if there is none).", valueName: "n"))
    var partnerCPU: Int?

    /// The gate's test hook (scripts/gate-calibrate): hidden from help.
    @Option(name: .customLong("inject-delay-ns"), help: ArgumentHelp("Test hook: add a calibrated delay of this many ns to every getppid call, to measure the gate's detection rate.", visibility: .hidden))
    var injectDelayNs: Double = 0

    @OptionGroup var trialOptions: TrialOptions

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        guard injectDelayNs.isFinite, injectDelayNs >= 0, injectDelayNs <= 1e6 else {
            throw ValidationError("--inject-delay-ns must be from 0 to 1000000, got \(injectDelayNs)")
        }
        try Validate.cpuPair(cpu, partnerCPU, partnerOption: "--partner-cpu")
    }

    func run() throws {
        let allowed = try Affinity.allowedCPUs()
        let cpu = self.cpu ?? QuietestCPU.pick(from: allowed) ?? 0
        let partner = partnerCPU ?? allowed.cpus.last(where: { $0 != cpu })
        var parameters = trialOptions.parameters.merging(["benchmark": "floors"]) { $1 }
        if injectDelayNs > 0 { parameters["inject_delay_ns"] = .double(injectDelayNs) }
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet([cpu] + (partner.map { [$0] } ?? [])),
                                    parameters: parameters)
        let runner = trialOptions.runner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks)
        let measurements = try FloorsSession.run(cpu: cpu, partnerCPU: partner, runner: runner, benchRun: benchRun,
                                                 injectDelayNs: injectDelayNs)
        for m in measurements {
            let trials = "median of \(m.statistics.count) trials"
            switch m.variant {
            case "ratio":
                print("syscall_getppid / its C twin: \(CSVFormat.number((m.statistics.p50 * 1000).rounded() / 1000))x (\(trials), paired)")
            case "reference":
                print("syscall_getppid, C twin: \(CSVFormat.number((m.statistics.p50 * 100).rounded() / 100)) ns (\(trials))")
            default:
                print("\(m.variant): \(CSVFormat.number((m.statistics.p50 * 100).rounded() / 100)) ns (\(trials))")
            }
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
