import AnalysisKit
import ArgumentParser
import BenchCLI
import BenchKit
import Foundation
import RunFormat
import SystemPackage

/// `analysis import`: other tools' noise and latency data as kbench runs.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert rminnich/ftq, LLNL fwq, cyclictest or oslat output into a kbench run directory.",
        discussion: """
            rminnich-ftq: its NAME_<thread>.dat files ('#' header with Frequency, then 'time count' \
            rows) -> ftq.csv, so 'analysis spectrum DIR' works on it.
            fwq: LLNL fwq's NAME_<t>_times.dat files (cycles per line; give --tsc-ghz) or fwq-th's \
            single file ('Speed:' and 'Thread T running on CPUs' lines) -> fwq.csv.
            cyclictest: the output of 'cyclictest -h US' (or -H) -> summary.csv and trials.csv, one \
            row per thread, latency in us.
            oslat: oslat's report -> summary.csv and trials.csv, one row per core.
            Every import writes meta.json (tool = the source tool, parameters.imported_from and \
            imported_file; what the file does not record is null), so 'analysis gate' compares two \
            imports of the same tool. Histograms give the gate at most 10000 trials (quantiles).
            """)

    @Argument(help: ArgumentHelp("The format: rminnich-ftq, fwq, cyclictest or oslat.", valueName: "format"))
    var format: ImportJob.Format

    @Argument(help: ArgumentHelp("The tool's output file(s); one per thread for rminnich-ftq and classic fwq.", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("Output run directory.", valueName: "dir"))
    var out: String

    @Option(name: .customLong("tsc-ghz"), help: ArgumentHelp("fwq: the cycle counter's rate in GHz, when the file has no 'Speed:' lines.", valueName: "ghz"))
    var tscGHz: Double?

    @Option(help: ArgumentHelp("summary.csv's param column: how the tool was run (e.g. interval_us=1000).", valueName: "text"))
    var param: String = ""

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one input file") }
        guard files.count <= 4096 else { throw ValidationError("at most 4096 input files, got \(files.count)") }
        for file in files where !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("\(file) does not exist or is not readable")
        }
        if let tscGHz { guard tscGHz.isFinite, tscGHz > 0, tscGHz < 1000 else {
            throw ValidationError("--tsc-ghz must be above 0 and below 1000, got \(tscGHz)")
        } }
        if tscGHz != nil, format != .fwq { throw ValidationError("--tsc-ghz applies to fwq only") }
        guard param.utf8.count <= 256, !param.contains(where: { $0.isNewline || $0 == "," || $0 == "\"" }) else {
            throw ValidationError("--param must be at most 256 bytes without newlines, commas or quotes")
        }
        do { try RunDirectory.checkWritable(FilePath(out), create: false) } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let job = ImportJob(format: format, inputs: files, outputDirectory: out, tscGHz: tscGHz, param: param)
        do {
            let result = try job.run()
            for warning in result.metadata.warnings.dropFirst() { writeStderr("analysis: warning: \(warning)\n") }
            for m in result.measurements {
                print("\(m.benchmark) \(m.variant) \(m.metric): median \(CSVFormat.number(m.statistics.p50)) \(m.unit), n=\(m.statistics.count)")
            }
            print(out)
        } catch let error as InputFileError {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode(65)
        }
    }
}

extension ImportJob.Format: ExpressibleByArgument {}
