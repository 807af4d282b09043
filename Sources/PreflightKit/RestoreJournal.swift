import BenchKit
import Foundation
import Glibc
import Platform
import RunFormat

/// The restore file while a shield is applied: each change is appended and
/// the file rewritten atomically (and fsynced) *before* the change is made,
/// so whenever the process dies the file names everything it may have done.
/// Restoring a change that was recorded but never made is harmless: restore
/// compares before it writes.
public final class RestoreJournal: @unchecked Sendable {
    /// Path on the machine.
    public let path: String
    /// Path under the tree's root (what people are told).
    public let resolvedPath: String
    private let lock = NSLock()
    private var file: RestoreFile

    /// Creates the file (and /run/kbench) with no changes yet.
    public init(tree: SystemTree, cpus: CPUSet, pid: Int, commandLine: [String]) throws {
        path = RestoreFiles.path(pid: pid)
        resolvedPath = tree.resolve(path)
        try FileManager.default.createDirectory(atPath: tree.resolve(RestoreFiles.directory),
                                                withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        file = RestoreFile(pid: pid, processStartTicks: TaskScan.startTicks(pid: pid, in: tree),
                           host: SystemInfo.hostName(), cpus: cpus.description, commandLine: commandLine)
        try file.write(to: resolvedPath)
    }

    /// Records `change` durably; only then may the caller make it.
    public func record(_ change: RestoreFile.Change) throws {
        try lock.withLock {
            file.changes.append(change)
            try file.write(to: resolvedPath)
        }
    }

    public var changes: [RestoreFile.Change] { lock.withLock { file.changes } }
}
