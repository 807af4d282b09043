import ArgumentParser
import BenchCLI
import BenchKit
import Foundation
import Glibc
import Platform
import PreflightKit
import RunFormat

/// `preflight`: checks how quiet the CPUs of a run are, and shields them.
///
/// Its own executable rather than an `analysis` subcommand: analysis reads run
/// directories and links neither libcpupower nor the shim, so a run copied from
/// another machine is read the same way everywhere; preflight inspects and
/// changes *this* machine, as root, and is what the suite runs first.
@main
struct PreflightCommand: ParsableCommand {
    static func main() { mainRefusingRepeatedOptions() }

    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check (and with --apply, quiet) the CPUs a kbench run will use.",
        discussion: """
            Checks isolcpus, nohz_full, rcu_nocbs, IRQs routed to the CPUs, cpufreq governor and limits and \
            idle states (libcpupower), SMT siblings, clocksource, transparent huge pages, RT throttling, swap, \
            other tasks on the CPUs, and restore files a shield left behind. Each finding is pass, warn or \
            fail with the command that fixes it.

            --apply shields the CPUs until the command after `--` exits (or, without one, until Ctrl-C or \
            SIGTERM), then restores everything. The changes are written to /run/kbench/restore-PID.json before \
            they are made; `preflight --restore FILE` undoes a shield whose process died.
            """)

    @Option(help: ArgumentHelp("CPUs the run will use (default: every online CPU but the first).", valueName: "list"),
            transform: CPUSet.parse)
    var cpus: CPUSet?

    @Flag(help: "Print the findings as JSON (id, severity, summary, fix).")
    var json = false

    @Flag(help: "Exit 1 when any check fails.")
    var strict = false

    @Flag(help: "Shield the CPUs, hold the shield while the command after -- runs (or until Ctrl-C/SIGTERM), then restore.")
    var apply = false

    @Flag(name: .customLong("keep-rt-throttling"), help: "With --apply, leave RT throttling as it is.")
    var keepRTThrottling = false

    @Option(help: ArgumentHelp("Undo the shield recorded in this restore file, then check again.", valueName: "file"))
    var restore: String?

    @Option(help: .hidden)
    var root: String = "/"

    @Argument(parsing: .postTerminator, help: ArgumentHelp("With --apply: the command to run shielded.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if apply, restore != nil { throw ValidationError("give --apply or --restore, not both") }
        if !command.isEmpty, !apply { throw ValidationError("a command after -- needs --apply") }
        if let restore, restore.isEmpty { throw ValidationError("--restore needs a file") }
        guard root.hasPrefix("/") else { throw ValidationError("--root must be an absolute path") }
    }

    func run() throws {
        let tree = SystemTree(root: root)
        if let restore { return try restoreAndCheck(restore, tree: tree) }
        let cpus = try chosenCPUs(tree)
        guard apply else {
            try report(Preflight.run(cpus: cpus, in: tree), cpus: cpus)
            return
        }
        try applyAndHold(cpus, tree: tree)
    }

    /// --cpus, or every online CPU but the first (which keeps the rest of the machine).
    func chosenCPUs(_ tree: SystemTree) throws -> CPUSet {
        let online = tree.firstLine("/sys/devices/system/cpu/online").flatMap { try? CPUSet(parsing: $0) }
            ?? Affinity.onlineCPUs()
        if let cpus {
            let missing = cpus.cpus.filter { !online.contains($0) }
            guard missing.isEmpty else {
                throw ValidationError("--cpus: CPU \(CPUSet(missing)) is not online (online: \(online))")
            }
            return cpus
        }
        let rest = CPUSet(online.cpus.dropFirst())
        return rest.isEmpty ? online : rest
    }

    func report(_ findings: [Finding], cpus: CPUSet, title: String? = nil) throws {
        if json {
            print(try FindingReport.json(findings, cpus: cpus.description), terminator: "")
        } else {
            if let title { print(title) }
            print(FindingReport.table(findings, cpus: cpus.description))
        }
        // stdout is buffered when it is a pipe or a file, stderr is not: without
        // this, the "after --apply:" table would come out after the command run
        // under the shield and after the restore messages.
        fflush(nil)  // every output stream; Glibc's `stdout` is a global Swift 6 will not touch
        if strict, FindingReport.worst(findings) == .fail { throw ExitCode(1) }
    }

    func restoreAndCheck(_ path: String, tree: SystemTree) throws {
        let outcome: ShieldRestore.Report
        do { outcome = try ShieldRestore.restore(file: path, in: tree) } catch {
            writeStderr("preflight: \(error)\n")
            throw ExitCode(65)
        }
        for line in outcome.restored { writeStderr("preflight: restored \(line)\n") }
        for line in outcome.warnings { writeStderr("preflight: warning: \(line)\n") }
        writeStderr(outcome.removedFile ? "preflight: restore complete; \(path) removed\n"
                                        : "preflight: restore incomplete; \(path) kept\n")
        if !outcome.warnings.isEmpty { throw ExitCode(1) }
    }

    func applyAndHold(_ cpus: CPUSet, tree: SystemTree) throws {
        ShieldSession.blockTerminationSignals()
        do { try Shield.check(cpus, in: tree) } catch {
            writeStderr("preflight: --apply: \(error)\n")
            throw ExitCode(1)
        }
        let journal: RestoreJournal
        do {
            journal = try RestoreJournal(tree: tree, cpus: cpus, pid: Int(getpid()), commandLine: CommandLine.arguments)
        } catch {
            writeStderr("preflight: --apply: cannot write a restore file in \(tree.resolve(RestoreFiles.directory)) (run as root): \(error)\n")
            throw ExitCode(1)
        }
        let pending = Pending()
        var plan = Shield.Plan(cpus: cpus, joinPID: Int(getpid()))
        plan.disableRTThrottling = !keepRTThrottling
        plan.shouldStop = { pending.poll() }
        let outcome = Shield.apply(plan, journal: journal, in: tree)
        for line in outcome.applied { writeStderr("preflight: applied \(line)\n") }
        for line in outcome.warnings { writeStderr("preflight: warning: \(line)\n") }
        writeStderr("preflight: restore file \(journal.resolvedPath) (\(outcome.method))\n")

        var end: ShieldSession.End
        if let signal = pending.signal {
            end = .signal(signal)
        } else {
            try? report(Preflight.run(cpus: cpus, in: tree), cpus: cpus, title: "after --apply:")
            if command.isEmpty {
                let shield = Preflight.activeShield(in: tree)?.path
                writeStderr("preflight: shield held; Ctrl-C or SIGTERM restores."
                            + (shield.map { " Run a shell inside it: echo $$ > \(tree.resolve($0))/cgroup.procs" } ?? "") + "\n")
                end = ShieldSession.hold()
            } else {
                end = ShieldSession.run(command)
            }
        }
        let restored = ShieldRestore.finish(journal, in: tree)
        for line in restored.warnings { writeStderr("preflight: warning: \(line)\n") }
        if restored.removedFile {
            writeStderr("preflight: restored (\(restored.restored.count) changes undone)\n")
        } else {
            writeStderr("preflight: restore incomplete; run `preflight --restore \(journal.resolvedPath)`\n")
        }
        switch end {
        case .signal(let signal): throw ExitCode(ShieldSession.exitStatus(for: signal))
        case .commandExited(let status): if status != 0 { throw ExitCode(status) }
        case .commandFailedToStart(let reason):
            writeStderr("preflight: cannot run \(reason)\n")
            throw ExitCode(127)
        }
    }
}

/// A termination signal noticed while applying (polled between steps).
final class Pending: @unchecked Sendable {
    private let lock = NSLock()
    private var taken: Int32?

    func poll() -> Bool {
        lock.withLock {
            if taken == nil { taken = ShieldSession.takeSignal(waitingMilliseconds: 0) }
            return taken != nil
        }
    }

    var signal: Int32? {
        _ = poll()
        return lock.withLock { taken }
    }
}
