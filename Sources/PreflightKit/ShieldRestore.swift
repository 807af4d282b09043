import Foundation
import Glibc
import RunFormat

/// Undoes a shield from its restore file, in reverse order of the changes.
///
/// Idempotent and tolerant: a file already back to its original value is left
/// alone, a cgroup already gone is skipped, a task that exited or a kernel
/// thread that cannot move is passed over. The restore file is removed once
/// every change is undone (or its object is gone); when something could not be
/// undone it stays, and the next preflight names it.
public enum ShieldRestore {
    public struct Report: Sendable {
        /// What was put back, one line each.
        public var restored: [String] = []
        /// What could not be put back.
        public var warnings: [String] = []
        /// The restore file was removed (everything is undone).
        public var removedFile = false
    }

    /// Reads the restore file at `resolvedPath` (its changes are checked
    /// against the files kbench manages before anything is written) and undoes it.
    public static func restore(file resolvedPath: String, in tree: SystemTree) throws(InputFileError) -> Report {
        let file: RestoreFile
        do { file = try RestoreFile.read(path: resolvedPath) } catch let error as InputFileError { throw error } catch {
            throw InputFileError(path: resolvedPath, problem: .invalidRestoreFile("\(error)"))
        }
        var report = undo(file.changes, in: tree)
        if report.warnings.isEmpty {
            if unlink(resolvedPath) == 0 || Glibc.errno == ENOENT { report.removedFile = true }
        }
        return report
    }

    /// Undoes a journal's changes at the end of its process's shield; removes
    /// its restore file when everything is undone.
    public static func finish(_ journal: RestoreJournal, in tree: SystemTree) -> Report {
        var report = undo(journal.changes, in: tree)
        if report.warnings.isEmpty, unlink(journal.resolvedPath) == 0 || Glibc.errno == ENOENT { report.removedFile = true }
        return report
    }

    /// Undoes `changes` (already checked), last first.
    public static func undo(_ changes: [RestoreFile.Change], in tree: SystemTree) -> Report {
        var report = Report()
        for change in changes.reversed() {
            switch change.kind {
            case .file: restoreFile(change, tree, &report)
            case .cgroup: removeCgroup(change.path, tree, &report)
            case .controller: disableController(change, tree, &report)
            }
        }
        return report
    }

    private static func restoreFile(_ change: RestoreFile.Change, _ tree: SystemTree, _ report: inout Report) {
        guard let original = change.original else { return }
        guard let current = tree.firstLine(change.path) else {
            report.restored.append("\(change.path): gone, nothing to restore")
            return
        }
        guard current != original else { return }
        do {
            try tree.write(change.path, original)
            report.restored.append("\(change.path): \(current) -> \(original)")
        } catch {
            if error.isGone { report.restored.append("\(change.path): gone, nothing to restore") }
            else { report.warnings.append("\(change.path) not restored to '\(original)': \(error)") }
        }
    }

    private static func removeCgroup(_ path: String, _ tree: SystemTree, _ report: inout Report) {
        guard tree.exists(path) else { return }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        // v1 lists threads in `tasks`; v2 has processes in `cgroup.procs` only.
        let list = tree.exists(path + "/tasks") ? "/tasks" : "/cgroup.procs"
        var moved = 0, unmovable = 0
        for line in (tree.read(path + list) ?? "").split(separator: "\n") {
            guard let id = Int(line.trimmingWhitespace()), id > 0 else { continue }
            do {
                try tree.moveTask(id, to: parent + list)
                moved += 1
            } catch {
                if !error.isGone { unmovable += 1 }
            }
        }
        do {
            try tree.removeCgroup(path)
            report.restored.append("\(path): \(moved) tasks back in \(parent), cgroup removed")
        } catch {
            report.warnings.append("\(path) not removed (\(unmovable) tasks could not leave it): \(error)")
        }
    }

    private static func disableController(_ change: RestoreFile.Change, _ tree: SystemTree, _ report: inout Report) {
        guard let controller = change.controller else { return }
        guard Preflight.words(tree.firstLine(change.path)).contains(controller) else { return }
        do {
            try tree.write(change.path, "-" + controller)
            report.restored.append("\(change.path): -\(controller)")
        } catch {
            report.warnings.append("\(controller) controller left enabled in \(change.path) (another cgroup uses it?): \(error)")
        }
    }
}
