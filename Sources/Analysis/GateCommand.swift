import AnalysisKit
import ArgumentParser
import BenchCLI
import BenchKit
import Foundation
import RunFormat
import SystemPackage

/// `analysis gate`: the CI verdict. Compares every metric two runs (or suites
/// of runs) share, trial by trial, and fails only on a significant regression
/// beyond the threshold.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Compare a run (or a suite of runs) against a baseline of several runs; exit 1 on a significant regression.",
        discussion: """
            BASELINE and CURRENT are run directories, or directories holding run directories (a scripts/suite output): every directory with a summary.csv and a meta.json is a run. Metrics are matched by tool, benchmark, variant, threads, param, metric and unit, and compared with the per-trial values of trials.csv.

            A baseline should hold several runs: list them after --baseline (--baseline DIR1 DIR2 DIR3), or give one directory whose run-* sub-directories are the runs (results/baseline/<class>/run-01 ...). Trials within one run share that run's thread placement on the host and are correlated, so only separate runs show how far a metric moves from run to run; a rank test over one run's trials calls that movement a regression.

            A metric regresses when all three hold: its median (the median of the run medians) moves in the worse direction (lower_is_better) by more than --threshold percent; it moves by more than the baseline's noise band, --noise-sigmas standard deviations of a run's median (the larger of the spread of the baseline's run medians and the standard error the within-run spread gives), times sqrt(1/K + 1/Kc) for K baseline and Kc current runs; and it is significant after Holm's correction over every metric that could reach significance (Tarone's family): the two-sided Mann-Whitney U test of all trials of each side (exact p for up to 50 trials a side without ties, else the normal approximation with tie correction) and the band's own test (the change over the run-to-run spread as Student's t with K - 1 degrees of freedom, the prediction test of one new run) must both give p < --alpha after correction; the gate corrects the larger of the two. More baseline runs narrow the change that can be told from noise. Holm, not Benjamini-Hochberg: the gate fails when ANY metric regresses, so the chance of even one false regression (the family-wise error) is what must stay below alpha, and Holm bounds it under any dependence between metrics.

            With two or more current runs (--current RUN1 RUN2, e.g. two quick suites), a regression must reproduce: every current run must move the same way, and the gate decides on the run nearest the baseline, each run read against the band of one run (an intersection-union test). On a VM one disturbed run shifts many metrics at once by far more than ten quiet runs suggest; a code regression shows in every run. This is how CI should call the gate there (results/README.md).

            With fewer than 3 baseline runs there is no noise band: the gate falls back to the threshold and the corrected test alone and says that run-to-run noise is not accounted for. A metric whose baseline runs scatter so much that even a doubling (or a halving) could not pass the band's test at the corrected level is reported as too-noisy, by name, and never fails. Improvements are reported, never failed. A metric whose trials cannot give a p below the corrected level is reported as too-few-trials.

            Runs from different environments are refused, between the sides and among one side's runs: CPU model, kernel release, isolation (cpus_isolated, isolcpus, nohz_full, rcu_nocbs), SMT, the scheduling policy obtained, or TSC rates more than 1% apart. --allow-env-mismatch compares anyway.

            Exit status: 0 no regression; 1 a regression; 3 environments differ (refused); 64 bad usage; 65 a malformed input file or a directory without runs.
            """)

    @Option(parsing: .upToNextOption, help: ArgumentHelp("The baseline: one or more runs (each a run directory or a suite of them), or a directory of run-* runs.", valueName: "dir"))
    var baseline: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("The run to judge: a run directory or a suite of them (or several runs, like --baseline).", valueName: "dir"))
    var current: [String] = []

    @Option(help: ArgumentHelp("Smallest change of the median that counts, in percent.", valueName: "pct"))
    var threshold: Double = GatePolicy.defaultThresholdPct

    @Option(help: ArgumentHelp("Family-wise significance level.", valueName: "p"))
    var alpha: Double = GatePolicy.defaultAlpha

    @Option(name: .customLong("noise-sigmas"), help: ArgumentHelp("Width of the noise band in standard deviations of a run's median (needs 3 or more baseline runs).", valueName: "k"))
    var noiseSigmas: Double = GatePolicy.defaultNoiseSigmas

    @Option(help: ArgumentHelp("mann-whitney (default) or welch (a plain t-test, to compare against).", valueName: "test"))
    var test: GatePolicy.Test = .mannWhitney

    @Option(help: ArgumentHelp("holm (default) or none (each metric at alpha on its own, as the old gate and benchstat do).", valueName: "method"))
    var correction: GatePolicy.Correction = .holm

    @Flag(name: .customLong("allow-env-mismatch"), help: "Compare runs from different environments (the differences are still reported).")
    var allowEnvMismatch = false

    @Option(help: ArgumentHelp("Also write the verdicts as Markdown (for $GITHUB_STEP_SUMMARY).", valueName: "file"))
    var markdown: String?

    @Option(help: ArgumentHelp("Write the current medians for github-action-benchmark: <prefix>-smaller.json (customSmallerIsBetter) and <prefix>-bigger.json (customBiggerIsBetter).", valueName: "prefix"))
    var json: String?

    @Flag(help: "Print only the summary line and the metrics that are not unchanged.")
    var brief = false

    func validate() throws {
        guard threshold.isFinite, threshold >= 0, threshold <= 1000 else {
            throw ValidationError("--threshold must be a percentage from 0 to 1000, got \(threshold)")
        }
        guard alpha.isFinite, alpha > 0, alpha < 1 else {
            throw ValidationError("--alpha must be above 0 and below 1, got \(alpha)")
        }
        guard noiseSigmas.isFinite, noiseSigmas >= 0, noiseSigmas <= 100 else {
            throw ValidationError("--noise-sigmas must be from 0 to 100, got \(noiseSigmas)")
        }
        for (option, paths) in [("--baseline", baseline), ("--current", current)] {
            guard !paths.isEmpty else { throw ValidationError("\(option) is required") }
            guard paths.count <= GateSide.maximumReplicates else {
                throw ValidationError("\(option) lists \(paths.count) directories; at most \(GateSide.maximumReplicates)")
            }
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("\(option): \(path) is not a directory")
                }
            }
        }
        for (option, path) in [("--markdown", markdown), ("--json", json)] {
            guard let path else { continue }
            guard !path.isEmpty else { throw ValidationError("\(option) needs a file name") }
            let parent = FilePath(path).removingLastComponent()
            do { try RunDirectory.checkWritable(parent.isEmpty ? "." : parent, create: false) } catch {
                throw ValidationError("\(option): \(error.description)")
            }
        }
    }

    func run() throws {
        let job = GateJob(baseline: baseline, current: current,
                          policy: GatePolicy(threshold: threshold / 100, alpha: alpha, test: test,
                                             correction: correction, noiseSigmas: noiseSigmas),
                          allowEnvironmentMismatch: allowEnvMismatch)
        let result: GateJob.Result
        do {
            result = try job.run()
        } catch let error as InputFileError {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode(65)
        }
        var shown = result
        if brief { shown.verdicts.removeAll { $0.status == .unchanged } }
        print(GateReport.text(shown))
        if let markdown {
            try AtomicFileWriter.write(Array(GateReport.markdown(result).utf8), to: FilePath(markdown))
        }
        if let json {
            for (suffix, lower) in [("-smaller.json", true), ("-bigger.json", false)] {
                let data = try GateReport.benchmarkJSON(GateReport.benchmarkEntries(result, lowerIsBetter: lower))
                try AtomicFileWriter.write(data, to: FilePath(json + suffix))
            }
        }
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

extension GatePolicy.Test: ExpressibleByArgument {}
extension GatePolicy.Correction: ExpressibleByArgument {}
