import BenchKit
import Glibc
import Platform
import RunFormat
import Synchronization

/// `--isolate CPUS` for any tool: a shield for the life of the process,
/// restored when it exits (normally, by an error, or after Ctrl-C/SIGTERM,
/// which make a run stop and exit). A process killed outright leaves its
/// restore file, which the next preflight reports with the command to undo it.
public enum IsolationSession {
    private static let active = Mutex<(journal: RestoreJournal, tree: SystemTree)?>(nil)

    /// Applies a shield on `cpus` and arranges its restore at exit. Never
    /// throws: what cannot be done (no root, a stale shield) is a warning in
    /// the returned record, and the run goes on unshielded.
    public static func begin(cpus: CPUSet, fifo: Bool, in tree: SystemTree = .live,
                             commandLine: [String] = CommandLine.arguments) -> RunMetadata.Isolation {
        do { try Shield.check(cpus, in: tree) } catch {
            return RunMetadata.Isolation(cpus: cpus.description, method: "none", applied: [],
                                         warnings: ["--isolate \(cpus): no shield: \(error)"], restoreFile: nil)
        }
        let journal: RestoreJournal
        do {
            journal = try RestoreJournal(tree: tree, cpus: cpus, pid: Int(getpid()), commandLine: commandLine)
        } catch {
            return RunMetadata.Isolation(cpus: cpus.description, method: "none", applied: [],
                                         warnings: ["--isolate \(cpus): no shield: cannot write a restore file in \(RestoreFiles.directory) (run as root): \(error)"],
                                         restoreFile: nil)
        }
        active.withLock { $0 = (journal, tree) }
        atexit { _ = IsolationSession.end() }
        var plan = Shield.Plan(cpus: cpus, joinPID: Int(getpid()))
        plan.joinOnlyWhenRequired = true
        plan.disableRTThrottling = fifo
        plan.shouldStop = { StopRequest.isRequested }
        let outcome = Shield.apply(plan, journal: journal, in: tree)
        return outcome.isolation(cpus: cpus, restoreFile: journal.resolvedPath)
    }

    /// Restores the shield now (idempotent: a second call does nothing and
    /// returns nil). Prints what could not be undone, and keeps the restore
    /// file then; returns what the restore did, for meta.json.
    @discardableResult
    public static func end() -> RunMetadata.Isolation.Restore? {
        guard let (journal, tree) = active.withLock({ state in defer { state = nil }; return state }) else { return nil }
        let report = ShieldRestore.finish(journal, in: tree)
        for warning in report.warnings { writeStderr("kbench: restore: \(warning)\n") }
        if !report.removedFile {
            writeStderr("kbench: restore incomplete; the restore file stays: preflight --restore \(journal.resolvedPath)\n")
        }
        return RunMetadata.Isolation.Restore(undone: report.restored.count, warnings: report.warnings,
                                             complete: report.removedFile)
    }
}
