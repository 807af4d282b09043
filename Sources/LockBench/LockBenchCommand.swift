import ArgumentParser
import BenchCLI
import BenchKit
import LockBenchKit

/// `lockbench`: lock acquisition latency and throughput (Akaros lock_test).
@main
struct LockBenchCommand: ParsableCommand {
    /// A repeated option is a usage error, not last-one-wins (`RepeatedOptions`).
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "lockbench",
        abstract: "Measure lock acquisition latency and throughput on pinned threads, with preemption injection (thesis §6.2).",
        discussion: """
            `lockbench run` (the default) times every attempt: TSC before it, after acquiring and after \
            releasing. Acquisition latency = acquired - before - timer overhead, in ticks and ns, with the \
            quantiles of thesis Tables 6.1/6.2. `lockbench uncontended` measures each lock's \
            acquire+release on one thread beside the same algorithm in C. `lockbench dynamic` measures \
            Uhlig's dynamic locks, lock cascades and per-domain event logging.
            """,
        subcommands: [
            RunCommand.self,
            UncontendedCommand.self,
            DynamicCommand.self,
        ],
        defaultSubcommand: RunCommand.self)
}
