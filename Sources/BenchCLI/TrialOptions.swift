import ArgumentParser
import BenchKit
import RunFormat

/// The command-line options of a trial-based measurement (`--trials`,
/// `--iterations`), shared by every tool that runs a `TrialRunner`.
public struct TrialOptions: ParsableArguments, Sendable {
    @Option(help: "Timed trials (each one batch); statistics are over trials.")
    public var trials = 31

    @Option(help: "Operations per trial.")
    public var iterations = 100_000

    public init() {}

    /// More trials than this are a typing mistake (each is kept in memory).
    public static let maximumTrials = 1_000_000

    public func validate() throws {
        try Validate.positive(trials, option: "--trials", atMost: Self.maximumTrials)
        try Validate.positive(iterations, option: "--iterations")
    }

    /// A runner with these counts, subtracting `overheadTicks` from each batch.
    public func runner(clock: TSCClock, overheadTicks: UInt64) -> TrialRunner {
        TrialRunner(clock: clock, overheadTicks: overheadTicks, trials: trials, iterations: iterations)
    }

    /// The counts for meta.json's parameters.
    public var parameters: [String: JSONValue] {
        ["trials": .int(Int64(trials)), "iterations": .int(Int64(iterations))]
    }
}
