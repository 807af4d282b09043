import AnalysisKit
import ArgumentParser
import BenchCLI
import BenchKit
import Foundation
import RunFormat
import SystemPackage

/// `analysis report RUN...`: the papers' tables filled with this machine's runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the papers' tables (4.1, 4.2, 6.1, 6.2, FTQ noise, ...) from kbench runs.",
        discussion: """
            Each RUN is a run directory or a directory holding several (a suite directory): \
            every directory below it with a meta.json and a summary.csv is read. Each table sits \
            beside the papers' figures and shows multiples of this machine's floors when a \
            `ctxbench floors` run is among the inputs. Rows that no table claims are listed at \
            the end. Plots (PNG) found in the runs are linked.
            """)

    @Argument(help: ArgumentHelp("Run directories, or directories of runs.", valueName: "run"))
    var inputs: [String]

    @Option(help: "text (aligned, for a terminal) or markdown (for a CI job summary).")
    var format: ReportTable.Format = .text

    @Option(help: ArgumentHelp("Write the report to this file (default: standard output). Plot links are relative to the first run; put the file there for working links.", valueName: "file"))
    var out: String?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one run directory") }
        if inputs.count > 256 { throw ValidationError("at most 256 run directories, got \(inputs.count)") }
    }

    func run() throws {
        let runs: [ReportRun]
        do {
            runs = try ReportRuns.collect(inputs.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        } catch {
            writeStderr("Error: \(error)\n")
            throw ExitCode(65)
        }
        let text = Report(runs: runs).render(format)
        if let out {
            do {
                try AtomicFileWriter.write(Array(text.utf8), to: FilePath(out))
            } catch {
                writeStderr("Error: \(out): \(error)\n")
                throw ExitCode(73)
            }
        } else {
            print(text, terminator: "")
        }
    }
}

extension ReportTable.Format: ExpressibleByArgument {}
