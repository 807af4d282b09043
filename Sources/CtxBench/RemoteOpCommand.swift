import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench remote-op`: an insertion into a hash table owned by another CPU,
/// done under a lock from this CPU, or by a request to the owner through a
/// mailbox (polled, futex, eventfd, Völp's hybrid); the ratio of the two.
struct RemoteOpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote-op",
        abstract: "Compare lock-based and message-based cross-CPU insertions into a table owned by one CPU (Uhlig).",
        discussion: """
            Modes: lock_spin, lock_ticket, lock_mcs (the requester inserts under the owner's lock) and \
            message_polled, message_futex, message_eventfd, message_hybrid (the owner inserts on request). \
            Every mode's table is checked against a replay of the same insertions, and against the other \
            modes' tables: a difference fails the run (exit 1). Ctrl-C exits 130.
            """)

    @Option(help: ArgumentHelp("CPU of the requester (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("owner-cpu"), help: ArgumentHelp("CPU that owns the table (default: another allowed CPU).", valueName: "n"))
    var ownerCPU: Int?

    @Option(help: ArgumentHelp("Modes, comma separated (default: all seven).", valueName: "list"))
    var modes: String?

    @Option(help: "Timed trials per mode (each one batch); statistics are over trials.")
    var trials = 11

    @Option(help: "Insertions per trial.")
    var iterations = 2_000

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        try Validate.cpuPair(cpu, ownerCPU, partnerOption: "--owner-cpu")
        _ = try parsedModes()
        try Validate.positive(trials, option: "--trials", atMost: 10_000)
        try Validate.positive(iterations, option: "--iterations", atMost: 100_000_000)
    }

    func run() throws {
        let allowed = try Affinity.allowedCPUs()
        let cpu = self.cpu ?? QuietestCPU.pick(from: allowed) ?? 0
        guard let owner = ownerCPU ?? allowed.cpus.last(where: { $0 != cpu }) else {
            throw ValidationError("remote-op needs two CPUs (the requester's and the owner's); only CPU \(cpu) is allowed")
        }
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions, cpus: CPUSet([cpu, owner]),
                                    parameters: ["benchmark": "remote-op", "trials": .int(Int64(trials)),
                                                 "iterations": .int(Int64(iterations))])
        let runner = TrialRunner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks,
                                 trials: trials, iterations: iterations, warmupBatches: 2)
        do {
            let measurements = try RemoteOpSession.run(try parsedModes(), cpu: cpu, ownerCPU: owner, runner: runner,
                                                       benchRun: benchRun)
            for m in measurements where m.unit != "ticks" {
                let label = m.variant == "ratio" ? m.param : m.variant
                print("\(label): \(CSVFormat.number((m.statistics.p50 * 100).rounded() / 100)) \(m.unit)")
            }
        } catch let mismatch as RemoteOpStateMismatch {
            print(benchRun.directory.path)
            writeStderr("ctxbench: error: \(mismatch)\n")
            throw ExitCode(1)
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }

    private func parsedModes() throws -> [RemoteOpMode] {
        guard let modes else { return RemoteOpMode.all }
        let names = modes.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var chosen: [RemoteOpMode] = []
        for name in names {
            guard let mode = RemoteOpMode(name) else {
                throw ValidationError("--modes: '\(name.prefix(40))' is not one of \(RemoteOpMode.all.map(\.description).joined(separator: ", "))")
            }
            if !chosen.contains(mode) { chosen.append(mode) }
        }
        return chosen
    }
}
