import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import KernelCore
import RunFormat

/// `ctxbench kmsg`: KernelCore's kernel messages from send to handler start —
/// immediate to a spinning core, immediate and routine to a sleeping one
/// (the futex or eventfd wake-up), routine to a busy one at its idle point —
/// beside a plain futex and eventfd ping to a sleeping thread.
struct KmsgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsg",
        abstract: "Measure kernel messages (immediate and routine) from send to handler start, to a spinning, sleeping or busy pinned core, beside a plain futex and eventfd ping.",
        discussion: "Each message carries the sender's TSC stamp; the handler reads the TSC at its start (the two CPUs' TSCs are checked to be synchronized). Sleeping cases wait until the core announced sleep, then --settle-us more, so its CPU can go idle before the wake-up.")

    @Option(help: ArgumentHelp("Wake-ups for the sleeping core, comma separated: futex, eventfd (default: both; futex is the core's default).", valueName: "list"))
    var wake: String = CoreWakeMechanism.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Messages to the spinning core and to the busy core.")
    var samples = 20_000

    @Option(name: .customLong("sleeping-samples"), help: "Messages to the sleeping core, and pings of each peer.")
    var sleepingSamples = 1_000

    @Option(name: .customLong("work-us"), help: "The busy core's work between idle points, in µs (routine messages wait for its end).")
    var workMicroseconds: Double = 20

    @Option(name: .customLong("settle-us"), help: "µs the sleeping core is left asleep before each wake-up.")
    var settleMicroseconds: Double = 200

    @Option(name: .customLong("sender-cpu"), help: ArgumentHelp("CPU of the sender (default: the first allowed CPU).", valueName: "n"))
    var senderCPU: Int?

    @Option(name: .customLong("core-cpu"), help: ArgumentHelp("CPU of the core thread (default: the second allowed CPU).", valueName: "n"))
    var coreCPU: Int?

    @OptionGroup var runOptions: RunOptions

    func settings() throws -> KmsgConfiguration {
        let wakes = try wake.split(separator: ",", omittingEmptySubsequences: false).map { name in
            guard let mechanism = CoreWakeMechanism(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--wake: '\(name)' is not one of \(CoreWakeMechanism.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return mechanism
        }
        let allowed = try Affinity.allowedCPUs().cpus
        let sender = senderCPU ?? allowed.first ?? 0
        let core = coreCPU ?? allowed.first(where: { $0 != sender }) ?? sender
        return KmsgConfiguration(wakes: wakes, samples: samples, sleepingSamples: sleepingSamples,
                                 workMicroseconds: workMicroseconds, settleMicroseconds: settleMicroseconds,
                                 senderCPU: sender, coreCPU: core)
    }

    func validate() throws {
        if let senderCPU { try Validate.cpus(CPUSet([senderCPU]), option: "--sender-cpu") }
        if let coreCPU { try Validate.cpus(CPUSet([coreCPU]), option: "--core-cpu") }
        if let problem = try settings().problem() { throw ValidationError("\(problem.option) \(problem.reason)") }
    }

    func run() throws {
        let c = try settings()
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet([c.senderCPU, c.coreCPU]), parameters: [
            "benchmark": "kmsg", "wakes": .string(c.wakes.map(\.rawValue).joined(separator: ",")),
            "samples": .int(Int64(c.samples)), "sleeping_samples": .int(Int64(c.sleepingSamples)),
            "work_us": .double(c.workMicroseconds), "settle_us": .double(c.settleMicroseconds),
            "sender_cpu": .int(Int64(c.senderCPU)), "core_cpu": .int(Int64(c.coreCPU)),
        ])
        let rows = try KmsgSession.run(c, benchRun: benchRun)
        for row in rows {
            let s = row.statistics
            if row.unit == "ratio" {
                print("\(row.variant): \(CSVFormat.number((s.p50 * 100).rounded() / 100))x its plain ping (median of blocks)")
            } else {
                print("\(row.variant): p50 \(CSVFormat.number(s.p50.rounded())) ns, p99 \(CSVFormat.number(s.p99.rounded())) ns")
            }
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }
}
