import Platform

extension Preflight {
    /// Other tasks on the CPUs: runnable there now, or allowed to be scheduled there.
    static func otherTasks(cpus: CPUSet, tasks: [TaskInfo], shield: (path: String, cpus: CPUSet)?,
                           in tree: SystemTree) -> [Finding] {
        let runnable = tasks.filter { $0.isRunnable && cpus.contains($0.processor) && !$0.isPinnedByKernel }
        let movable = tasks.filter { !$0.isPinnedByKernel && $0.allowed.cpus.contains(where: cpus.contains) }
        let pinned = tasks.filter { $0.isPinnedByKernel && $0.allowed.cpus.contains(where: cpus.contains) }
        let shieldFix = "preflight --apply --cpus \(cpus)"
        func names(_ list: [TaskInfo]) -> String { list.prefix(4).map { "\($0.tid) \($0.name)" }.joined(separator: ", ") }
        var findings = [runnable.isEmpty
            ? Finding("tasks.runnable", .pass, "no other task is runnable on CPUs \(cpus) now")
            : Finding("tasks.runnable", .fail, "\(runnable.count) other tasks runnable on CPUs \(cpus) now (\(names(runnable)))",
                      fix: shieldFix)]
        findings.append(movable.isEmpty
            ? Finding("tasks.movable", .pass, "no movable task may run on CPUs \(cpus) (\(pinned.count) per-CPU kernel threads stay, as everywhere)")
            : Finding("tasks.movable", .warn,
                      "\(movable.count) tasks and movable kernel threads may be scheduled on CPUs \(cpus) (\(names(movable)))",
                      fix: shield == nil ? shieldFix : "their cgroups are outside \(shield!.path): move them, e.g. echo PID > \(shield!.path.replacingOccurrences(of: "/kbench-shield", with: ""))/kbench-system/tasks"))
        return findings
    }

    /// Restore files: a stale one means a shield was never undone.
    static func restoreFiles(in tree: SystemTree) -> [Finding] {
        let entries = RestoreFiles.entries(in: tree)
        guard !entries.isEmpty else { return [Finding("restore", .pass, "no kbench shield applied (no restore file in \(RestoreFiles.directory))")] }
        return entries.map { entry in
            switch entry.file {
            case .failure(let error):
                return Finding("restore.stale", .fail, "unreadable restore file: \(error)",
                               fix: "inspect it, undo by hand, then rm \(entry.resolvedPath)")
            case .success(let file) where entry.isHeld:
                return Finding("restore.held", .warn,
                               "a shield on CPUs \(file.cpus) is held by process \(file.pid) (\(file.changes.count) changes in \(entry.resolvedPath))",
                               fix: "kill -TERM \(file.pid)   # it restores and exits")
            case .success(let file):
                return Finding("restore.stale", .fail,
                               "stale restore file \(entry.resolvedPath): process \(file.pid) shielded CPUs \(file.cpus) and did not restore (\(file.changes.count) changes still in place)",
                               fix: RestoreFiles.restoreCommand(entry))
            }
        }
    }
}
