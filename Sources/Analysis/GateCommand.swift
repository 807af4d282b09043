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
        abstract: "Compare a run (or a suite of runs) against a baseline; exit 1 on a significant regression.",
        discussion: """
            BASELINE and CURRENT are run directories, or directories holding run directories
            (a scripts/suite output): every directory with a summary.csv and a meta.json is a
            run. Metrics are matched by tool, benchmark, variant, threads, param, metric and
            unit, and compared with the per-trial values of trials.csv.

            A metric regresses when its median moves in the worse direction (lower_is_better)
            by more than --threshold percent AND the difference is significant: the two-sided
            Mann-Whitney U test (as benchstat uses; exact p for up to 50 trials a side without
            ties, else the normal approximation with tie correction) gives p < --alpha. Why
            Mann-Whitney rather than a bootstrap of the ratio of medians: it assumes no
            distribution (trials are skewed by interrupts), it is deterministic (the same
            trials always give the same verdict), and its p-values read like benchstat's.
            Improvements are reported, never failed. A metric with too few trials for any
            p below --alpha (fewer than 4 a side at 0.05) is reported as too-few-trials.

            Runs from different environments are refused: CPU model, kernel release,
            isolation (cpus_isolated, isolcpus, nohz_full, rcu_nocbs), SMT, the scheduling
            policy obtained, or TSC rates more than 1% apart. --allow-env-mismatch compares anyway.

            Exit status: 0 no regression; 1 a regression; 3 environments differ (refused);
            64 bad usage; 65 a malformed input file.
            """)

    @Option(help: ArgumentHelp("The baseline: a run directory or a suite of them.", valueName: "dir"))
    var baseline: String

    @Option(help: ArgumentHelp("The run to judge: a run directory or a suite of them.", valueName: "dir"))
    var current: String

    @Option(help: ArgumentHelp("Smallest change of the median that counts, in percent.", valueName: "pct"))
    var threshold: Double = GatePolicy.defaultThresholdPct

    @Option(help: ArgumentHelp("Significance level of the test.", valueName: "p"))
    var alpha: Double = GatePolicy.defaultAlpha

    @Option(help: ArgumentHelp("mann-whitney (default) or welch (a plain t-test, to compare against).", valueName: "test"))
    var test: GatePolicy.Test = .mannWhitney

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
        for (option, path) in [("--baseline", baseline), ("--current", current)] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(option): \(path) is not a directory")
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
                          policy: GatePolicy(threshold: threshold / 100, alpha: alpha, test: test),
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
