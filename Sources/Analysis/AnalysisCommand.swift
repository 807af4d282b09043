import ArgumentParser
import BenchCLI

/// `analysis`: turns kbench runs into spectra, reports and CI verdicts.
@main
struct AnalysisCommand: ParsableCommand {
    /// A repeated option is a usage error, not last-one-wins (`RepeatedOptions`).
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "analysis",
        abstract: "Analyse kbench runs: FTQ noise spectra, peaks and noise summaries.",
        subcommands: [
            SpectrumCommand.self,
            ReportCommand.self,
            GateCommand.self,
            ImportCommand.self,
            MergeCommand.self,
        ])
}
