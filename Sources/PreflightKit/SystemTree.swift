import Foundation
import Glibc
import Platform
import SystemPackage

/// The machine's files seen from a root directory: "/" on the machine, a
/// temporary directory holding recorded or fabricated /proc, /sys and cgroup
/// trees in the tests. Every check and every shield change goes through one,
/// so the same code that changes a real machine is tested on a fake one.
public struct SystemTree: Sendable, Equatable {
    /// The root directory, without a trailing slash ("" for the real root).
    private let prefix: String

    /// True for the machine itself (libcpupower can then be asked directly).
    public var isLive: Bool { prefix.isEmpty }

    /// The real machine.
    public static let live = SystemTree(root: "/")

    public init(root: String) {
        var root = root
        while root.hasSuffix("/") { root.removeLast() }
        prefix = root
    }

    /// Where `path` (absolute on the machine, e.g. "/proc/cmdline") is under this root.
    public func resolve(_ path: String) -> String { prefix + path }

    /// The file's text, or nil when it cannot be read.
    public func read(_ path: String) -> String? { try? SystemFiles.read(resolve(path)) }

    /// The file's first line, trimmed, or nil.
    public func firstLine(_ path: String) -> String? { SystemFiles.firstLine(resolve(path)) }

    /// The names in a directory, or [] when it cannot be listed.
    public func list(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: resolve(path))) ?? []
    }

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: resolve(path)) }

    /// Writes `value` to a kernel file with one write(2), as `echo value > path`
    /// does: /proc and /sys files take one value per write. On the machine the
    /// file must exist (kbench never creates files there); under a test root a
    /// missing file is created, as the kernel would have shown it.
    public func write(_ path: String, _ value: String) throws(TreeError) {
        try writeOnce(path, value, flags: O_WRONLY | O_TRUNC)
    }

    /// Writes `value` to a cgroup `tasks`/`cgroup.procs` file. The kernel moves
    /// the task and keeps no text; a test root appends, so a test can read back
    /// every task moved.
    public func moveTask(_ id: Int, to procsFile: String) throws(TreeError) {
        try writeOnce(procsFile, String(id), flags: O_WRONLY | (isLive ? 0 : O_APPEND))
    }

    private func writeOnce(_ path: String, _ value: String, flags: Int32) throws(TreeError) {
        let full = resolve(path)
        let fd = open(full, flags | O_CLOEXEC | (isLive ? 0 : O_CREAT), 0o644)
        guard fd >= 0 else { throw TreeError(operation: "open", path: full, errno: Glibc.errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw TreeError(operation: "write '\(value.prefix(60))' to", path: full, errno: written < 0 ? Glibc.errno : EIO)
        }
    }

    /// Creates a directory (a cgroup).
    public func makeDirectory(_ path: String) throws(TreeError) {
        let full = resolve(path)
        guard mkdir(full, 0o755) == 0 else { throw TreeError(operation: "mkdir", path: full, errno: Glibc.errno) }
    }

    /// Removes a cgroup directory. A real cgroup's files vanish with rmdir(2);
    /// under a test root the directory is an ordinary one whose files are
    /// removed first.
    public func removeCgroup(_ path: String) throws(TreeError) {
        let full = resolve(path)
        if !isLive {
            for name in list(path) where !name.hasPrefix("kbench-") { try? FileManager.default.removeItem(atPath: full + "/" + name) }
        }
        guard rmdir(full) == 0 else { throw TreeError(operation: "rmdir", path: full, errno: Glibc.errno) }
    }
}

/// A file operation on the machine that failed, as one line.
public struct TreeError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The task, IRQ or file is gone (exited, unplugged): nothing left to undo.
    public var isGone: Bool { errno == ENOENT || errno == ESRCH }

    public var description: String {
        "\(operation) \(path) failed: \(Errno(rawValue: errno).description) (errno \(errno))"
    }
}
