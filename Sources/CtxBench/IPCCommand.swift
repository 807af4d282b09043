import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import CtxBenchKit
import RunFormat

/// `ctxbench ipc`: round trips between two threads and between two processes,
/// through pipes, a socketpair, eventfd, futex and a spin mailbox, on one CPU
/// and across two, for message sizes 0-252 bytes; `perf bench sched pipe`
/// pinned the same way beside them.
struct IPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipc",
        abstract: "Measure IPC round trips (pipe, socketpair, eventfd, futex, spin mailbox) between threads and processes, on one CPU and across two.",
        discussion: """
            Every byte of every message is checked by its receiver; a corrupted message fails the run \
            (exit 1). A conversation without a reply for --stall-s is aborted (exit 70); Ctrl-C exits 130. \
            The responder process never outlives the run (it dies with its parent, and is killed after a bounded wait).
            """)

    @Option(help: ArgumentHelp("CPU of the measured initiator (default: the quietest allowed CPU).", valueName: "n"))
    var cpu: Int?

    @Option(name: .customLong("peer-cpu"), help: ArgumentHelp("CPU of the responder across CPUs (default: another allowed CPU; cross-CPU pairings are skipped if there is none).", valueName: "n"))
    var peerCPU: Int?

    @Option(help: ArgumentHelp("Mechanisms, comma separated: pipe,socketpair,eventfd,futex,spin (default: all).", valueName: "list"))
    var mechanisms: String?

    @Option(help: ArgumentHelp("Address spaces: threads (one), processes (two: a forked child), or both (default).", valueName: "list"))
    var spaces: String?

    @Option(help: ArgumentHelp("Placements: same (both sides on --cpu), cross (--cpu and --peer-cpu), or both (default).", valueName: "list"))
    var placement: String?

    @Option(help: ArgumentHelp("Payload sizes in bytes: multiples of 4 from 0 to 252, or ranges A-B (default: 0-252, every 4).", valueName: "list"))
    var sizes: String?

    @Option(help: "Timed trials per size (each one batch); statistics are over trials.")
    var trials = 5

    @Option(help: "Round trips per trial.")
    var iterations = 1000

    @Option(name: .customLong("reference-loops"), help: ArgumentHelp("Round trips per perf bench sched pipe run (one run per trial); 0: no reference.", valueName: "n"))
    var referenceLoops = 10_000

    @Option(name: .customLong("stall-s"), help: ArgumentHelp("Abort a conversation that gets no reply for this many seconds.", valueName: "s"))
    var stallSeconds = 10.0

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        try Validate.cpuPair(cpu, peerCPU, partnerOption: "--peer-cpu")
        _ = try parsedMechanisms()
        _ = try parsedSpaces()
        _ = try parsedPlacement()
        _ = try parsedSizes()
        try Validate.positive(trials, option: "--trials", atMost: 10_000)
        try Validate.positive(iterations, option: "--iterations", atMost: 100_000_000)
        guard (0...10_000_000).contains(referenceLoops) else {
            throw ValidationError("--reference-loops must be from 0 to 10000000, got \(referenceLoops)")
        }
        try Validate.positive(stallSeconds, option: "--stall-s", atMost: 3600)
    }

    func run() throws {
        let allowed = try Affinity.allowedCPUs()
        let cpu = self.cpu ?? QuietestCPU.pick(from: allowed) ?? 0
        let peer = peerCPU ?? allowed.cpus.last(where: { $0 != cpu })
        let placement = try parsedPlacement()
        let benchRun = try BenchRun(tool: "ctxbench", options: runOptions,
                                    cpus: CPUSet([cpu] + (peer.map { [$0] } ?? [])),
                                    parameters: [
                                        "benchmark": "ipc", "trials": .int(Int64(trials)), "iterations": .int(Int64(iterations)),
                                        "sizes": .string((try parsedSizes()).map(String.init).joined(separator: ",")),
                                        "reference_loops": .int(Int64(referenceLoops)),
                                    ])
        if peer == nil && placement.cross { benchRun.warn("only one CPU allowed: the cross-CPU pairings are skipped") }
        var configuration = IPCConfiguration(cpu: cpu, peerCPU: peer,
                                             runner: TrialRunner(clock: benchRun.clock, overheadTicks: benchRun.timerOverhead.minTicks,
                                                                 trials: trials, iterations: iterations, warmupBatches: 1))
        configuration.mechanisms = try parsedMechanisms()
        configuration.spaces = try parsedSpaces()
        configuration.sameCPU = placement.same
        configuration.crossCPU = placement.cross
        configuration.sizes = try parsedSizes()
        configuration.referenceLoops = referenceLoops
        configuration.stallSeconds = stallSeconds
        do {
            let measurements = try IPCSession.run(configuration, benchRun: benchRun)
            for m in measurements where m.unit != "ticks" {
                let scale = m.unit == "ratio" ? 1000.0 : 10.0
                print("\(m.variant) \(m.param): \(CSVFormat.number((m.statistics.p50 * scale).rounded() / scale)) \(m.unit)")
            }
        } catch let interruption as IPCInterruption {
            print(benchRun.directory.path)
            writeStderr("ctxbench: error: \(interruption)\n")
            if case .failed(let failure) = interruption, failure.isCorruption { throw ExitCode(1) }
            throw ExitCode(70)
        }
        print(benchRun.directory.path)
        if StopRequest.isRequested { throw ExitCode(130) }
    }

    private func parsedMechanisms() throws -> [IPCMechanism] {
        try Self.list(mechanisms, option: "--mechanisms", all: IPCMechanism.allCases)
    }

    private func parsedSpaces() throws -> [IPCSpaces] {
        try Self.list(spaces, option: "--spaces", all: IPCSpaces.allCases)
    }

    private func parsedPlacement() throws -> (same: Bool, cross: Bool) {
        enum Placement: String, CaseIterable { case same, cross }
        let chosen = try Self.list(placement, option: "--placement", all: Placement.allCases)
        return (chosen.contains(.same), chosen.contains(.cross))
    }

    private func parsedSizes() throws -> [Int] {
        guard let sizes else { return MessageSizes.all }
        do { return try MessageSizes.parse(sizes) } catch { throw ValidationError("--sizes: \(error)") }
    }

    /// A comma-separated choice among `all`'s names ("both" or "all": every
    /// one), in `all`'s order, without repeats.
    static func list<T: RawRepresentable & Equatable>(_ text: String?, option: String, all: [T]) throws -> [T] where T.RawValue == String {
        guard let text else { return all }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if names == ["both"] || names == ["all"] { return all }
        for name in names where !all.contains(where: { $0.rawValue == name }) {
            throw ValidationError("\(option): '\(name.prefix(40))' is not one of \(all.map(\.rawValue).joined(separator: ", ")) (comma separated)")
        }
        return all.filter { names.contains($0.rawValue) }
    }
}
