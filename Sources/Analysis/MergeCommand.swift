import AnalysisKit
import ArgumentParser
import BenchCLI
import BenchKit
import Foundation
import RunFormat

/// `analysis merge DIR`: the ranks of one multi-node FTQ job side by side, and the
/// slowdown their noise would cause a bulk-synchronous job.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the rank-<N> directories of a multi-rank FTQ run: per-node noise, system-wide against node-local lines, and the bulk-synchronous slowdown.",
        discussion: """
            DIR holds rank-0, rank-1, ... as written by ftq run under srun or mpirun (each meta.json with its launch object). Ranks are read one at a time and aligned on the shared time base (launch.time_zero_realtime_ns). Writes ranks.csv, nodes.csv, lines.csv, heatmap.csv, slowdown_q.csv, slowdown_ranks.csv (with --bsp also bsp_check.csv) and meta.json into --out (default DIR/merge); scripts/plot-merge draws the heat map, the per-node noise fraction and the slowdown against Q. The slowdown of a job computing for Q between barriers is the mean over its steps, one after another, of the largest delay over the ranks, divided by Q; a rank's delay is read by walking its trace from the step's start until an undisturbed Q of work is done (the 99% quantile of its work in blocks of Q). It is extrapolated to more ranks by resampling the measured windows, aligned (same windows across nodes) and unaligned (independent).
            """)

    @Argument(help: ArgumentHelp("The job's output directory, holding rank-<N> directories.", valueName: "dir"))
    var input: String

    @Option(help: ArgumentHelp("Output directory (default: <dir>/merge).", valueName: "dir"))
    var out: String?

    @Option(help: "text or markdown.")
    var format: ReportTable.Format = .text

    @Flag(name: .customLong("allow-missing"), help: "Merge the ranks present when some of 0 ..< launch.size are missing (a warning instead of an error).")
    var allowMissing = false

    @Option(name: .customLong("bsp"), parsing: .upToNextOption,
            help: ArgumentHelp("Directories of repeated ftq --mode bsp runs (same ranks as DIR): their measured slowdown is set beside merge's prediction, with the spread of the runs and a verdict.", valueName: "dir"))
    var bsp: [String] = []

    @Option(name: .customLong("ftq"), parsing: .upToNextOption,
            help: ArgumentHelp("More ftq runs of the same job as DIR, taken interleaved with the --bsp runs (ftq, bsp, ftq, bsp, ...): each gives one more prediction, so the check sets the prediction's spread beside the measurement's.", valueName: "dir"))
    var ftqRepeats: [String] = []

    @Option(name: .customLong("synthesize"), help: ArgumentHelp("Write this many synthetic rank directories into DIR instead of merging (for tests and timing).", visibility: .hidden))
    var synthesize: Int?

    @Option(name: .customLong("synth-profile"), help: ArgumentHelp("mixed, short or long.", visibility: .hidden))
    var synthProfile: SyntheticRanks.Profile = .mixed

    @Option(name: .customLong("synth-duration"), help: ArgumentHelp("Seconds per synthetic rank.", visibility: .hidden))
    var synthDuration: Double = 2

    @Option(name: .customLong("synth-quantum-us"), help: ArgumentHelp("Quantum of the synthetic ranks, µs.", visibility: .hidden))
    var synthQuantumUs: Double = 100

    @Option(name: .customLong("seed"), help: ArgumentHelp("Seed of the synthetic ranks.", visibility: .hidden))
    var seed: UInt64 = 1

    func validate() throws {
        if let synthesize {
            guard (1...100_000).contains(synthesize) else {
                throw ValidationError("--synthesize must be 1 to 100000 ranks, got \(synthesize)")
            }
            try Validate.positive(synthDuration, option: "--synth-duration", atMost: 3600)
            try Validate.positive(synthQuantumUs, option: "--synth-quantum-us", atMost: 1e6)
            guard synthDuration * 1e6 / synthQuantumUs >= 64, synthDuration * 1e6 / synthQuantumUs <= 1e8 else {
                throw ValidationError("--synth-duration / --synth-quantum-us must give 64 to 10^8 quanta per rank")
            }
            return
        }
        guard bsp.count <= 100 else { throw ValidationError("--bsp takes at most 100 run directories, got \(bsp.count)") }
        guard ftqRepeats.count <= 100 else { throw ValidationError("--ftq takes at most 100 run directories, got \(ftqRepeats.count)") }
        guard ftqRepeats.isEmpty || !bsp.isEmpty else { throw ValidationError("--ftq adds predictions to the bsp check: give --bsp runs too") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(input) is not a directory")
        }
    }

    func run() throws {
        do {
            if let synthesize {
                let synthetic = SyntheticRanks(ranks: synthesize, quantumNs: synthQuantumUs * 1000,
                                               durationSeconds: synthDuration,
                                               sources: synthProfile.sources(ranks: synthesize), seed: seed)
                try synthetic.write(to: input, provenance: Provenance.current())
                print("\(synthesize) synthetic ranks (\(synthProfile.rawValue)) in \(input)")
                return
            }
            let job = MergeJob(input: input, outputDirectory: out, allowMissing: allowMissing, bspDirectories: bsp,
                               ftqRepeats: ftqRepeats)
            let result = try job.run(provenance: Provenance.current(),
                                     warn: { writeStderr("analysis: warning: \($0)\n") })
            print(MergeReport.render(result, format: format))
        } catch let error as InputFileError {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode(65)
        } catch let error as MergeInputError {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode(65)
        }
    }
}


extension SyntheticRanks.Profile: ExpressibleByArgument {}
