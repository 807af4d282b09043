import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import FTQKit
import RunFormat

/// `ftq`: the fixed time quantum noise sampler.
@main
struct FTQCommand: ParsableCommand {
    /// A repeated option is a usage error, not last-one-wins (`RepeatedOptions`).
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "ftq",
        abstract: "Sample OS noise with a fixed time quantum (FTQ) or fixed work quantum (FWQ) loop on pinned CPUs.",
        discussion: """
            Each sampler counts work units until the TSC passes the quantum's absolute deadline and \
            records (start, work); interrupted quanta come out short and whole missed quanta as zero. \
            Writes ftq.csv (or fwq.csv), interrupts.csv (the /proc/interrupts counts of the measured \
            CPUs before and after), summary.csv and meta.json. Analyse with `analysis spectrum DIR`. \
            Ctrl-C stops at once, keeps what was collected and marks the run incomplete.

            Under a launcher (mpirun, srun) each rank writes OUT/rank-<N>/ with a `launch` object in meta.json (rank, host, job, the wall-clock instant of start_ns = 0, how well the clock agrees), and measures the CPUs the launcher bound it to: `srun -N 64 ftq --duration 60 --out /shared/run`, then `analysis merge /shared/run`. --mode bsp computes a fixed quantum of work and meets every rank at a barrier, step after step, writing bsp.csv (step,start_ns,compute_ns,step_ns).
            """)

    @Option(help: ArgumentHelp("CPU to sample on (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(help: ArgumentHelp("CPUs to sample on, one sampler each, started together (e.g. 0-3,6).", valueName: "list"),
            transform: CPUSet.parse)
    var cpus: CPUSet?

    @Option(help: ArgumentHelp("Use the first T CPUs of --cpus (or of the allowed CPUs).", valueName: "t"))
    var threads: Int?

    @Option(name: .customLong("quantum-us"), help: "Quantum length in microseconds (10 kHz sampling at 100).")
    var quantumUs: Double = 100

    @Option(help: ArgumentHelp("Run length in seconds (default 10).", valueName: "s"))
    var duration: Double?

    @Option(help: ArgumentHelp("Samples per CPU instead of --duration.", valueName: "n"))
    var samples: Int?

    @Option(help: "ftq (work per fixed time), fwq (time per fixed work) or bsp (fixed work, then a barrier across ranks, per step).")
    var mode: RunMode = .ftq

    @Option(help: "Loop implementation: swift, or c (the same algorithm in C at -O2, to compare against).")
    var engine: FTQConfiguration.Engine = .swift

    @OptionGroup var runOptions: RunOptions

    @OptionGroup(title: "Ranks") var startOptions: StartOptions

    /// `--mode`: the two samplers, or the bulk-synchronous check (a mode of
    /// ftq rather than a tool of its own: the same options, quantum and run
    /// directory, and merge reads it beside the FTQ traces of the same ranks).
    enum RunMode: String, ExpressibleByArgument, CaseIterable {
        case ftq, fwq, bsp
    }

    func validate() throws {
        if cpu != nil, cpus != nil { throw ValidationError("give --cpu or --cpus, not both") }
        if let cpu { try Validate.cpus([cpu], option: "--cpu") }
        if let cpus { try Validate.cpus(cpus, option: "--cpus") }
        if let threads {
            try Validate.positive(threads, option: "--threads")
            let available = cpus?.count ?? ((try? Affinity.allowedCPUs().count) ?? 1)
            guard threads <= available else {
                throw ValidationError("--threads \(threads) exceeds the \(available) CPUs available: one sampler per CPU")
            }
        }
        try Validate.positive(quantumUs, option: "--quantum-us", atMost: 60e6)
        if duration != nil, samples != nil { throw ValidationError("give --duration or --samples, not both") }
        if let duration { try Validate.positive(duration, option: "--duration", atMost: Validate.maximumSeconds) }
        if let samples { try Validate.positive(samples, option: "--samples") }
        // Two UInt64 a sample (start, work) per measured CPU, computed before any Int conversion.
        let perCPU = samples.map(Double.init) ?? (duration ?? 10) * 1e9 / (quantumUs * 1000)
        try Validate.fitsInMemory(bytes: perCPU * 16 * Double(threads ?? cpus?.count ?? 1),
                                  option: samples != nil ? "--samples" : "--duration/--quantum-us")
        if engine == .c, mode != .ftq { throw ValidationError("--engine c exists for --mode ftq only") }
        if mode == .bsp, (cpus?.count ?? 1) > 1 || (threads ?? 1) > 1 {
            throw ValidationError("--mode bsp runs one thread per rank: give --cpu (or one CPU), and more ranks to the launcher")
        }
    }

    /// The CPUs to measure and why. Under a launcher with no CPU option, the
    /// CPUs the launcher bound this rank to (sched_getaffinity at start:
    /// Slurm's task/affinity, mpirun's --bind-to); when it bound none, the
    /// rank's own CPU by its local rank, so ranks sharing a node do not share
    /// a CPU.
    func measuredCPUs(identity: RankIdentity?) throws -> (cpus: [Int], choice: String) {
        if let cpu { return ([cpu], "--cpu") }
        let allowed = try Affinity.allowedCPUs()
        if let threads { return (Array((cpus ?? allowed).cpus.prefix(threads)), "--threads") }
        if let cpus { return (cpus.cpus, "--cpus") }
        if let identity {
            let bound = allowed.count < Affinity.onlineCPUs().count
            let local = identity.localRank ?? 0
            if bound && mode != .bsp { return (allowed.cpus, "every CPU the launcher bound the rank to") }
            let pick = allowed.cpus[local % allowed.count]
            return ([pick], bound ? "the bound CPU of local rank \(local)" : "no binding: CPU \(local % allowed.count) of the allowed set, by local rank \(local)")
        }
        return ([QuietestCPU.pick(from: allowed) ?? 0], "the quietest allowed CPU")
    }

    func run() throws {
        let quantumNs = quantumUs * 1000
        let count = max(1, samples ?? Int(((duration ?? 10) * 1e9 / quantumNs).rounded()))
        var settings = runOptions.settings(tool: "ftq")
        let identity = settings.launch
        if identity == nil, startOptions.asksForStart {
            settings.launch = RankIdentity(launcher: .none, rank: 0, size: 1)
        }
        let affinityAtStart = try Affinity.allowedCPUs()
        let (measured, choice) = try measuredCPUs(identity: identity)
        var parameters: [String: JSONValue]
        var configuration: FTQConfiguration?
        if mode == .bsp {
            parameters = BSPRun.parameters(quantumNs: quantumNs, steps: count)
        } else {
            var ftq = FTQConfiguration(mode: mode == .fwq ? .fwq : .ftq, cpus: measured, quantumNs: quantumNs,
                                       samples: count)
            ftq.engine = engine
            parameters = FTQRun.parameters(ftq)
            configuration = ftq
        }
        parameters["affinity_at_start"] = .string(affinityAtStart.description)
        parameters["cpu_choice"] = .string(choice)
        let benchRun = try BenchRun(tool: "ftq", options: runOptions, settings: settings, cpus: CPUSet(measured),
                                    parameters: parameters)
        let barrier: RankBarrier
        do {
            barrier = try RankBarrier(choice: startOptions.barrier, identity: identity,
                                      mpiLibrary: startOptions.mpiLibrary)
        } catch {
            throw ValidationError(error.description)
        }
        defer { barrier.close() }
        benchRun.setParameter("barrier_note", .string(barrier.note))
        if let identity, identity.size > 1, barrier.kind == .none { benchRun.warn(barrier.note) }
        let start = try AgreedStart.resolve(startAtNs: startOptions.startAtRealtimeNs, startInSeconds: startOptions.startIn,
                                            barrier: barrier, identity: identity, warn: benchRun.warn)
        if let configuration {
            try FTQRun.measure(configuration, in: benchRun, startAtRealtimeNs: start)
        } else {
            try BSPRun.measure(cpu: measured[0], quantumNs: quantumNs, steps: count, in: benchRun, barrier: barrier,
                               startAtRealtimeNs: start)
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}

extension FTQConfiguration.Engine: ExpressibleByArgument {}
