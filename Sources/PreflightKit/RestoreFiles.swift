import Foundation
import RunFormat

/// Where restore files live and which of them are stale.
///
/// /run is a tmpfs: a reboot empties it, and a reboot also undoes every change
/// a shield makes, so a restore file there always describes a machine that is
/// still changed. A file whose process is gone is stale: that process died
/// (SIGKILL, a crash, a power cut of the terminal) before it could restore.
public enum RestoreFiles {
    public static let directory = "/run/kbench"

    /// The restore file of process `pid` (machine path).
    public static func path(pid: Int) -> String { directory + "/restore-\(pid).json" }

    /// A restore file found on the machine.
    public struct Entry: Sendable {
        /// Path on the machine (without the tree's root).
        public var path: String
        /// Under the tree's root: what to pass to `preflight --restore`.
        public var resolvedPath: String
        /// The file, or why it cannot be read.
        public var file: Result<RestoreFile, InputFileError>
        /// Its process is still running (the shield is held, not stale).
        public var isHeld: Bool
    }

    /// Every restore file under `tree`.
    public static func entries(in tree: SystemTree) -> [Entry] {
        tree.list(directory).filter { $0.hasPrefix("restore-") && $0.hasSuffix(".json") }.sorted().map { name in
            let path = directory + "/" + name
            let resolved = tree.resolve(path)
            let file = Result { () throws(InputFileError) -> RestoreFile in
                do { return try RestoreFile.read(path: resolved) } catch let error as InputFileError { throw error }
                catch { throw InputFileError(path: resolved, problem: .invalidRestoreFile("\(error)")) }
            }
            let held = (try? file.get()).map { isRunning(pid: $0.pid, startTicks: $0.processStartTicks, in: tree) } ?? false
            return Entry(path: path, resolvedPath: resolved, file: file, isHeld: held)
        }
    }

    /// The restore files whose process is gone.
    public static func stale(in tree: SystemTree) -> [Entry] { entries(in: tree).filter { !$0.isHeld } }

    /// Whether process `pid`, started at `startTicks` (when known), still runs.
    static func isRunning(pid: Int, startTicks: UInt64?, in tree: SystemTree) -> Bool {
        guard let now = TaskScan.startTicks(pid: pid, in: tree) else { return false }
        return startTicks.map { $0 == now } ?? true
    }

    /// The command that restores `entry`.
    public static func restoreCommand(_ entry: Entry) -> String { "preflight --restore \(entry.resolvedPath)" }
}
