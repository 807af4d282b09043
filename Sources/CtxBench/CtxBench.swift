import ArgumentParser
import BenchCLI

/// `ctxbench`: the costs of crossing boundaries — context switches, IPC, IPIs,
/// event queues — and the physical floors they are read against.
@main
struct CtxBench: ParsableCommand {
    /// A repeated option is a usage error, not last-one-wins (`RepeatedOptions`).
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "ctxbench",
        abstract: "Measure context-switch, IPC, IPI and event-queue costs on pinned CPUs.",
        subcommands: [
            FloorsCommand.self,
            IPCCommand.self,
            RemoteOpCommand.self,
            QueueCommand.self,
            SwitchCommand.self,
            ForkJoinCommand.self,
            C2CCommand.self,
            IPICommand.self,
            KmsgCommand.self,
        ],
        defaultSubcommand: FloorsCommand.self)
}
