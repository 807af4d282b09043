import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import FTQKit

/// `ftq`: the fixed time quantum noise sampler.
@main
struct FTQCommand: ParsableCommand {
    /// A repeated option is a usage error, not last-one-wins (`RepeatedOptions`).
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "ftq",
        abstract: "Sample OS noise with a fixed time quantum (FTQ) or fixed work quantum (FWQ) loop on pinned CPUs.",
        discussion: """
            Each sampler counts work units until the TSC passes the quantum's absolute deadline and
            records (start, work); interrupted quanta come out short and whole missed quanta as zero.
            Writes ftq.csv (or fwq.csv), interrupts.csv (the /proc/interrupts counts of the measured
            CPUs before and after), summary.csv and meta.json. Analyse with `analysis spectrum DIR`.
            Ctrl-C stops at once, keeps what was collected and marks the run incomplete.
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

    @Option(help: "ftq (work per fixed time) or fwq (time per fixed work).")
    var mode: FTQConfiguration.Mode = .ftq

    @Option(help: "Loop implementation: swift, or c (the same algorithm in C at -O2, to compare against).")
    var engine: FTQConfiguration.Engine = .swift

    @OptionGroup var runOptions: RunOptions

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
    }

    func measuredCPUs() throws -> [Int] {
        if let cpu { return [cpu] }
        let allowed = try Affinity.allowedCPUs()
        if let threads { return Array((cpus ?? allowed).cpus.prefix(threads)) }
        if let cpus { return cpus.cpus }
        return [QuietestCPU.pick(from: allowed) ?? 0]
    }

    func run() throws {
        let quantumNs = quantumUs * 1000
        let count = samples ?? Int(((duration ?? 10) * 1e9 / quantumNs).rounded())
        var configuration = FTQConfiguration(mode: mode, cpus: try measuredCPUs(), quantumNs: quantumNs,
                                             samples: max(1, count))
        configuration.engine = engine
        let benchRun = try BenchRun(tool: "ftq", options: runOptions, cpus: CPUSet(configuration.cpus),
                                    parameters: FTQRun.parameters(configuration))
        try FTQRun.measure(configuration, in: benchRun)
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}

extension FTQConfiguration.Mode: ExpressibleByArgument {}
extension FTQConfiguration.Engine: ExpressibleByArgument {}
