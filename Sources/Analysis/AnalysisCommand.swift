import ArgumentParser

/// `analysis`: turns kbench runs into spectra, reports and CI verdicts.
@main
struct AnalysisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis",
        abstract: "Analyse kbench runs: FTQ noise spectra, peaks and noise summaries.",
        subcommands: [SpectrumCommand.self])
}
