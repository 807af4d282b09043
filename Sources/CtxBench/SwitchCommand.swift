import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import KernelCore
import RunFormat

/// `ctxbench switch`: context switches of kernel threads and of uthreads (a
/// vcore context and a 2LS in each variant, with and without TLS) on one
/// CPU, beside glibc swapcontext and Boost.Context: the thesis' Tables 4.1/4.2.
struct SwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch",
        abstract: "Measure context switches: kernel threads (sched_yield, futex hand-off) and uthreads (2LS variants, switch-to, with/without TLS) on one CPU, beside swapcontext and Boost.Context.")

    @Option(help: ArgumentHelp("CPU to measure on (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("threads"), help: ArgumentHelp("Uthread counts.", valueName: "list"),
            transform: CountList.parse)
    var threads = CountList(SwitchPlan.standardCounts)

    @Option(name: .customLong("kernel-threads"), help: ArgumentHelp("Kernel-thread counts ('none' skips them).", valueName: "list"),
            transform: { $0 == "none" ? CountList([]) : try CountList.parse($0) })
    var kernelThreads = CountList(SwitchPlan.standardCounts)

    @Option(name: .customLong("kernel-switches"), help: ArgumentHelp("Switches per kernel-thread trial, all threads together.", valueName: "n"))
    var kernelSwitches = 20_000

    @Option(name: .customLong("kernel-trials"), help: ArgumentHelp("Trials per kernel-thread configuration (each starts its threads anew).", valueName: "n"))
    var kernelTrials = 9

    @Option(help: ArgumentHelp("Uthreads with TLS, without, or both.", valueName: "with|without|both"))
    var tls: TLSChoice = .both

    @Option(name: .customLong("fs-base"), help: ArgumentHelp("How TLS uthreads load FS (default: wrfsbase when CPUID and HWCAP2 allow it).", valueName: "wrfsbase|arch_prctl"))
    var fsBase: FSBaseMechanism?

    @Option(name: .customLong("stack-bytes"), help: ArgumentHelp("Usable stack per uthread (rounded up to pages).", valueName: "bytes"))
    var stackBytes = 32 * 1024

    @OptionGroup var trialOptions: TrialOptions

    @OptionGroup var runOptions: RunOptions

    enum TLSChoice: String, ExpressibleByArgument, CaseIterable {
        case with, without, both
        var flags: [Bool] { self == .with ? [true] : self == .without ? [false] : [false, true] }
    }

    var plan: SwitchPlan {
        SwitchPlan(uthreadCounts: threads.counts, kernelThreadCounts: kernelThreads.counts, tls: tls.flags,
                   fsBase: fsBase, kernelSwitchesPerTrial: kernelSwitches, kernelTrials: kernelTrials,
                   stackBytes: stackBytes)
    }

    func validate() throws {
        if let cpu { try Validate.cpus(CPUSet([cpu]), option: "--cpu") }
        if let problem = plan.problems().first { throw ValidationError(problem) }
    }

    func run() throws {
        let allowed = try Affinity.allowedCPUs()
        let cpu = self.cpu ?? QuietestCPU.pick(from: allowed) ?? 0
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet([cpu]),
                                    parameters: trialOptions.parameters.merging(["benchmark": "switch"]) { $1 })
        let runner = trialOptions.runner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks)
        let result = try SwitchSession.run(cpu: cpu, plan: plan, runner: runner, benchRun: benchRun)
        print(SwitchTable.render(result.measurements), terminator: "")
        print("fs base: \(result.fsBase.rawValue) (CPUID FSGSBASE \(result.detection.cpuid), HWCAP2 \(result.detection.hwcap2))")
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}

extension FSBaseMechanism: ExpressibleByArgument {}
